"""The 927-file release rebuilt from the distinct images, and the manifests it follows (chapter 3).

A manifest (``manifest.tsv`` of ``../shared/data/mendeley-distinct``, and the copy packaged as
``ecgkeras/data/mendeley_manifest.tsv``) has one row per distinct image: its class, file, MD5 and
every name the re-upload gave it (``source_names``). ``rebuild_release`` writes the release's files
from it; ``release_copies`` reads the release's duplicate structure from it without images.
"""

from __future__ import annotations

import csv
import importlib.resources
import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np

from ecgkeras.data.counts import PUBLISHED_RELEASE_COUNTS
from ecgkeras.data.dataset import class_from_folder


def read_manifest(path) -> list[dict]:
    """The rows of a manifest (tab-separated, columns class, file, md5, source_names) as dicts."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    needed = {"class", "file", "md5", "source_names"}
    if not rows or not needed <= set(rows[0]):
        raise ValueError(f"{path}: expected a tab-separated table with columns {sorted(needed)}")
    return rows


def packaged_manifest() -> list[dict]:
    """The rows of the manifest packaged with ``ecgkeras`` (``mendeley_manifest.tsv``, 486 rows)."""
    return read_manifest(importlib.resources.files("ecgkeras.data") / "mendeley_manifest.tsv")


def rebuild_release(distinct_dir, out_dir, *, link: str = "hardlink") -> Path:
    """Rebuild the 927-file release (with its duplicates) from the distinct images (chapter 3).

    Follows ``manifest.tsv`` of ``distinct_dir``: for each class, every source name without
    " - Copy" whose number in parentheses is at most the class's ``PUBLISHED_RELEASE_COUNTS``
    becomes one file ``out_dir/<class>/<source name>`` with the bytes of its distinct image. From
    ``mendeley-distinct`` that gives ``REBUILT_RELEASE_COUNTS`` (927 files: the published 928 less
    MI(215), which the re-upload lacks) showing ``REBUILT_RELEASE_ECG_COUNTS`` (481 distinct
    ECGs: five of the 486 distinct images appear only under numbers above the release's).

    Args:
        distinct_dir: folder with ``manifest.tsv`` and the class folders of distinct images.
        out_dir: where to write (created; files already there are replaced).
        link: "hardlink" (no extra disk space; falls back to "copy" with a warning across
            disks), "symlink" or "copy".

    Returns:
        ``out_dir`` as a Path.
    """
    if link not in ("hardlink", "symlink", "copy"):
        raise ValueError(f"link must be 'hardlink', 'symlink' or 'copy', got {link!r}")
    distinct_dir, out_dir = Path(distinct_dir), Path(out_dir)
    manifest = distinct_dir / "manifest.tsv"
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} not found; distinct_dir must be the mendeley-distinct folder")
    for row in read_manifest(manifest):
        label = class_from_folder(row["class"])
        if label is None:
            raise ValueError(f"{manifest}: unknown class {row['class']!r} for {row['file']}")
        source = distinct_dir / row["class"] / row["file"]
        if not source.is_file():
            raise FileNotFoundError(f"{source} is listed in {manifest} but missing")
        for name in release_names(row, manifest):
            target = out_dir / row["class"] / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            _place(source, target, link)
    return out_dir


def release_names(row: dict, manifest="mendeley_manifest.tsv") -> list[str]:
    """The file names under which one distinct image (a manifest row) appears in the 927-file release.

    Its ``source_names`` without " - Copy" whose number in parentheses is at most the class's
    ``PUBLISHED_RELEASE_COUNTS``; ``manifest`` names the table in error messages.
    """
    label = class_from_folder(row["class"])
    if label is None:
        raise ValueError(f"{manifest}: unknown class {row['class']!r} for {row['file']}")
    names = []
    for name in row["source_names"].split(";"):
        number = re.search(r"\((\d+)\)", name)
        if number is None:
            raise ValueError(f"{manifest}: source name {name!r} of {row['file']} has no (number)")
        if " - Copy" not in name and int(number.group(1)) <= PUBLISHED_RELEASE_COUNTS[label]:
            names.append(name)
    return names


def release_copies() -> tuple[np.ndarray, np.ndarray]:
    """How many files of the published release show each distinct ECG, from the packaged manifest.

    Chapter 3. Needs no images: the manifest that ships with ``ecgkeras`` lists, per distinct
    image, every name it was published under, so the release's duplicate structure (and what a
    random split of it leaks) can be shown anywhere.

    Returns:
        ``(labels, copies)``: int64 (481,) class of each distinct ECG that is in the release, and
        int64 (481,) its number of files there (1 or more; they sum to 927).
    """
    labels, copies = [], []
    for row in packaged_manifest():
        label = class_from_folder(row["class"])
        count = len(release_names(row))
        if count:
            labels.append(label)
            copies.append(count)
    return np.array(labels, dtype=np.int64), np.array(copies, dtype=np.int64)


def _place(source: Path, target: Path, link: str) -> None:
    if link == "symlink":
        target.symlink_to(source.resolve())
        return
    if link == "hardlink":
        try:
            os.link(source, target)
            return
        except OSError as err:
            warnings.warn(f"hard link {target} -> {source} failed ({err}); copying instead", stacklevel=3)
    shutil.copyfile(source, target)
