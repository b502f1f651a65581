"""Writing a file whole or not at all: the one atomic write of the package.

The ``reproduce`` folder (``ecgkeras.results``), the analysis (``ecgkeras.analyze``) and the cache
of digitized signals (``ecgkeras.data.digitize_batch``) all write through :func:`atomic_file`, so
an interrupted command never leaves a half-written file that a later one would trust.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_file(path: Path):
    """An open binary file that becomes ``path`` only when the ``with`` block ends without error.

    The bytes go to a hidden temporary file of a unique name in the same folder (``.<name>.<hex>.partial``),
    which is then renamed to ``path`` (one step: a reader sees the old file or the whole new one).
    On an error the temporary file is removed and ``path`` is left as it was::

        with atomic_file(out / "settings.json") as file:
            file.write(text.encode())
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    try:
        with open(temporary, "xb") as file:
            yield file
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_file`."""
    with atomic_file(path) as file:
        file.write(text.encode("utf-8"))
