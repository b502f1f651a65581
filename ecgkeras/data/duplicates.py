"""Copies of one ECG among report images: exact and re-encoded, and the groups they make (chapter 3).

The Mendeley release's files are not all distinct ECGs (``ecgkeras.data.counts``): many files are
byte-identical copies, and re-uploads found online may hold re-encoded copies too.
``index_folder`` finds both kinds and gives every copy of one ECG the same group id, which is
what a leak-free split (``ecgkeras.data.splits``) needs.

- exact copies: same MD5 of the file's bytes;
- re-encoded copies (another JPEG quality, slightly resized): a small "ink map" fingerprint,
  one bit per cell of an 80 x 60 grid laid over the image saying whether the cell holds ink
  (a pixel darker than ``INK_LEVEL``); two images whose maps differ in at most
  ``near_duplicate_bits`` of the 4800 cells are treated as copies.

One image (same MD5) in two class folders cannot have both labels: ``index_class_folders`` refuses
it, naming both paths, unless told to skip such images (``conflicts="skip"``: counted and named).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ecgkeras.data.class_folders import SKIP_OUTSIDE_CLASS_FOLDERS, scan_class_folders
from ecgkeras.data.dataset import CLASS_NAMES
from ecgkeras.data.image_file import SKIP_UNREADABLE_FILE, SKIP_UNREADABLE_IMAGE, file_md5, open_image

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
#: What ``index_class_folders`` may do with one image in two class folders.
CONFLICT_POLICIES = ("error", "skip")
#: The kind of skip (``ImageIndex.skip_counts``) of an image skipped under ``conflicts="skip"``.
SKIP_CLASS_CONFLICT = "same image (MD5) in two class folders"


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
        found: image files found (in class folders or not): ``len(files)`` plus those skipped.
        skip_counts: files (or folders) not indexed, per kind of reason.
        unknown_folders: folders holding images that are not class folders (their images are skipped).
    """

    root: str
    files: list[str]
    labels: np.ndarray
    md5: list[str]
    fingerprints: np.ndarray
    groups: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)
    found: int = 0
    skip_counts: dict[str, int] = field(default_factory=dict)
    unknown_folders: list[str] = field(default_factory=list)

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


def index_folder(root, *, near_duplicate_bits: int = NEAR_DUPLICATE_BITS) -> ImageIndex:
    """Index every image in the class folders under ``root`` and group copies of one ECG.

    Chapter 3. Class folders are found recursively (``scan_class_folders``) and may carry the
    published long names or short ones. Exact copies share an MD5; re-encoded copies have
    fingerprints at most ``near_duplicate_bits`` apart. Unreadable files are skipped and reported
    with the reason, as are image files outside class folders. One image in two class folders is
    an error (``index_class_folders`` can skip such images instead).

    Raises:
        FileNotFoundError: ``root`` does not exist.
        ValueError: no class folders, an empty class folder, no readable image at all, or one
            image (MD5) in two class folders.
    """
    return index_class_folders(root, near_duplicate_bits=near_duplicate_bits)


def index_class_folders(root, *, near_duplicate_bits: int = NEAR_DUPLICATE_BITS, conflicts: str = "error"
                        ) -> ImageIndex:
    """:func:`index_folder`, with a choice for one image (same MD5) found in two class folders.

    Args:
        root: the folder holding the class folders.
        near_duplicate_bits: fingerprints at most this many bits apart are copies.
        conflicts: ``"error"`` (a ``ValueError`` naming every path of each such image) or
            ``"skip"`` (leave out all its copies: counted and named in ``skipped``).
    """
    if near_duplicate_bits < 0:
        raise ValueError(f"near_duplicate_bits must be >= 0, got {near_duplicate_bits}")
    if conflicts not in CONFLICT_POLICIES:
        raise ValueError(f"conflicts must be one of {list(CONFLICT_POLICIES)}, got {conflicts!r}")
    scan = scan_class_folders(root)
    skip = scan.skip  # what the index leaves out is recorded with what the scan left out
    readable = []
    for path, label in scan.images:
        try:
            readable.append((path, label, file_md5(path)))
        except OSError as err:
            skip(path, f"could not be read ({err.strerror or err})", SKIP_UNREADABLE_FILE)
    conflicting = _class_conflicts(readable)
    if conflicting and conflicts == "error":
        raise ValueError(f"{root}: the same image is in two class folders, so its label is unknown: "
                         + "; ".join(" and ".join(paths) for paths in conflicting.values())
                         + ". Remove the copy in the wrong folder, or pass conflicts='skip' to leave such "
                         "images out")
    files, labels, md5, prints = [], [], [], []
    print_of = {}
    for path, label, digest in readable:
        if digest in conflicting:
            skip(path, f"{SKIP_CLASS_CONFLICT}: {' and '.join(conflicting[digest])}", SKIP_CLASS_CONFLICT)
            continue
        if digest not in print_of:
            try:
                with open_image(io.BytesIO(path.read_bytes()), str(path), load=False) as image:
                    print_of[digest] = fingerprint(image)
            except ValueError as err:
                skip(path, str(err), SKIP_UNREADABLE_IMAGE)
                continue
            except OSError as err:
                skip(path, f"damaged or truncated image ({err}); download it again", SKIP_UNREADABLE_IMAGE)
                continue
        files.append(str(path))
        labels.append(label)
        md5.append(digest)
        prints.append(print_of[digest])
    if not files:
        raise ValueError(f"{root}: no readable image in any class folder; skipped: {scan.skipped}")
    fingerprints = np.array(prints, dtype=np.uint8)
    outside = scan.skip_counts.get(SKIP_OUTSIDE_CLASS_FOLDERS, 0)
    return ImageIndex(
        root=str(root),
        files=files,
        labels=np.array(labels, dtype=np.int64),
        md5=md5,
        fingerprints=fingerprints,
        groups=group_copies(md5, fingerprints, near_duplicate_bits),
        skipped=scan.skipped,
        found=len(scan.images) + outside,
        skip_counts=scan.skip_counts,
        unknown_folders=scan.unknown_folders,
    )


def _class_conflicts(readable) -> dict[str, list[str]]:
    """MD5 -> paths, for every image found in more than one class folder."""
    labels_of, paths_of = {}, {}
    for path, label, digest in readable:
        labels_of.setdefault(digest, set()).add(label)
        paths_of.setdefault(digest, []).append(f"{path} ({CLASS_NAMES[label]})")
    return {digest: paths_of[digest] for digest, labels in labels_of.items() if len(labels) > 1}
