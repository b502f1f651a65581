"""``ecgkeras bench digitize --against REV``: this code's digitizer against another version's, in one run.

A faster digitizer is only welcome if it reads the same signals, and a changed one should say how
much its signals moved. :func:`bench_digitize` digitizes the same images under two versions of
the package (``digitize_report`` with its defaults), alternately, each in a fresh Python process
(``ecgkeras.versions``), and reports the best time per image of each, their ratio, and how well
the two versions' signals agree, image by image: the Pearson correlation of the 12 leads and the
rhythm strip together (:func:`compare_signals`), and the images that one version refuses
(``ValueError``) and the other digitizes.

The other version is a git revision of this repository (``"HEAD"``: the last commit, against the
working tree) or a folder holding an ``ecgkeras`` package, as for ``ecgkeras bench train``. Only
``digitize_report``, its report's ``leads`` and ``rhythm`` and its ``ValueError`` are used, so a
version that adds attributes to the report or refuses other images still compares.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from ecgkeras.data.digitize_batch import image_files
from ecgkeras.versions import alternate, other_version, package_root

#: Correlation below which an image's signals count as changed between the versions.
R_AGREE = 0.999

#: What one child process runs: ``digitize_report`` on every file (timed after the imports), then
#: the signals (NaN where refused) and the refusals written to ``settings["out"]`` (.npz).
_CHILD = r"""
import json, sys, time
settings = json.loads(sys.argv[1])
import numpy as np
import ecgkeras
from ecgkeras.data.digitize import digitize_report
files = settings["files"]
leads = np.full((len(files), 12, 250), np.nan, dtype=np.float32)
rhythm = np.full((len(files), 1000), np.nan, dtype=np.float32)
refused = {}
start = time.perf_counter()  # after the imports: the digitizing only
for i, file in enumerate(files):
    try:
        report = digitize_report(file)
    except ValueError as error:  # refused: recorded, not fatal
        refused[file] = str(error)
    else:
        leads[i], rhythm[i] = report.leads, report.rhythm
seconds = time.perf_counter() - start
np.savez(settings["out"], leads=leads, rhythm=rhythm, files=np.array(files, dtype=str),
         refused_files=np.array(list(refused), dtype=str),
         refused_reasons=np.array(list(refused.values()), dtype=str))
