"""The real data set: download, index, find duplicates, digitize (chapter 3; chapter 1 digitizes).

The Mendeley "ECG Images dataset of Cardiac Patients" (Khan & Hussain 2021,
doi:10.17632/gwbz3fsgp8.2, CC BY 4.0) holds 928 report images in four class folders; the 927 of
them that could be rebuilt show only 481 distinct ECGs (``ecgkeras.data.counts`` has every count
and its source): many files are byte-identical copies, and re-uploads found online may hold
re-encoded copies too. ``index_folder`` finds both kinds and gives every copy of one ECG the
same group id, which is what a leak-free split (``ecgkeras.data.splits``) needs.

- exact copies: same MD5 of the file's bytes;
- re-encoded copies (another JPEG quality, slightly resized): a small "ink map" fingerprint,
  one bit per cell of an 80 x 60 grid laid over the image saying whether the cell holds ink
  (a pixel darker than ``INK_LEVEL``); two images whose maps differ in at most
  ``near_duplicate_bits`` of the 4800 cells are treated as copies.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.resources
import importlib.util
import io
import os
import re
import shutil
import stat
import tempfile
import urllib.parse
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ecgkeras import config
from ecgkeras.data.counts import (  # noqa: F401  (re-exported: the data set in numbers)
    DISTINCT_IMAGE_COUNTS,
    PUBLISHED_RELEASE_COUNTS,
    REBUILT_RELEASE_COUNTS,
    REBUILT_RELEASE_ECG_COUNTS,
    REUPLOAD_FILE_COUNTS,
    dataset_in_numbers,
)
from ecgkeras.data.dataset import (
    CLASS_NAMES,
    FS,
    IMAGE_SUFFIXES,
    LEAD_SECONDS,
    RHYTHM_SECONDS,
    ECGDataset,
    class_from_folder,
)

#: The data set's page, for a manual download.
MENDELEY_PAGE = "https://data.mendeley.com/datasets/gwbz3fsgp8/2"
#: The one place the download URL lives: Mendeley Data's zip of version 2 (about 0.8 GB).
MENDELEY_URL = "https://data.mendeley.com/public-api/zip/gwbz3fsgp8/download/2"
#: SHA256 of the archive at MENDELEY_URL. TO BE FILLED IN from the first verified download
#: (``pooch.file_hash(path)``); until then ``download_mendeley`` warns loudly and checks every
#: extracted image against the packaged per-image manifest instead.
MENDELEY_SHA256: str | None = None
#: Old name of ``PUBLISHED_RELEASE_COUNTS`` (files per class of the published 928-file release),
#: kept for code that imports it; not the rebuilt release's ``REBUILT_RELEASE_COUNTS``.
RELEASE_COUNTS = PUBLISHED_RELEASE_COUNTS
#: The fingerprint grid (columns, rows), the pixel size of one cell after resizing, and the
#: grey level (0-255) below which a pixel counts as ink.
FINGERPRINT_GRID = (80, 60)
FINGERPRINT_CELL_PX = 8
INK_LEVEL = 150
#: Default threshold: fingerprints that differ in at most this many of the 4800 bits are copies.
#: Measured on the 486 distinct images (``DISTINCT_IMAGE_COUNTS``): distinct pairs differ in
#: >= 101 bits; copies re-saved at JPEG quality 30-95 or resized by 0.75-2x differ in <= 30 (see
#: the book's chapter 3).
NEAR_DUPLICATE_BITS = 60

_ARCHIVE_NAME = "gwbz3fsgp8-v2.zip"
_COMPLETE_MARKER = ".complete"
_MANUAL_ROUTE = (
    f"download the zip by hand from {MENDELEY_PAGE}, extract it, and set "
    "ECGKERAS_MENDELEY_DIR to the extracted folder"
)


@dataclass
class ImageIndex:
    """Every image file under a folder, with its class, hashes and group (from :func:`index_folder`).

    Attributes:
        root: the folder that was indexed.
        files: n image paths, sorted.
        labels: int64 (n,), indices into ``CLASS_NAMES`` from the class folder's name.
        md5: n hex MD5 digests of the files' bytes (equal digests = exact copies).
        fingerprints: uint8 (n, 4800) of 0/1, the ink map of each image (``fingerprint``).
        groups: int64 (n,), 0..g-1; all copies of one ECG (exact or re-encoded) share an id.
        skipped: ``(path, reason)`` for every file or folder that was not indexed.
    """

    root: str
    files: list[str]
    labels: np.ndarray
    md5: list[str]
    fingerprints: np.ndarray
    groups: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.files)

    def conflicts(self) -> dict[int, list[str]]:
        """Groups whose copies sit in different class folders (a labelling conflict): id -> files."""
        found = {}
        for group in np.unique(self.groups):
            members = np.flatnonzero(self.groups == group)
            if len(np.unique(self.labels[members])) > 1:
                found[int(group)] = [self.files[i] for i in members]
        return found

    def report(self) -> str:
        """Files, distinct ECGs and copies per class, conflicts and skipped files, as text."""
        lines = [
            f"{len(self.files)} image files under {self.root}: {len(np.unique(self.md5))} distinct "
            f"files (MD5), {len(np.unique(self.groups))} distinct ECGs (groups)",
            f"{'class':<24}{'files':>7}{'ECGs':>7}{'exact copies':>14}{'re-encoded copies':>19}",
        ]
        md5 = np.array(self.md5)
        for label, name in enumerate(CLASS_NAMES):
            mine = self.labels == label
            files, distinct = int(mine.sum()), len(np.unique(md5[mine]))
            ecgs = len(np.unique(self.groups[mine]))
            lines.append(f"{name:<24}{files:>7}{ecgs:>7}{files - distinct:>14}{distinct - ecgs:>19}")
        conflicts = self.conflicts()
        lines.append(f"labelling conflicts (one ECG in several classes): {len(conflicts) or 'none'}")
        for group, files in conflicts.items():
            lines.append(f"  group {group}: " + ", ".join(files))
        lines.append(f"skipped: {len(self.skipped) or 'none'}")
        lines.extend(f"  {path}: {reason}" for path, reason in self.skipped)
        return "\n".join(lines)


def fingerprint(image) -> np.ndarray:
    """The ink map of a report image: uint8 (4800,) of 0/1, one bit per cell of an 80 x 60 grid.

    The image is converted to grey, resized to 640 x 480 px (8 x 8 px cells), and a cell's bit is
    1 when its darkest pixel is darker than ``INK_LEVEL``: where the black traces, labels and
    text are. Re-encoding or resizing moves few bits; another ECG moves many (chapter 3).

    Args:
        image: a path, a file object or a PIL image.
    """
    columns, rows = FINGERPRINT_GRID
    size = (columns * FINGERPRINT_CELL_PX, rows * FINGERPRINT_CELL_PX)
    opened = image if isinstance(image, Image.Image) else Image.open(image)
    opened.draft("L", (2 * size[0], 2 * size[1]))
    gray = np.asarray(opened.convert("L").resize(size, Image.Resampling.BOX))
    cells = gray.reshape(rows, FINGERPRINT_CELL_PX, columns, FINGERPRINT_CELL_PX).min(axis=(1, 3))
    return (cells < INK_LEVEL).astype(np.uint8).ravel()


def hamming_distances(fingerprints: np.ndarray) -> np.ndarray:
    """int64 (n, n): how many bits differ between each pair of 0/1 fingerprints (n, bits)."""
    bits = np.asarray(fingerprints, dtype=np.float32)
    return np.rint(bits @ (1 - bits).T + (1 - bits) @ bits.T).astype(np.int64)


def group_copies(md5: list[str], fingerprints: np.ndarray, near_duplicate_bits: int) -> np.ndarray:
    """Group ids, int64 (n,): connected components of "same MD5 or <= near_duplicate_bits apart".

    Ids count from 0 in order of each group's first file.
    """
    distinct, first, of_file = np.unique(np.array(md5), return_index=True, return_inverse=True)
    close = hamming_distances(fingerprints[first]) <= near_duplicate_bits
    _, component = connected_components(csr_matrix(close), directed=False)
    component_of_file = component[of_file.ravel()]
    _, first_seen, groups = np.unique(component_of_file, return_index=True, return_inverse=True)
    renumber = np.argsort(np.argsort(first_seen))
    return renumber[groups.ravel()].astype(np.int64)


def _scan(root) -> tuple[list[tuple[Path, int]], list[tuple[str, str]]]:
    """Image files in class folders under ``root`` with their labels, and what was skipped."""
    root = Path(root).expanduser()
    if not root.exists():
        raise FileNotFoundError(
            f"{root}: no such folder; pass the folder that holds the class folders (Normal, "
            "Abnormal_Heartbeat, Myocardial_Infarction, History_of_MI or the published long names)"
        )
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is a file; pass the folder that holds the class folders")
    images, skipped, class_folders = [], [], []
    for folder, subfolders, names in os.walk(root):
        folder = Path(folder)
        subfolders.sort()
        for name in [s for s in subfolders if s.startswith(".") or s == "__MACOSX"]:
            subfolders.remove(name)
            skipped.append((str(folder / name), "hidden or macOS metadata folder, not indexed"))
        parts = (root.name, *folder.relative_to(root).parts)
        labels = [class_from_folder(part) for part in parts]
        label = next((found for found in reversed(labels) if found is not None), None)
        if class_from_folder(folder.name) is not None:
            class_folders.append(folder)
        if label is None:
            n_images = sum(Path(name).suffix.lower() in IMAGE_SUFFIXES for name in names)
            if n_images:
                skipped.append((
                    str(folder),
                    f"{n_images} image files in a folder that is not a class folder; rename it to "
                    f"one of {', '.join(CLASS_NAMES)} (or the published long name) to use them",
                ))
            continue
        for name in sorted(names):
            path = folder / name
            if path.suffix.lower() in IMAGE_SUFFIXES:
                images.append((path, label))
            else:
                skipped.append((str(path), f"not an image file (expected {', '.join(IMAGE_SUFFIXES)})"))
    if not class_folders:
        raise ValueError(
            f"{root}: no class folders found; expected folders named Normal, Abnormal_Heartbeat, "
            "Myocardial_Infarction and History_of_MI (or the published long names such as "
            "'Normal Person ECG Images (284x12=3408)'), possibly one level down"
        )
    for folder in class_folders:
        if not any(path.is_file() for path in folder.rglob("*")):
            raise ValueError(f"{folder}: the class folder is empty; put its .jpg images back or remove it")
    return sorted(images), skipped


def file_md5(path) -> str:
    """Hex MD5 digest of a file's bytes."""
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def index_folder(root, *, near_duplicate_bits: int = NEAR_DUPLICATE_BITS) -> ImageIndex:
    """Index every image in the class folders under ``root`` and group copies of one ECG.

    Chapter 3. Class folders are found recursively and may carry the published long names or
    short ones. Exact copies share an MD5; re-encoded copies have fingerprints at most
    ``near_duplicate_bits`` apart. Unreadable files are skipped and reported with the reason,
    as are image files outside class folders.

    Raises:
        FileNotFoundError: ``root`` does not exist.
        ValueError: no class folders, an empty class folder, or no readable image at all.
    """
    if near_duplicate_bits < 0:
        raise ValueError(f"near_duplicate_bits must be >= 0, got {near_duplicate_bits}")
    candidates, skipped = _scan(root)
    files, labels, md5, prints = [], [], [], []
    print_of = {}
    for path, label in candidates:
        data = path.read_bytes()
        digest = hashlib.md5(data).hexdigest()
        if digest not in print_of:
            try:
                with Image.open(io.BytesIO(data)) as image:
                    print_of[digest] = fingerprint(image)
            except UnidentifiedImageError:
                skipped.append((str(path), "not an image that Pillow can read (wrong format?)"))
                continue
            except OSError as err:
                skipped.append((str(path), f"damaged or truncated image ({err}); download it again"))
                continue
        files.append(str(path))
        labels.append(label)
        md5.append(digest)
        prints.append(print_of[digest])
    if not files:
        raise ValueError(f"{root}: no readable image in any class folder; skipped: {skipped}")
    fingerprints = np.array(prints, dtype=np.uint8)
    return ImageIndex(
        root=str(root),
        files=files,
        labels=np.array(labels, dtype=np.int64),
        md5=md5,
        fingerprints=fingerprints,
        groups=group_copies(md5, fingerprints, near_duplicate_bits),
        skipped=skipped,
    )


