"""Shared bundle fixtures: demo builds are built once per module where possible."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from reports.demo import demo_bundle_input
from reports.model import BundleInput
from reports.package import BuildResult, build_bundle


def build(tmp_path: Path, inp: BundleInput, name: str = "bundle", **kwargs) -> BuildResult:
    return build_bundle(inp, tmp_path / name, **kwargs)


def small_input(profile: str = "IN-MLA", custody_format: str = "ledger", **changes) -> BundleInput:
    inp = demo_bundle_input(
        profile, files_per_exhibit=12, exhibits=2, custody_format=custody_format
    )
    return dataclasses.replace(inp, **changes) if changes else inp


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bundles")