print(json.dumps({"module": ecgkeras.__file__, "seconds": seconds, "refused": len(refused)}))
"""


def bench_digitize(paths, against: str = "HEAD", *, repeat: int = 3, timeout: float | None = None) -> dict:
    """Time ``digitize_report`` on ``paths`` under this code and under ``against``; compare the signals.

    The two versions run alternately (this, other, this, ...), ``repeat`` times each, every run
    a new process that digitizes every image once, so that a slow spell of a shared machine hits
    both; the fastest run of each counts. Only the digitizing is timed (reading the files
    included, Python's start and the imports not). The signals of each version's last run are
    compared image by image (:func:`compare_signals`).

    Args:
        paths: image files and/or folders (searched recursively, ``image_files``).
        against: a git revision of the repository this package lives in (``"HEAD"``,
            ``"HEAD~1"``, a commit) or a folder holding an ``ecgkeras`` package.
        repeat: runs per version (>= 1); about 1 s per image per run at 2213 x 1572 px.
        timeout: seconds allowed per run (default: 60 + 30 per image).

    Returns:
        dict with ``against``, ``repeat``, ``images`` (n), ``size`` ((width, height) px of the
        first image), ``folder`` (the images' common folder), ``this`` and ``other`` (each:
        ``root``, ``seconds`` per run, ``best`` s, ``ms_per_image`` of the best run, ``refused``:
        how many images it refused), ``ratio``
        (this ms_per_image / other's: below 1, this code is faster) and the agreement of
        :func:`compare_signals`.

    Raises:
        ValueError: ``repeat`` < 1, no images in ``paths``, or ``against`` is no version.
    """
    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be an integer >= 1, got {repeat!r}")
    files = [str(Path(file).resolve()) for file in image_files(paths)]  # the children run elsewhere
    with Image.open(files[0]) as first:
        size = first.size
    this_root = package_root()
    with tempfile.TemporaryDirectory(prefix="ecgkeras-bench-digitize-") as folder:
        scratch = Path(folder)
        roots = {"this": this_root, "other": other_version(against, this_root, scratch)}
        settings = {version: {"files": files, "out": str(scratch / f"{version}.npz")} for version in roots}
        runs = alternate(roots, _CHILD, settings, repeat=repeat, scratch=scratch,
                         timeout=timeout or 60.0 + 30.0 * len(files))
        signals = {version: read_signals(settings[version]["out"]) for version in roots}
    result = {"against": against, "repeat": repeat, "images": len(files), "size": size,
              "folder": os.path.commonpath([os.path.dirname(file) for file in files])}
    for version, root in roots.items():
        seconds = [run["seconds"] for run in runs[version]]
        result[version] = {"root": str(root), "seconds": seconds, "best": min(seconds),
                           "ms_per_image": 1000.0 * min(seconds) / len(files),
                           "refused": len(signals[version]["refused"])}
    result["ratio"] = result["this"]["ms_per_image"] / result["other"]["ms_per_image"]
    result.update(compare_signals(signals["this"], signals["other"]))
    return result


def read_signals(path) -> dict:
    """One version's signals as its child wrote them (.npz).

    Returns:
        dict with ``files`` (n paths), ``leads`` float32 (n, 12, 250) and ``rhythm`` float32
        (n, 1000) in mV (NaN where refused), ``refused``: file -> the ``ValueError``'s message.
    """
    with np.load(path, allow_pickle=False) as stored:
        return {"files": stored["files"].tolist(), "leads": stored["leads"], "rhythm": stored["rhythm"],
                "refused": dict(zip(stored["refused_files"].tolist(), stored["refused_reasons"].tolist()))}


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two arrays of the same size, flattened.

    1.0 for equal arrays (constant ones included), 0.0 where only one is constant, NaN where a
    value is not finite.
    """
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"cannot correlate {a.size} values with {b.size}")
    if np.array_equal(a, b):
        return 1.0
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.nan
    a, b = a - a.mean(), b - b.mean()
    scale = math.sqrt(float(a @ a) * float(b @ b))
    return float(np.clip(a @ b / scale, -1.0, 1.0)) if scale > 0 else 0.0


def compare_signals(this: dict, other: dict) -> dict:
    """How well two versions' signals of the same images agree (:func:`read_signals`'s dicts).

    Per image digitized by both, the Pearson r (:func:`pearson`) of its 12 leads and rhythm strip
    concatenated (12 x 250 + 1000 values).

    Returns:
        dict with ``compared`` (images digitized by both), ``min_r`` (NaN when none) and
        ``min_r_file`` (None when none), ``below`` (images with r < :data:`R_AGREE`, or NaN),
        ``refused_by_this_only`` and ``refused_by_other_only`` (file -> message) and
        ``refused_by_both`` (files).

    Raises:
        ValueError: the two hold different files.
    """
    files = list(this["files"])
    if files != list(other["files"]):
        raise ValueError("the two versions digitized different files; compare the same list")
    r = {}
    for i, file in enumerate(files):
        if file not in this["refused"] and file not in other["refused"]:
            r[file] = pearson(np.concatenate([this["leads"][i].ravel(), this["rhythm"][i].ravel()]),
                              np.concatenate([other["leads"][i].ravel(), other["rhythm"][i].ravel()]))
    worst = min(r, key=lambda file: r[file] if not math.isnan(r[file]) else -math.inf, default=None)
    return {"compared": len(r), "min_r": math.nan if worst is None else r[worst], "min_r_file": worst,
            "below": sum(not value >= R_AGREE for value in r.values()),
            "refused_by_this_only": {f: m for f, m in this["refused"].items() if f not in other["refused"]},
            "refused_by_other_only": {f: m for f, m in other["refused"].items() if f not in this["refused"]},
            "refused_by_both": [f for f in files if f in this["refused"] and f in other["refused"]]}


def format_bench_digitize(result: dict) -> str:
    """The lines ``ecgkeras bench digitize --against REV`` prints for a :func:`bench_digitize` result."""
    r = result

    def version(label, v):
        runs = ", ".join(f"{s:.2f}" for s in v["seconds"])
        return (f"  {label} ({v['root']}): {v['ms_per_image']:.0f} ms/image (runs: {runs} s), "
                f"refused {v['refused']}")

    width, height = r["size"]
    return "\n".join([f"digitize: {r['images']} images (the first {width} x {height} px), digitize_report's "
                      f"defaults; best of {r['repeat']}, versions alternating",
                      version("this code", r["this"]), version(f"against {r['against']}", r["other"]),
                      f"  ratio this/other: {r['ratio']:.2f} (time per image; below 1: this code is faster)",
                      *_agreement_lines(r)])


def _agreement_lines(r: dict) -> list[str]:
    """:func:`format_bench_digitize`'s lines on the signals: r, refusals (files relative to ``r["folder"]``)."""

    def name(file):
        return os.path.relpath(file, r["folder"])

    lines = [f"  signals of the last runs (per image 12 x 250 lead + 1000 rhythm values): {r['compared']} "
             f"images digitized by both, {len(r['refused_by_both'])} refused by both",
             f"  Pearson r between the versions: min {r['min_r']:.6f}"
             + (f" ({name(r['min_r_file'])})" if r["min_r_file"] else "")
             + f"; {r['below']} images below {R_AGREE}"]
    if r["refused_by_both"]:
        lines.append(f"  refused by both: {', '.join(map(name, r['refused_by_both']))}")
    for label, refused in (("this code", r["refused_by_this_only"]), (r["against"], r["refused_by_other_only"])):
        lines.append(f"  refused by {label} only: {len(refused) or 'none'}")
        lines += [f"    {name(file)}: {message.removeprefix(f'{file}: ')[:200]}" for file, message in refused.items()]
    return lines