def _read_manifest(path) -> list[dict]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    needed = {"class", "file", "md5", "source_names"}
    if not rows or not needed <= set(rows[0]):
        raise ValueError(f"{path}: expected a tab-separated table with columns {sorted(needed)}")
    return rows


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
    for row in _read_manifest(manifest):
        label = class_from_folder(row["class"])
        if label is None:
            raise ValueError(f"{manifest}: unknown class {row['class']!r} for {row['file']}")
        source = distinct_dir / row["class"] / row["file"]
        if not source.is_file():
            raise FileNotFoundError(f"{source} is listed in {manifest} but missing")
        for name in _release_names(row, label, manifest):
            target = out_dir / row["class"] / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            _place(source, target, link)
    return out_dir


def _release_names(row: dict, label: int, manifest) -> list[str]:
    """The file names under which one distinct image appears in the 927-file release."""
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
    for row in _packaged_manifest():
        label = class_from_folder(row["class"])
        count = len(_release_names(row, label, "mendeley_manifest.tsv"))
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


def extract_zip(archive, target) -> Path:
    """Extract a zip into ``target`` after checking every member (for :func:`download_mendeley`).

    Refuses the whole archive, before writing anything, when a member has an absolute path,
    a ".." part, or is a symbolic link: such members could write outside ``target``.

    Returns:
        ``target`` as a Path.
    """
    archive, target = Path(archive), Path(target)
    try:
        with zipfile.ZipFile(archive) as opened:
            for member in opened.infolist():
                problem = _unsafe(member, target)
                if problem:
                    raise ValueError(
                        f"{archive}: refusing to extract member {member.filename!r}: {problem}. "
                        "Nothing was extracted; the archive is damaged or malicious, "
                        f"or else {_MANUAL_ROUTE}"
                    )
            target.mkdir(parents=True, exist_ok=True)
            opened.extractall(target)
    except zipfile.BadZipFile as err:
        raise ValueError(f"{archive}: not a valid zip archive ({err}); delete it, download again") from err
    return target


