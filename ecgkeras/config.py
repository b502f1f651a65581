"""Settings read in one place: quick or full mode, seeds, folders.

Chapter: Introduction ("How to run the book").

``ECGKERAS_QUICK=1`` (set by the tests and CI) shrinks data sizes, epochs and seeds so that
every chapter runs in well under a minute; unset, chapters run their full (but still modest)
versions. ``ECGKERAS_MENDELEY_DIR`` points at a local copy of the real images.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The book's repository (the same URL as ``repository.url`` in ``_config.yml``; a test checks).
REPOSITORY = "https://github.com/ecgkeras/ecgkeras"
BRANCH = "main"


def repository_root() -> Path | None:
    """The root of the book's repository when ``ecgkeras`` runs from a clone of it, else None."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "_toc.yml").is_file() else None


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def is_quick() -> bool:
    """True when ``ECGKERAS_QUICK`` is set to 1/true/yes/on (read at call time)."""
    return _flag("ECGKERAS_QUICK")


def mode() -> str:
    """``"quick"`` or ``"full"``, as printed at the top of every chapter."""
    return "quick" if is_quick() else "full"


#: Synthetic ECGs per data set when the data are synthetic (``reproduce``, the model chapters'
#: ``first_fold``, ``score``, ``bench train``): quick mode, full mode (800: all seven models x 3
#: folds train in about half an hour on a 2-core CPU). The one home of these sizes.
SYNTHETIC_SIZE = {"quick": 160, "full": 800}


def synthetic_size() -> int:
    """Synthetic ECGs of the current mode: ``SYNTHETIC_SIZE[mode()]``."""
    return SYNTHETIC_SIZE[mode()]


def pick(quick, full):
    """Return ``quick`` in quick mode and ``full`` otherwise.

    >>> n_patients = pick(quick=200, full=2000)
    """
    return quick if is_quick() else full


def cache_dir() -> Path:
    """Folder for downloads and cached arrays: ``ECGKERAS_CACHE_DIR`` or ``~/.cache/ecgkeras``."""
    path = os.environ.get("ECGKERAS_CACHE_DIR")
    return Path(path).expanduser() if path else Path.home() / ".cache" / "ecgkeras"


def mendeley_dir() -> Path | None:
    """The real images' folder from ``ECGKERAS_MENDELEY_DIR``, or None when it is unset."""
    path = os.environ.get("ECGKERAS_MENDELEY_DIR")
    return Path(path).expanduser() if path else None
