"""The catalog benchmark still runs, on tiny images, and compares like with like."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not all(shutil.which(t) for t in ("fls", "tsk_loaddb", "mke2fs", "mcopy")),
                    reason="needs The Sleuth Kit, e2fsprogs and mtools")
def test_catalog_benchmark_runs_and_lists_what_fls_lists(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.common
    from bench import bench_catalog

    monkeypatch.setattr(bench.common, "RESULTS", tmp_path / "results")
    assert bench_catalog.main(["--ext4-files", "120", "--fat-files", "60", "--repeat", "1",
                               "--keep", str(tmp_path / "images")]) == 0
    table = (tmp_path / "results" / "catalog.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1:-1] for line in table.splitlines()
            if line.startswith("| ext4") or line.startswith("| fat32")]
    by_image: dict[str, dict[str, list[str]]] = {}
    for image, tool, *rest in ([c.strip() for c in r] for r in rows):
        by_image.setdefault(image, {})[tool] = rest
    assert set(by_image) == {"ext4", "ext4-small", "fat32"}
    for image, tools in by_image.items():
        listed = tools["fls -r -p"][0]
        for tool in ("Sealbag listing", "Sealbag listing stored",
                     "Sealbag + MD5 + SHA-256 stored", "Sealbag + hashes + types stored"):
            assert tools[tool][0] == listed, (image, tool)
        assert tools["Sealbag + MD5 + SHA-256 stored"][3] != "-"  # content was hashed
    # the two ext4 images hold as many names but different amounts of content
    assert by_image["ext4"]["fls -r -p"][0] == by_image["ext4-small"]["fls -r -p"][0]
    keys = [json.loads(p.read_text(encoding="utf-8"))
            for p in (tmp_path / "images").glob("bench-ext4-*.answers.json")]
    assert len(keys) == 2
    content = [sum(f["size"] for f in key["files"] if not f["path"].startswith("large_"))
               for key in keys]
    assert max(content) > 2 * min(content)