def _unsafe(member: zipfile.ZipInfo, target: Path) -> str | None:
    name = member.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "it has an absolute path"
    if ".." in PurePosixPath(name).parts:
        return "its path contains '..' and would land outside the target folder"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "it is a symbolic link"
    if not (target / name).resolve().is_relative_to(target.resolve()):
        return "it would land outside the target folder"
    return None


def _copy_local_file(url: str, output_file, pooch) -> None:
    """A pooch downloader for ``file://`` URLs (a zip downloaded by hand, or a test archive)."""
    path = urllib.request.url2pathname(urllib.parse.urlparse(url).path)
    shutil.copyfile(path, output_file)


def _class_root(folder: Path) -> Path:
    """The deepest folder holding all class folders under ``folder``."""
    found = [Path(path) for path, _, _ in os.walk(folder) if class_from_folder(Path(path).name) is not None]
    if not found:
        raise ValueError(
            f"{folder}: the archive holds no class folders (Normal, ... History of MI); "
            f"it may have changed: {_MANUAL_ROUTE}"
        )
    return Path(os.path.commonpath([path.parent for path in found]))


def _cached_images(dest: Path) -> Path | None:
    images = dest / "images"
    return _class_root(images) if (images / _COMPLETE_MARKER).exists() else None


def download_mendeley(
    dest=None, *, url: str = MENDELEY_URL, known_hash: str | None = "pinned", progress: bool = True
) -> Path:
    """Download (once) and safely extract the Mendeley images; return the class folders' parent.

    Chapters 1 and 12. The zip is kept in ``dest`` (default ``config.cache_dir() / "mendeley"``) and
    extracted to ``dest / "images"``; a second call returns at once. ``file://`` URLs work too.

    Args:
        known_hash: "sha256:<hex>" to check the archive against; "pinned" means ``MENDELEY_SHA256``,
            which is not filled in yet: then a warning says so and the extracted images are
            checked against the packaged manifest (``verify_images``). Pass None explicitly to
            skip every check.
        progress: show a progress bar (when tqdm is installed) and a summary line.

    Raises:
        ValueError: the archive's hash does not match, or the archive is unsafe or not a zip.
        ConnectionError: the download failed (offline?); the message gives the manual route.
    """
    dest = Path(dest).expanduser() if dest is not None else config.cache_dir() / "mendeley"
    cached = _cached_images(dest)
    if cached is not None:
        return cached
    check_images = known_hash == "pinned" and MENDELEY_SHA256 is None
    known_hash = MENDELEY_SHA256 if known_hash == "pinned" else known_hash
    if check_images:
        warnings.warn(
            "WARNING: the archive's SHA256 is not pinned yet (MENDELEY_SHA256 is to be filled in "
            "from the first verified download); the extracted images are checked against the "
            "packaged per-image MD5 manifest instead",
            stacklevel=2,
        )
    import pooch

    if progress:
        print(f"Downloading the Mendeley ECG images (about 0.8 GB) from {url} to {dest}", flush=True)
    try:
        archive = pooch.retrieve(
            url,
            known_hash=known_hash,
            fname=_ARCHIVE_NAME,
            path=dest,
            progressbar=progress and importlib.util.find_spec("tqdm") is not None,
            downloader=_copy_local_file if url.startswith("file://") else None,
        )
    except ValueError as err:
        raise ValueError(f"{url}: the archive failed its check ({err}); {_MANUAL_ROUTE}") from err
    except OSError as err:
        raise ConnectionError(
            f"could not download {url} ({type(err).__name__}: {err}); are you offline? "
            f"Instead, {_MANUAL_ROUTE}"
        ) from err
    extracting = Path(tempfile.mkdtemp(prefix="extracting-", dir=dest))
    try:
        extract_zip(archive, extracting)
    except ValueError:
        shutil.rmtree(extracting)
        raise
    (extracting / _COMPLETE_MARKER).touch()
    shutil.rmtree(dest / "images", ignore_errors=True)
    extracting.rename(dest / "images")
    root = _class_root(dest / "images")
    if check_images:
        checked = verify_images(root)
        if progress or checked["unknown"] or checked["wrong_class"]:
            print(
                f"checked {checked['files']} images against the manifest: {checked['matched']} match, "
                f"{len(checked['unknown'])} unknown, {len(checked['wrong_class'])} in another class",
                flush=True,
            )
    return root


