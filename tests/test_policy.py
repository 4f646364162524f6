"""The repository's copy of the privacy notice is the shared original, line for line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

COPY = Path(__file__).resolve().parents[1] / "policy" / "privacy-notice.txt"
ORIGINAL = Path(__file__).resolve().parents[2] / "shared" / "privacy-notice.txt"


def test_the_copy_matches_the_shared_notice():
    if not ORIGINAL.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{ORIGINAL} is missing: CI must check the copy against the original")
        pytest.skip("no ../shared beside this checkout to compare with")
    assert COPY.read_text(encoding="utf-8") == ORIGINAL.read_text(encoding="utf-8")
