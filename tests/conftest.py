"""Shared fixtures. Tests that need the real images skip cleanly where ``../shared`` is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ECGKERAS_SHARED_DATA", REPO.parent / "shared" / "data"))


def _shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(f"real images not available: {path} does not exist (only in the project's workspace)")
    return path


@pytest.fixture(scope="session")
def mendeley_sample_dir() -> Path:
    """The 16 full-resolution real report images (4 class folders)."""
    return _shared("mendeley-sample")


@pytest.fixture(scope="session")
def mendeley_distinct_dir() -> Path:
    """The 486 distinct real images at half resolution, with ``manifest.tsv``."""
    return _shared("mendeley-distinct")


@pytest.fixture(scope="session")
def image_kit_dir() -> Path:
    """The ecg-image-kit development set (27 records x 3 drawings, with their true signals)."""
    return _shared("ecg-image-kit-dev")