def _packaged_manifest() -> list[dict]:
    return _read_manifest(importlib.resources.files("ecgkeras.data") / "mendeley_manifest.tsv")


def verify_images(root) -> dict:
    """Check every image under ``root``'s class folders against the packaged MD5 manifest.

    Called by :func:`download_mendeley`. The manifest lists the MD5 of the 486 distinct full-resolution images of a
    re-upload of the release (from ``mendeley-distinct/manifest.tsv``). A downloaded file whose
    bytes the re-upload does not hold is "unknown": possibly MI(215), the one file of the published
    release that the re-upload lacks (most likely one more copy of MI(5); see
    ``ecgkeras.data.counts``), and any file the release stores with other bytes than the re-upload.

    Returns:
        ``{"files": n, "matched": k, "unknown": [paths], "wrong_class": [(path, class in the
        manifest)], "missing": number of manifest images not found}``.
    """
    expected = {row["md5"]: class_from_folder(row["class"]) for row in _packaged_manifest()}
    candidates, _ = _scan(root)
    unknown, wrong_class, seen = [], [], set()
    for path, label in candidates:
        digest = file_md5(path)
        seen.add(digest)
        if digest not in expected:
            unknown.append(str(path))
        elif expected[digest] != label:
            wrong_class.append((str(path), CLASS_NAMES[expected[digest]]))
    return {
        "files": len(candidates),
        "matched": len(candidates) - len(unknown) - len(wrong_class),
        "unknown": unknown,
        "wrong_class": wrong_class,
        "missing": len(set(expected) - seen),
    }


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
    cached = _cached_images(config.cache_dir() / "mendeley")
    if cached is not None:
        return cached
    return download_mendeley() if download else None


