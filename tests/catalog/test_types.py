"""File types by libmagic: the per-run cache answers exactly as libmagic does."""

from __future__ import annotations

import magic

from forensics.cataloging.content import TypeDetector

SAMPLES = [
    b"#!/bin/sh\necho hello\n",
    b"plain words on a line\n" * 50,
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
    b"\x89PNG\r\n\x1a\n" + bytes(64),
    bytes(range(256)) * 8,
    b"<html><body>x</body></html>\n",
]


def test_cached_answers_equal_libmagic_and_repeats_are_not_recomputed() -> None:
    detector = TypeDetector()
    mime, desc = magic.Magic(mime=True), magic.Magic()
    for sample in SAMPLES:
        assert detector.detect(sample) == (mime.from_buffer(sample), desc.from_buffer(sample))
    assert detector.calls == len(SAMPLES)
    for sample in reversed(SAMPLES):  # the same bytes again: no libmagic call
        assert detector.detect(bytes(sample)) == (mime.from_buffer(sample),
                                                  desc.from_buffer(sample))
    assert detector.calls == len(SAMPLES)
    # one byte different is different content
    changed = b"#!/usr/bin/python3\nprint(1)\n"
    assert detector.detect(changed) == (mime.from_buffer(changed), desc.from_buffer(changed))
    assert detector.calls == len(SAMPLES) + 1
    assert detector.detect(b"") == ("inode/x-empty", "empty")
