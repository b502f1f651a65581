"""Finding the class folders of a folder of report images, and what is in them (chapter 3).

A folder of the real data holds one folder per class, named by ``CLASS_FOLDER_NAMES`` (the short
names or the published long ones), possibly a few levels down (the archive wraps them in "ECG
Images dataset of Cardiac Patients"). :func:`scan_class_folders` lists the image files in them
with their labels, and counts and names everything it leaves out: image files in folders that are
not class folders (named in ``unknown_folders``), other files, hidden folders. A class folder
that is a symbolic link is followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ecgkeras.data.dataset import CLASS_FOLDERS, IMAGE_SUFFIXES, PUBLISHED_CLASS_FOLDERS, class_from_folder

#: Kinds of files a scan leaves out (keys of ``ClassFolderScan.skip_counts``).
SKIP_OUTSIDE_CLASS_FOLDERS = "image file outside the class folders"
SKIP_NOT_AN_IMAGE = "not an image file"
SKIP_HIDDEN_FOLDER = "hidden or macOS metadata folder"
SKIP_LINK_LOOP = "symbolic link back to a folder already scanned"

_KNOWN_NAMES = f"{', '.join(CLASS_FOLDERS)} (or the published long names such as {PUBLISHED_CLASS_FOLDERS[0]!r})"


@dataclass
class ClassFolderScan:
    """What :func:`scan_class_folders` found under a folder.

    Attributes:
        images: ``(path, label)`` of every image file in a class folder (or a folder inside one),
            sorted by path; labels index ``CLASS_NAMES``.
        class_folders: the class folders found.
        unknown_folders: folders that hold image files but are neither class folders nor inside one.
        skipped: ``(path, reason)`` for every file or folder left out.
        skip_counts: how many files (or folders, for hidden ones) were left out, per kind (``SKIP_*``).
    """

    images: list[tuple[Path, int]] = field(default_factory=list)
    class_folders: list[Path] = field(default_factory=list)
    unknown_folders: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    skip_counts: dict[str, int] = field(default_factory=dict)

    def skip(self, path, reason: str, kind: str, count: int = 1) -> None:
        """Record ``count`` files of one kind left out, with the reason shown for ``path``."""
        self.skipped.append((str(path), reason))
        self.skip_counts[kind] = self.skip_counts.get(kind, 0) + count


def scan_class_folders(root) -> ClassFolderScan:
    """The image files in the class folders under ``root``, with their labels, and what was left out.

    ``root`` itself may be a class folder, or hold them at any depth. A folder inside a class folder
    belongs to that class (the nearest class folder above a file decides its label).

    Raises:
        FileNotFoundError: ``root`` does not exist.
        NotADirectoryError: ``root`` is a file.
        ValueError: no class folder found, or a class folder holds no file.
    """
    root = Path(root).expanduser()
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such folder; pass the folder that holds the class folders "
                                f"({_KNOWN_NAMES})")
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is a file; pass the folder that holds the class folders")
    scan, seen = ClassFolderScan(), set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        folder = Path(folder)
        real = os.path.realpath(folder)
        if real in seen:
            subfolders.clear()
            scan.skip(folder, f"{SKIP_LINK_LOOP} ({real}); not scanned twice", SKIP_LINK_LOOP)
            continue
        seen.add(real)
        subfolders.sort()
        for name in [s for s in subfolders if s.startswith(".") or s == "__MACOSX"]:
            subfolders.remove(name)
            scan.skip(folder / name, "hidden or macOS metadata folder, not indexed", SKIP_HIDDEN_FOLDER)
        parts = (root.name, *folder.relative_to(root).parts)
        labels = [class_from_folder(part) for part in parts]
        label = next((found for found in reversed(labels) if found is not None), None)
        if labels[-1] is not None:
            scan.class_folders.append(folder)
        images = sorted(name for name in names if Path(name).suffix.lower() in IMAGE_SUFFIXES)
        if label is None:
            if images:
                scan.unknown_folders.append(str(folder))
                scan.skip(folder, f"{len(images)} image files in a folder that is not a class folder; rename it to "
                          f"one of {_KNOWN_NAMES} to use them", SKIP_OUTSIDE_CLASS_FOLDERS, count=len(images))
            continue
        for name in sorted(names):
            path = folder / name
            if name in images:
                scan.images.append((path, label))
            else:
                scan.skip(path, f"not an image file (expected {', '.join(IMAGE_SUFFIXES)})", SKIP_NOT_AN_IMAGE)
    if not scan.class_folders:
        raise ValueError(f"{root}: no class folders found; expected folders named {_KNOWN_NAMES}, possibly "
                         "a few levels down" + (f"; found images in {scan.unknown_folders}" if scan.unknown_folders
                                                else ""))
    for folder in scan.class_folders:
        if not any(path.is_file() for path in folder.rglob("*")):
            raise ValueError(f"{folder}: the class folder is empty; put its .jpg images back or remove it")
    scan.images.sort()
    return scan


def class_root(folder) -> Path:
    """The deepest folder holding all class folders under ``folder`` (e.g. in an extracted archive).

    Raises:
        ValueError: ``folder`` holds no class folder.
    """
    found = [Path(path) for path, _, _ in os.walk(folder, followlinks=True)
             if class_from_folder(Path(path).name) is not None]
    if not found:
        raise ValueError(f"{folder}: no class folders ({_KNOWN_NAMES}) in it")
    return Path(os.path.commonpath([path.parent for path in found]))
