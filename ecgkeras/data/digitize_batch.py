"""Digitizing many report images at once: ``ecgkeras digitize`` and the real data's loader (chapter 1).

One batch loop, :func:`digitize_files`, digitizes a list of images with ``digitize_report``: each
distinct file (MD5) once, optionally through a cache of signals, and returns what it could not
digitize as skips (file and reason) instead of printing them; ``digitize_paths`` (the command)
and ``ecgkeras.data.mendeley.load_mendeley`` (the real data set) both use it and say what was skipped.
"""

from __future__ import annotations

import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ecgkeras import config
from ecgkeras.atomic import atomic_file
from ecgkeras.data.dataset import IMAGE_SUFFIXES, LEAD_NAMES, channels_last, class_from_folder
from ecgkeras.data.digitize import PoorReadingError, digitize_report, digitizer_version, load_image
from ecgkeras.data.image_file import SKIP_UNREADABLE_FILE, SKIP_UNREADABLE_IMAGE, file_md5


@dataclass
class DigitizeResult:
    """Many digitized reports, stacked: what ``ecgkeras digitize`` writes.

    Attributes:
        leads: float32 (n, 12, samples_per_lead) in mV, ``LEAD_NAMES`` order.
        rhythm: float32 (n, rhythm_samples) in mV, lead II.
        labels: int64 (n,) class index from the parent folder's name, -1 where it is not a class.
        files: the n file paths that were digitized.
        coverage: float32 (n, 13), see ``DigitizedReport.coverage``.
        skipped: ``(file, reason)`` for every file that could not be digitized, or was refused
            as reading too poorly (``ecgkeras.data.digitize_quality``).
        quality: float32 (n,) each image's quality score in dB (``DigitizeQuality.score``:
            the SNR estimated from the leads' agreement with each other); NaN where unknown
            (a file written before it was measured).
    """

    leads: np.ndarray
    rhythm: np.ndarray
    labels: np.ndarray
    files: list[str]
    coverage: np.ndarray
    skipped: list[tuple[str, str]]
    quality: np.ndarray | None = None

    @property
    def signals(self) -> np.ndarray:
        """``leads`` channels-last, float32 (n, samples_per_lead, 12): the layout of ``ECGDataset``
        and the views (``ecgkeras.data.dataset.channels_last``)."""
        return channels_last(self.leads)

    def save(self, path) -> None:
        """Write everything to one ``.npz`` file (``skipped`` as two string arrays)."""
        np.savez(
            path,
            leads=self.leads,
            rhythm=self.rhythm,
            labels=self.labels,
            files=np.array(self.files, dtype=str),
            coverage=self.coverage,
            quality=np.full(len(self.files), np.nan, np.float32) if self.quality is None else self.quality,
            skipped_files=np.array([file for file, _ in self.skipped], dtype=str),
            skipped_reasons=np.array([reason for _, reason in self.skipped], dtype=str),
        )

    @classmethod
    def load(cls, path) -> "DigitizeResult":
        """Read a file written by ``save``."""
        with np.load(path, allow_pickle=False) as stored:
            return cls(
                leads=stored["leads"],
                rhythm=stored["rhythm"],
                labels=stored["labels"],
                files=stored["files"].tolist(),
                coverage=stored["coverage"],
                quality=stored["quality"] if "quality" in stored.files else None,
                skipped=list(zip(stored["skipped_files"].tolist(), stored["skipped_reasons"].tolist())),
            )


