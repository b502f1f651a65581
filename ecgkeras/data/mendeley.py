"""The real data set: find it and load it (chapter 3; chapter 1 digitizes); the Mendeley names' old home.

The Mendeley "ECG Images dataset of Cardiac Patients" (Khan & Hussain 2021,
doi:10.17632/gwbz3fsgp8.2, CC BY 4.0) holds 928 report images in four class folders; the 927 of
them that could be rebuilt show only 481 distinct ECGs (``ecgkeras.data.counts`` has every count
and its source). One module per job:

- ``ecgkeras.data.mendeley_download``: download, safe extraction, the check against the manifest;
- ``ecgkeras.data.class_folders``: the class folders of a folder and what is left out;
- ``ecgkeras.data.duplicates``: exact and re-encoded copies, the groups of one ECG (``index_folder``);
- ``ecgkeras.data.release``: the manifests and the rebuilt 927-file release;
- this module: where the images are (``find_mendeley``) and the data set as an ``ECGDataset``
  (``load_mendeley``), with a report of what was found, used and skipped.

Every name these modules had here before they were split is still importable from here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ecgkeras import config
from ecgkeras.data.class_folders import SKIP_HIDDEN_FOLDER, SKIP_LINK_LOOP, SKIP_NOT_AN_IMAGE
from ecgkeras.data.counts import (  # noqa: F401  (re-exported: the data set in numbers)
    DISTINCT_IMAGE_COUNTS,
    PUBLISHED_RELEASE_COUNTS,
    REBUILT_RELEASE_COUNTS,
    REBUILT_RELEASE_ECG_COUNTS,
    REUPLOAD_FILE_COUNTS,
    dataset_in_numbers,
)
from ecgkeras.data.dataset import FS, LEAD_SECONDS, RHYTHM_SECONDS, ECGDataset, channels_last
from ecgkeras.data.duplicates import (  # noqa: F401  (re-exported: their old home)
    FINGERPRINT_CELL_PX,
    FINGERPRINT_GRID,
    INK_LEVEL,
    NEAR_DUPLICATE_BITS,
    ImageIndex,
    file_md5,
    fingerprint,
    group_copies,
    hamming_distances,
    index_class_folders,
    index_folder,
)
from ecgkeras.data.mendeley_download import (  # noqa: F401  (re-exported: their old home)
    MENDELEY_PAGE,
    MENDELEY_SHA256,
    MENDELEY_URL,
    download_mendeley,
    downloaded_images,
    extract_zip,
    verify_images,
)
from ecgkeras.data.release import rebuild_release, release_copies  # noqa: F401  (re-exported: their old home)

#: Old name of ``PUBLISHED_RELEASE_COUNTS`` (files per class of the published 928-file release),
#: kept for code that imports it; not the rebuilt release's ``REBUILT_RELEASE_COUNTS``.
RELEASE_COUNTS = PUBLISHED_RELEASE_COUNTS


def find_mendeley(download: bool = False) -> Path | None:
    """Where the real images are: ``ECGKERAS_MENDELEY_DIR``, else the download cache, else None.

    Every chapter calls it and falls back to the synthetic data on None (chapter 3).

    Args:
        download: download the images (``download_mendeley``) when they are nowhere else.

    Raises:
        FileNotFoundError: ``ECGKERAS_MENDELEY_DIR`` is set but is not a folder.
    """
    folder = config.mendeley_dir()
    if folder is not None:
        if not folder.is_dir():
            raise FileNotFoundError(
                f"ECGKERAS_MENDELEY_DIR={folder} is not a folder; point it at the extracted "
                "images (the folder holding the class folders) or unset it"
            )
        return folder
    cached = downloaded_images(config.cache_dir() / "mendeley")
    if cached is not None:
        return cached
    return download_mendeley() if download else None


def load_mendeley(root, *, cache: bool = True, progress: bool = True) -> ECGDataset:
    """Index and digitize every image under ``root``: the real data set as an ``ECGDataset``.

    Chapter 3. Each distinct file (MD5) is digitized once (``ecgkeras.data.digitize_batch.
    digitize_files``); with ``cache`` its signals are stored in ``config.cache_dir() / "digitized"``
    under its MD5, so a rerun only re-indexes. Files that cannot be indexed or digitized are
    skipped, listed in ``info["skipped"]`` and counted by reason in ``info["loading"]``; one line
    says how many were found, used and skipped. One image in two class folders is an error
    (:func:`load_mendeley_folder` can skip such images instead).

    Returns:
        ``ECGDataset`` with signals float32 (n, 250, 12) in mV, rhythm float32 (n, 1000),
        labels, groups (copies share one) and files; ``info`` has ``source="mendeley"``,
        ``root``, ``skipped``, ``loading`` (:func:`loading_report`) and ``index`` (the ``ImageIndex``).
    """
    return load_mendeley_folder(root, cache=cache, progress=progress)


def load_mendeley_folder(root, *, cache: bool = True, progress: bool = True, conflicts: str = "error"
                         ) -> ECGDataset:
    """:func:`load_mendeley`, with ``conflicts`` for one image in two class folders ("error" or "skip",
    as in ``ecgkeras.data.duplicates.index_class_folders``)."""
    from ecgkeras.data.digitize_batch import digitize_files

    index = index_class_folders(root, conflicts=conflicts)
    samples_per_lead, rhythm_samples = int(LEAD_SECONDS * FS), int(RHYTHM_SECONDS * FS)
    batch = digitize_files(index.files, md5=index.md5, samples_per_lead=samples_per_lead,
                           rhythm_samples=rhythm_samples, cache=cache, progress=progress)
    keep = [i for i, digest in enumerate(index.md5) if digest in batch.signals]
    skipped = index.skipped + batch.skipped
    loading = loading_report(index, batch, used=len(keep))
    print(loading["summary"], flush=True)
    if not keep:
        path, reason = skipped[-1]
        raise ValueError(f"{root}: no image could be digitized; for example {path}: {reason}")
    return ECGDataset(
        # contiguous, as the committed runs were computed (float32 sums depend on the layout)
        signals=np.ascontiguousarray(channels_last(np.stack([batch.signals[index.md5[i]][0] for i in keep]))),
        rhythm=np.stack([batch.signals[index.md5[i]][1] for i in keep]),
        labels=index.labels[keep],
        groups=index.groups[keep],
        files=tuple(index.files[i] for i in keep),
        info={"source": "mendeley", "root": str(root), "skipped": skipped, "loading": loading, "index": index},
    )


def loading_report(index: ImageIndex, batch, used: int) -> dict:
    """What :func:`load_mendeley` found, used and skipped, as plain JSON-ready values.

    Args:
        index: the ``ImageIndex`` of the folder.
        batch: the ``DigitizedFiles`` of its files (``digitize_files``).
        used: how many files the data set holds.

    Returns:
        ``{"found": image files found (in class folders or not), "used", "skipped": found - used,
        "skipped_by_reason": {reason: files}, "other_files": {reason: count} (non-image files and
        hidden folders, not counted in found), "unknown_folders": [folders with images that are not
        class folders], "distinct_images", "from_cache", "summary": one line}``.
    """
    image_kinds = dict(index.skip_counts)
    other = {kind: image_kinds.pop(kind) for kind in list(image_kinds)
             if kind in (SKIP_NOT_AN_IMAGE, SKIP_HIDDEN_FOLDER, SKIP_LINK_LOOP)}
    by_reason = image_kinds
    for kind, count in batch.skip_counts.items():
        by_reason[kind] = by_reason.get(kind, 0) + count
    skipped = index.found - used
    reasons = ", ".join(f"{count} {kind}" for kind, count in sorted(by_reason.items()))
    folder = Path(index.root).name or str(index.root)  # the folder's name: no machine path on a page
    summary = (f"{folder}: {index.found} image files found, {used} used, {skipped} skipped"
               + (f" ({reasons})" if reasons else "")
               + (f"; {sum(other.values())} other files or folders ignored" if other else ""))
    return {
        "found": index.found,
        "used": used,
        "skipped": skipped,
        "skipped_by_reason": by_reason,
        "other_files": other,
        "unknown_folders": index.unknown_folders,
        "distinct_images": len(set(index.md5)),
        "from_cache": batch.from_cache,
        "summary": summary,
    }
