"""Opening one report image file with Pillow, with errors that say what is wrong with the file.

Used by the digitizer (``ecgkeras.data.digitize.load_image``) and by the index of the real data
(``ecgkeras.data.duplicates.index_folder``), so that a damaged, unreadable or oversized file is the
same kind of error everywhere: a ``ValueError`` naming the file, which a batch counts as a skip.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError


#: Kinds of unusable files, as batches count them (``skip_counts`` of ``digitize_files`` and ``index_folder``).
SKIP_UNREADABLE_FILE = "file could not be read"
SKIP_UNREADABLE_IMAGE = "not a readable image (damaged, wrong format or too many pixels)"


def open_image(file, name: str, *, load: bool = True) -> Image.Image:
    """``PIL.Image.open(file)``, loaded, or a ``ValueError`` that names ``name`` and the problem.

    An image over Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS`` pixels; Pillow
    warns above it and refuses above twice it) is refused here in both cases: a report is a few
    million pixels, so a larger one is a wrong or malicious file, not a report.

    Args:
        file: a path or a binary file object.
        name: how the error message names the file (its path).
        load: read the pixels now (else later, on first use: then a damaged file raises
            ``OSError`` there; the pixel limit is checked here either way, from the header).

    Returns:
        The opened image (close it, or use it in a ``with`` block).

    Raises:
        ValueError: not an image Pillow reads, damaged or truncated, or over the pixel limit.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(file)
            if load:
                image.load()
        return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ValueError(
            f"{name}: too many pixels for a report image, over Pillow's decompression-bomb limit "
            f"(PIL.Image.MAX_IMAGE_PIXELS = {Image.MAX_IMAGE_PIXELS}): {err}. If you trust the file, "
            "raise PIL.Image.MAX_IMAGE_PIXELS before reading it"
        ) from err
    except UnidentifiedImageError as err:
        raise ValueError(f"{name}: not an image file that Pillow can read ({err})") from err
    except OSError as err:
        raise ValueError(f"{name}: the image is damaged or truncated ({err}); download it again") from err


def file_md5(path) -> str:
    """Hex MD5 digest of a file's bytes: equal digests are exact copies (the cache key of digitized signals)."""
    return hashlib.md5(Path(path).read_bytes()).hexdigest()
