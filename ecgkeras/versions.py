"""Another version of the package, for the benchmarks that compare this code with it.

``ecgkeras bench train`` and ``ecgkeras bench digitize --against REV`` run the same work under
this code and under another version, each in a fresh Python process. This module is the one
home of that: :func:`other_version` finds or extracts the other version (a git revision of this
repository, exported with ``git archive``, or a folder holding an ``ecgkeras`` package),
:func:`run_version` runs a piece of code under one version (its folder first on ``PYTHONPATH``)
and checks that the child imported ``ecgkeras`` from that folder, and :func:`alternate` runs
both versions in turn, ``repeat`` times, so that a slow spell of a shared machine hits both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path


def package_root() -> Path:
    """The folder holding this ``ecgkeras`` package: the clone, or site-packages when installed."""
    return Path(__file__).resolve().parent.parent


def other_version(against: str, this_root: Path, scratch: Path) -> Path:
    """The folder whose ``ecgkeras`` package is the other version, extracted from git if needed.

    Args:
        against: a folder holding an ``ecgkeras`` package, the package folder itself, or a git
            revision of the repository at ``this_root`` (``"HEAD"``, ``"HEAD~1"``, a commit).
        this_root: the folder holding this package (:func:`package_root`), a git clone for a revision.
        scratch: a folder to extract a revision into (``scratch / "other"``).

    Raises:
        ValueError: ``against`` is neither such a folder nor a revision git can export.
    """
    folder = Path(against)
    if (folder / "ecgkeras" / "__init__.py").is_file():
        return folder.resolve()
    if folder.name == "ecgkeras" and (folder / "__init__.py").is_file():
        return folder.resolve().parent
    no_package = "a folder without an ecgkeras package (no ecgkeras/__init__.py in it), and"
    if not (this_root / ".git").exists():
        what = no_package if folder.is_dir() else "not a folder holding an ecgkeras package, and"
        raise ValueError(f"--against {against!r}: {what} {this_root} is not a git clone to take a revision "
                         "from; give a folder")
    archive = scratch / "other.tar"
    command = ["git", "-C", str(this_root), "archive", "--format=tar", f"--output={archive}",
               against, "ecgkeras"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        what = f"{no_package} not a revision" if folder.is_dir() else "git cannot export ecgkeras/ at that revision"
        raise ValueError(f"--against {against!r}: {what} ({completed.stderr.strip()}); give a revision such "
                         "as HEAD or HEAD~1, or a folder")
    root = scratch / "other"
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            tar.extractall(root, filter="data")
        else:
            tar.extractall(root)  # git's own archive of this repository
    return root


def run_version(root: Path, code: str, settings: dict, scratch: Path, timeout: float) -> dict:
    """Run ``code`` in a fresh Python process with ``root``'s package first on the path.

    The child runs ``python -c code json.dumps(settings)`` in ``scratch`` (``sys.argv[1]`` holds
    the settings) and prints its result as JSON on its last line of output, with ``"module"``:
    ``ecgkeras.__file__`` as it imported it.

    Args:
        root: the folder holding the ``ecgkeras`` package to run (:func:`other_version`).
        code: Python source of the child.
        settings: JSON-serializable settings passed to the child.
        scratch: the child's working folder.
        timeout: seconds allowed for the child.

    Returns:
        the child's JSON result.

    Raises:
        RuntimeError: the child failed, or imported ``ecgkeras`` from somewhere else than ``root``.
        subprocess.TimeoutExpired: it ran past ``timeout``.
    """
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    completed = subprocess.run([sys.executable, "-c", code, json.dumps(settings)], cwd=scratch, check=False,
                               env=environment, capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"the benchmark run of {root} failed (exit {completed.returncode}):\n"
                           f"{completed.stderr[-3000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    module = Path(result["module"]).resolve()
    if root.resolve() not in module.parents:
        raise RuntimeError(f"the benchmark run meant for {root} imported ecgkeras from {module}; "
                           "is another ecgkeras first on the path?")
    return result


def alternate(roots: dict, code: str, settings: dict, *, repeat: int, scratch: Path,
              timeout: float) -> dict:
    """Run ``code`` under each version in turn (this, other, this, other, ...), ``repeat`` times each.

    Args:
        roots: version name (e.g. ``"this"``, ``"other"``) -> folder holding its package, in the
            order to run them.
        settings: version name -> the settings of its child (:func:`run_version`).
        repeat, scratch, timeout: runs per version; as in :func:`run_version` (timeout per run).

    Returns:
        version name -> the list of its children's JSON results, in the order they ran.
    """
    runs = {version: [] for version in roots}
    for _ in range(repeat):
        for version, root in roots.items():
            runs[version].append(run_version(root, code, settings[version], scratch, timeout))
    return runs