def image_files(paths) -> list[Path]:
    """Image files among ``paths`` (files, or folders searched recursively), each folder sorted.

    Raises:
        FileNotFoundError: a path does not exist.
        ValueError: a folder holds no .jpg/.jpeg/.png file.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not found:
                raise ValueError(f"no images found in {path} (looked for {', '.join(IMAGE_SUFFIXES)})")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return files


#: How ``digitize_files`` groups its skips (``DigitizedFiles.skip_counts``), with ``SKIP_UNREADABLE_FILE``
#: and ``SKIP_UNREADABLE_IMAGE`` of ``ecgkeras.data.image_file``.
SKIP_NOT_A_REPORT = "not digitizable as a 12-lead report"
SKIP_POOR_READING = "refused: reads too poorly to trust"


@dataclass
class DigitizedFiles:
    """What :func:`digitize_files` made of a list of image files.

    Attributes:
        signals: MD5 of a file's bytes -> ``(leads, rhythm, coverage, quality)``: float32 (12,
            samples_per_lead) and (rhythm_samples,) in mV, float32 (13,), and the quality score
            in dB (``DigitizedReport``).
        md5: file path -> MD5 of its bytes, for every file that could be read.
        digitized: the files whose signals are in ``signals``, in the order given.
        skipped: ``(file, reason)`` for every file that could not be digitized, in the order given.
        skip_counts: how many files were skipped per kind of reason (the ``SKIP_*`` texts).
        from_cache: how many distinct images were read from the cache instead of digitized.
    """

    signals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float]]
    md5: dict[str, str]
    digitized: list[str]
    skipped: list[tuple[str, str]]
    skip_counts: dict[str, int]
    from_cache: int = 0


def digitize_files(
    files, *, md5=None, samples_per_lead: int = 250, rhythm_samples: int = 1000, cache: bool = False,
    progress: bool = False, keep_poor: bool = False,
) -> DigitizedFiles:
    """The one batch loop: digitize every image of ``files``, each distinct file (MD5) once.

    Nothing is printed but progress: a file that cannot be read or digitized is returned in
    ``skipped`` with its reason (and counted by kind in ``skip_counts``), for the caller to report.

    With ``cache``, the signals of each distinct file are stored in ``cache_folder()`` under its MD5
    and the sizes (``<md5>-<samples_per_lead>-<rhythm_samples>.npz``), written atomically (a
    temporary file of a unique name in the same folder, then renamed). A cache entry that cannot be
    read is named in a warning, deleted and digitized again.

    Args:
        files: image paths.
        md5: the MD5 hex digest of each file, when already known (e.g. from ``index_folder``);
            else each file is read to compute it.
        samples_per_lead, rhythm_samples: as in ``digitize_report``.
        cache: read and write the cache of digitized signals.
        progress: print a line every 10 % of the distinct images.
        keep_poor: keep an image that reads too poorly to trust (with a warning) instead of
            skipping it (``SKIP_POOR_READING``); the cache is then not used at all.
    """
    files = [str(file) for file in files]
    if md5 is not None and len(md5) != len(files):
        raise ValueError(f"md5 has {len(md5)} digests for {len(files)} files; give one per file or None")
    skipped, kinds, digest_of = [], {}, {}

    def skip(file: str, reason: str, kind: str) -> None:
        skipped.append((file, reason))
        kinds[kind] = kinds.get(kind, 0) + 1

    for i, file in enumerate(files):
        if md5 is not None:
            digest_of[file] = md5[i]
            continue
        try:
            digest_of[file] = file_md5(file)
        except OSError as err:
            skip(file, f"{file}: could not be read ({err.strerror or err})", SKIP_UNREADABLE_FILE)
    store = cache_folder() if cache and not keep_poor else None
    if store is not None:
        store.mkdir(parents=True, exist_ok=True)
    first_file = {}
    for file, digest in digest_of.items():
        first_file.setdefault(digest, file)
    signals, failed, from_cache = {}, {}, 0
    for done, (digest, file) in enumerate(first_file.items(), start=1):
        entry = None if store is None else store / f"{digest}-{samples_per_lead}-{rhythm_samples}.npz"
        stored = _read_cache_entry(entry) if entry is not None else None
        if stored is not None:
            signals[digest] = stored
            from_cache += 1
        else:
            result, failure = _digitize_one(file, samples_per_lead, rhythm_samples, keep_poor)
            if failure is not None:
                failed[digest] = failure
            else:
                signals[digest] = result
                if entry is not None:
                    _write_cache_entry(entry, result)
        if progress and (done == len(first_file) or done % max(1, len(first_file) // 10) == 0):
            print(f"digitized {done}/{len(first_file)} distinct images, {len(failed)} failed", flush=True)
    for file in files:
        digest = digest_of.get(file)
        if digest in failed:
            reason, kind = failed[digest]
            skip(file, reason if file == first_file[digest] else f"{file}: a copy of {first_file[digest]}: "
                 f"{reason}", kind)
    position = {file: i for i, file in enumerate(files)}
    skipped.sort(key=lambda pair: position[pair[0]])
    digitized = [file for file in files if digest_of.get(file) in signals]
    return DigitizedFiles(signals, digest_of, digitized, skipped, kinds, from_cache)


def _digitize_one(file: str, samples_per_lead: int, rhythm_samples: int, keep_poor: bool = False):
    """``((leads, rhythm, coverage, quality), None)`` of one file, or ``(None, (reason, kind))`` when it
    fails or is refused."""
    try:
        rgb, _ = load_image(file)
    except (ValueError, OSError) as err:
        return None, (str(err), SKIP_UNREADABLE_IMAGE)
    try:
        report = digitize_report(rgb, samples_per_lead=samples_per_lead, rhythm_samples=rhythm_samples,
                                 keep_poor=keep_poor)
    except PoorReadingError as err:
        return None, (f"{file}: {str(err).removeprefix('<array>: ')}", SKIP_POOR_READING)
    except ValueError as err:
        return None, (f"{file}: {err.__cause__ or err}", SKIP_NOT_A_REPORT)
    return (report.leads, report.rhythm, report.coverage, report.quality.score), None


def cache_folder() -> Path:
    """Where :func:`digitize_files` caches signals: ``config.cache_dir() / "digitized" / digitizer_version()``.

    The version changes with the code of every digitizer module (``DIGITIZER_MODULES``), so a
    changed digitizer starts a new folder instead of reusing older signals.
    """
    return config.cache_dir() / "digitized" / digitizer_version()


def _read_cache_entry(entry: Path):
    if not entry.exists():
        return None
    try:
        with np.load(entry, allow_pickle=False) as stored:
            return stored["leads"], stored["rhythm"], stored["coverage"], float(stored["quality"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        warnings.warn(f"{entry}: broken cache entry of digitized signals ({type(err).__name__}: {err}); "
                      "deleted, the image is digitized again", stacklevel=3)
        entry.unlink(missing_ok=True)
        return None


def _write_cache_entry(entry: Path, signals) -> None:
    leads, rhythm, coverage, quality = signals
    with atomic_file(entry) as file:
        np.savez(file, leads=leads, rhythm=rhythm, coverage=coverage, quality=quality)


def digitize_paths(
    paths, *, samples_per_lead: int = 250, rhythm_samples: int = 1000, progress: bool = False,
    keep_poor: bool = False,
) -> DigitizeResult:
    """Digitize every report image in ``paths`` (``ecgkeras digitize``); skip the ones that fail.

    Args:
        paths: image files and/or folders (searched recursively for .jpg/.jpeg/.png, sorted).
            Each image's class is its parent folder's name (``class_from_folder``).
        samples_per_lead, rhythm_samples: as in ``digitize_report``.
        progress: print a line every 10 % of the files.
        keep_poor: keep images that read too poorly to trust, with a warning each.

    Returns:
        a ``DigitizeResult``; files that could not be read are in ``skipped`` with the reason
        (nothing about them is printed here: the caller says what was skipped).
    """
    files = image_files(paths)
    batch = digitize_files(files, samples_per_lead=samples_per_lead, rhythm_samples=rhythm_samples,
                           progress=progress, keep_poor=keep_poor)
    kept = batch.digitized
    rows = [batch.signals[batch.md5[file]] for file in kept]
    labels = [class_from_folder(Path(file).parent.name) for file in kept]
    return DigitizeResult(
        leads=np.array([row[0] for row in rows], dtype=np.float32).reshape(len(kept), len(LEAD_NAMES),
                                                                          samples_per_lead),
        rhythm=np.array([row[1] for row in rows], dtype=np.float32).reshape(len(kept), rhythm_samples),
        labels=np.array([-1 if label is None else label for label in labels], dtype=np.int64),
        files=kept,
        coverage=np.array([row[2] for row in rows], dtype=np.float32).reshape(len(kept), len(LEAD_NAMES) + 1),
        skipped=batch.skipped,
        quality=np.array([row[3] for row in rows], dtype=np.float32),
    )


def benchmark_digitize(paths, repeat: int = 1) -> dict:
    """Time ``digitize_report`` on images (one core), for ``ecgkeras bench digitize``.

    Returns:
        ``{"images", "repeat", "seconds", "images_per_s", "ms_per_image", "size"}``; ``size`` is
        ``(width, height)`` in px of the first image; reading the file is included.
    """
    files = image_files(paths)
    with Image.open(files[0]) as first:
        size = first.size
    started = time.perf_counter()
    for _ in range(repeat):
        for file in files:
            digitize_report(file)
    seconds = time.perf_counter() - started
    count = len(files) * repeat
    return {
        "images": len(files),
        "repeat": repeat,
        "seconds": seconds,
        "images_per_s": count / seconds,
        "ms_per_image": 1000.0 * seconds / count,
        "size": size,
    }
