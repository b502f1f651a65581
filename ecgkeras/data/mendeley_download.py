"""Downloading the Mendeley images once, extracting them safely and checking them whole (chapters 1 and 12).

``download_mendeley`` fetches the release's zip (or a ``file://`` copy), extracts it with
``extract_zip`` (which refuses members that would land outside the target, and archives beyond
``MAX_EXTRACTED_BYTES`` or ``MAX_ARCHIVE_FILES``), checks the images against the packaged manifest
(``verify_images``), and only then marks the download complete (a ``.complete`` file), so that a
partial or altered download is never taken for the data set.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import stat
import tempfile
import urllib.parse
import urllib.request
import warnings
import zipfile
from pathlib import Path, PurePosixPath

from ecgkeras import config
from ecgkeras.data.class_folders import class_root, scan_class_folders
from ecgkeras.data.dataset import CLASS_NAMES, class_from_folder
from ecgkeras.data.image_file import file_md5
from ecgkeras.data.release import packaged_manifest, release_names

MENDELEY_PAGE = "https://data.mendeley.com/datasets/gwbz3fsgp8/2"
#: The one place the download URL lives: Mendeley Data's zip of version 2 (about 0.8 GB).
MENDELEY_URL = "https://data.mendeley.com/public-api/zip/gwbz3fsgp8/download/2"
#: SHA256 of the archive at MENDELEY_URL. TO BE FILLED IN from the first verified download
#: (``pooch.file_hash(path)``); until then ``download_mendeley`` warns loudly and checks every
#: extracted image against the packaged per-image manifest instead.
MENDELEY_SHA256: str | None = None
#: ``extract_zip`` refuses an archive that expands to more bytes or holds more files than this
#: (the release is about 0.8 GB in 928 files), checked on the sizes the archive declares and again
#: while extracting.
MAX_EXTRACTED_BYTES = 2 * 10**9
MAX_ARCHIVE_FILES = 5000
#: How many images of a class a download may hold that the packaged manifest cannot list: the
#: manifest comes from a re-upload that lacks one myocardial-infarction file of the release
#: (``PUBLISHED_FILES_NOT_IN_REUPLOAD``) and, by an older estimate, up to five abnormal-heartbeat
#: images (``ecgkeras.data.counts``). Label in ``CLASS_NAMES`` -> count.
UNLISTED_ALLOWANCE = {1: 5, 2: 1}

_ARCHIVE_NAME = "gwbz3fsgp8-v2.zip"
_COMPLETE_MARKER = ".complete"
_MANUAL_ROUTE = (
    f"download the zip by hand from {MENDELEY_PAGE}, extract it, and set "
    "ECGKERAS_MENDELEY_DIR to the extracted folder"
)


def extract_zip(archive, target) -> Path:
    """Extract a zip into ``target`` after checking every member (for :func:`download_mendeley`).

    Refuses the whole archive, before writing anything, when a member has an absolute path,
    a ".." part, or is a symbolic link (such members could write outside ``target``), or when the
    archive declares more than ``MAX_ARCHIVE_FILES`` files or ``MAX_EXTRACTED_BYTES`` bytes once
    extracted. The bytes are counted again while extracting (a declared size can lie): past the
    limit, the files written so far are removed and the archive is refused.

    Returns:
        ``target`` as a Path.
    """
    archive, target = Path(archive), Path(target)
    try:
        with zipfile.ZipFile(archive) as opened:
            members = opened.infolist()
            for member in members:
                problem = _unsafe(member, target)
                if problem:
                    raise ValueError(
                        f"{archive}: refusing to extract member {member.filename!r}: {problem}. "
                        "Nothing was extracted; the archive is damaged or malicious, "
                        f"or else {_MANUAL_ROUTE}"
                    )
            files = [member for member in members if not member.is_dir()]
            declared = sum(member.file_size for member in files)
            if len(files) > MAX_ARCHIVE_FILES or declared > MAX_EXTRACTED_BYTES:
                raise ValueError(
                    f"{archive}: refusing to extract {len(files)} files of {declared} bytes in all: more than "
                    f"{MAX_ARCHIVE_FILES} files or {MAX_EXTRACTED_BYTES} bytes (the release has 928 files, "
                    f"about 0.8 GB). Nothing was extracted; the archive is not the data set's, or else {_MANUAL_ROUTE}"
                )
            target.mkdir(parents=True, exist_ok=True)
            _extract_counting(opened, members, archive, target)
    except zipfile.BadZipFile as err:
        raise ValueError(f"{archive}: not a valid zip archive ({err}); delete it, download again") from err
    return target


def _extract_counting(opened: zipfile.ZipFile, members, archive: Path, target: Path) -> None:
    """Write each member, counting the bytes really written; past ``MAX_EXTRACTED_BYTES``, undo and refuse."""
    written, total = [], 0
    try:
        for member in members:
            path = target / member.filename.replace("\\", "/")
            if member.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            written.append(path)
            with opened.open(member) as source, open(path, "wb") as sink:
                while chunk := source.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_EXTRACTED_BYTES:
                        raise ValueError(
                            f"{archive}: refusing to extract: its files expand to more than {MAX_EXTRACTED_BYTES} "
                            f"bytes (more than they declare; at {member.filename!r}). The files written were "
                            f"removed; the archive is damaged or malicious, or else {_MANUAL_ROUTE}"
                        )
                    sink.write(chunk)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


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


def downloaded_images(dest) -> Path | None:
    """The class folders' parent of a complete download into ``dest`` (``dest / "images"`` marked
    complete by :func:`download_mendeley`), or None when there is none."""
    images = Path(dest) / "images"
    return class_root(images) if (images / _COMPLETE_MARKER).exists() else None


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
    cached = downloaded_images(dest)
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
        try:
            found = class_root(extracting)
        except ValueError as err:
            raise ValueError(f"{url}: {err}; the archive may have changed: {_MANUAL_ROUTE}") from err
        if check_images:
            checked = verify_images(found)
            if progress or checked["unlisted"] or not checked["complete"]:
                print(f"checked {checked['files']} images against the manifest: {checked['matched']} match, "
                      f"{len(checked['unlisted'])} not listed but allowed ({', '.join(checked['unlisted']) or 'none'})",
                      flush=True)
            if not checked["complete"]:
                raise ValueError(f"{url}: the download is not the data set the book knows, so it is not used: "
                                 + "; ".join(checked["problems"]) + f". Delete {dest} to try again, or {_MANUAL_ROUTE}")
    except BaseException:
        shutil.rmtree(extracting, ignore_errors=True)
        raise
    (extracting / _COMPLETE_MARKER).touch()
    shutil.rmtree(dest / "images", ignore_errors=True)
    extracting.rename(dest / "images")
    return class_root(dest / "images")


def verify_images(root) -> dict:
    """Check every image under ``root``'s class folders against the packaged MD5 manifest.

    Called by :func:`download_mendeley`, which uses the download only when ``"complete"`` is True.
    The manifest lists the MD5 of the 486 distinct full-resolution images of a re-upload of the
    release (``ecgkeras.data.counts``). What it cannot list is allowed up to ``UNLISTED_ALLOWANCE``
    per class (MI(215), the one release file the re-upload lacks, and up to five abnormal-heartbeat
    images) and named in ``"unlisted"``; the five manifest images that no release file shows
    (``DISTINCT_IMAGES_NOT_IN_REBUILT_RELEASE``) may be missing. Anything else is a problem: more
    unknown files in a class than allowed, a file in another class than the manifest's, a manifest
    image missing (or altered, so that its MD5 is not found).

    Returns:
        ``{"files": n, "matched": k, "unknown": [paths whose MD5 the manifest lacks], "unlisted":
        [those of them allowed], "wrong_class": [(path, class in the manifest)], "missing": number
        of manifest images not found, "missing_unexpected": ["class/file" of those not allowed to
        be missing], "problems": [one sentence each], "complete": no problem}``.
    """
    rows = packaged_manifest()
    expected = {row["md5"]: class_from_folder(row["class"]) for row in rows}
    may_be_missing = {row["md5"] for row in rows if not release_names(row)}
    candidates = scan_class_folders(root).images
    unknown, wrong_class, seen = [], [], set()
    for path, label in candidates:
        digest = file_md5(path)
        seen.add(digest)
        if digest not in expected:
            unknown.append((str(path), label))
        elif expected[digest] != label:
            wrong_class.append((str(path), CLASS_NAMES[expected[digest]]))
    problems, unlisted = [], []
    for label, name in enumerate(CLASS_NAMES):
        mine = [path for path, found in unknown if found == label]
        if len(mine) <= UNLISTED_ALLOWANCE.get(label, 0):
            unlisted.extend(mine)
        else:
            problems.append(f"{len(mine)} {name} images that the manifest does not list (at most "
                            f"{UNLISTED_ALLOWANCE.get(label, 0)} allowed): {', '.join(mine[:5])}"
                            + (" ..." if len(mine) > 5 else ""))
    if wrong_class:
        problems.append(f"{len(wrong_class)} images in another class than the manifest's: "
                        + ", ".join(f"{path} (the manifest's class: {name})" for path, name in wrong_class[:5]))
    missing_unexpected = sorted(f"{row['class']}/{row['file']}" for row in rows
                                if row["md5"] not in seen and row["md5"] not in may_be_missing)
    if missing_unexpected:
        problems.append(f"{len(missing_unexpected)} manifest images missing or altered: "
                        + ", ".join(missing_unexpected[:5]) + (" ..." if len(missing_unexpected) > 5 else ""))
    return {
        "files": len(candidates),
        "matched": len(candidates) - len(unknown) - len(wrong_class),
        "unknown": [path for path, _ in unknown],
        "unlisted": unlisted,
        "wrong_class": wrong_class,
        "missing": len(set(expected) - seen),
        "missing_unexpected": missing_unexpected,
        "problems": problems,
        "complete": not problems,
    }