def _digitizer_version() -> str:
    """Changes whenever ``ecgkeras.data.digitize`` changes, so stale cached signals are not reused."""
    from ecgkeras.data import digitize

    return hashlib.md5(Path(digitize.__file__).read_bytes()).hexdigest()[:12]


def load_mendeley(root, *, cache: bool = True, progress: bool = True) -> ECGDataset:
    """Index and digitize every image under ``root``: the real data set as an ``ECGDataset``.

    Chapter 3. Each distinct file (MD5) is digitized once; with ``cache`` its signals are
    stored in ``config.cache_dir() / "digitized"`` under its MD5, so a rerun only re-indexes. Files
    that cannot be indexed or digitized are skipped and listed in ``info["skipped"]``.

    Returns:
        ``ECGDataset`` with signals float32 (n, 250, 12) in mV, rhythm float32 (n, 1000),
        labels, groups (copies share one) and files; ``info`` has ``source="mendeley"``,
        ``root``, ``skipped`` and ``index`` (the ``ImageIndex``).
    """
    from ecgkeras.data.digitize import digitize_report

    index = index_folder(root)
    samples_per_lead, rhythm_samples = int(LEAD_SECONDS * FS), int(RHYTHM_SECONDS * FS)
    store = config.cache_dir() / "digitized" / _digitizer_version()
    if cache:
        store.mkdir(parents=True, exist_ok=True)
    signals, failed = {}, {}
    todo = list(dict.fromkeys(index.md5))
    for done, digest in enumerate(todo, start=1):
        cached = store / f"{digest}-{samples_per_lead}-{rhythm_samples}.npz"
        if cache and cached.exists():
            with np.load(cached) as stored:
                signals[digest] = (stored["leads"], stored["rhythm"])
        else:
            path = index.files[index.md5.index(digest)]
            try:
                report = digitize_report(
                    path, samples_per_lead=samples_per_lead, rhythm_samples=rhythm_samples
                )
            except (ValueError, OSError) as err:
                failed[digest] = f"could not be digitized: {err}"
            else:
                signals[digest] = (report.leads, report.rhythm)
                if cache:
                    np.savez(cached, leads=report.leads, rhythm=report.rhythm)
        if progress and (done == len(todo) or done % max(1, len(todo) // 10) == 0):
            print(f"digitized {done}/{len(todo)} distinct images, {len(failed)} failed", flush=True)
    keep = [i for i, digest in enumerate(index.md5) if digest in signals]
    skipped = index.skipped + [(index.files[i], failed[d]) for i, d in enumerate(index.md5) if d in failed]
    if not keep:
        path, reason = skipped[-1]
        raise ValueError(f"{root}: no image could be digitized; for example {path}: {reason}")
    return ECGDataset(
        signals=np.stack([signals[index.md5[i]][0].T for i in keep]),
        rhythm=np.stack([signals[index.md5[i]][1] for i in keep]),
        labels=index.labels[keep],
        groups=index.groups[keep],
        files=tuple(index.files[i] for i in keep),
        info={"source": "mendeley", "root": str(root), "skipped": skipped, "index": index},
    )
