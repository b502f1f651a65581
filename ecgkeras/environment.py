"""What a chapter runs on: versions, quick/full mode, GPU. Printed by the cell after each title."""

from __future__ import annotations

import importlib.metadata
import platform
import sys

from ecgkeras import config


#: What the environment cell says in Colab without a GPU (lines of at most 77 characters).
#: Changing the runtime type starts a fresh machine, so the install cell must run again.
COLAB_GPU_ADVICE = (
    "GPU: none. Every chapter also runs on this CPU; full mode just takes longer.",
    "For a GPU: Runtime > Change runtime type > T4 GPU. That starts a fresh",
    "machine: then Runtime > Run all, so that the install cell runs again.",
)


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def gpu_names() -> list[str]:
    """Names of the GPUs TensorFlow can use (empty on a CPU-only machine)."""
    import tensorflow as tf

    return [device.name for device in tf.config.list_physical_devices("GPU")]


def describe_environment() -> str:
    """One line per fact: Python and package versions, the mode, and whether a GPU is present."""
    lines = [f"Python {platform.python_version()}"]
    for package in ("ecgkeras", "numpy", "tensorflow", "tensorflow-cpu", "keras", "PyWavelets"):
        try:
            lines.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    if config.is_quick():
        lines.append("mode: quick (ECGKERAS_QUICK=1): small data, few epochs")
    else:
        lines.append("mode: full (set ECGKERAS_QUICK=1 for a quick run)")
    gpus = gpu_names()
    if gpus:
        lines.append(f"GPU: {', '.join(gpus)}")
    elif in_colab():
        lines.extend(COLAB_GPU_ADVICE)
    else:
        lines.append("GPU: none (every chapter runs on a CPU; full mode just takes longer)")
    return "\n".join(lines)


#: The libraries whose versions each run file records (``run_provenance``).
RECORDED_PACKAGES = ("ecgkeras", "numpy", "scipy", "tensorflow", "keras", "scikit-learn",
                     "imbalanced-learn", "PyWavelets")


def code_version() -> str:
    """The git commit ``ecgkeras`` runs from, with ``+modified`` when tracked files differ from
    it; ``"unknown"`` outside a clone of the book's repository or without git."""
    import subprocess

    root = config.repository_root()
    if root is None:
        return "unknown"
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                 cwd=root, capture_output=True, text=True, check=True,
                                 timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}+modified" if changed else commit


def run_provenance() -> dict:
    """What made a run, for comparing runs (every ``reproduce`` run file holds it): ``{"code_version", "python",
    "packages": {name: version}, "gpu": [names]}``. Recorded in each run file, not in
    ``settings.json``, so that it never blocks a folder from resuming."""
    packages = {}
    for package in RECORDED_PACKAGES:
        try:
            packages[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            packages[package] = None
    return {"code_version": code_version(), "python": platform.python_version(),
            "packages": packages, "gpu": gpu_names()}
