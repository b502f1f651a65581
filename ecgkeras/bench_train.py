"""``ecgkeras bench train``: this code's training against another version's, in one run.

Issue 13 asks for training that is faster *at the same results*, so a speed figure alone is not
enough: :func:`bench_train` runs one fold of ``reproduce``'s work (the synthetic default, every
model, one seed) under two versions of the package, alternately, each in a fresh Python process,
and reports the best wall time of each together with the largest difference between their
per-epoch training losses. Two versions that train the same models give the same losses (within
1e-4, :data:`LOSS_ATOL`); a speed-up that changes them is a deliberate change of results.

The other version is a git revision of this repository (``"HEAD"``: the last commit, against
the working tree; ``"HEAD~1"``: the commit before) or a folder that holds an ``ecgkeras``
package. Each process imports its version through ``PYTHONPATH``; the child reports the file it
imported, and the benchmark checks it (``ecgkeras.versions``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ecgkeras.versions import alternate, other_version, package_root

#: Largest per-epoch training-loss difference that still counts as "the same results".
LOSS_ATOL = 1e-4

#: What one child process runs: ``reproduce``'s loop for one fold (views, then per model
#: ``train_and_evaluate`` and ``branch_features``), through names that every version has.
_CHILD = r"""
import dataclasses, json, sys, time
settings = json.loads(sys.argv[1])
import keras
import ecgkeras
from ecgkeras.experiment import branch_features, cv_folds, load_data, split_views, train_and_evaluate
from ecgkeras.models import MODEL_SPECS
from ecgkeras.train import TrainConfig
config = dataclasses.replace(TrainConfig.from_mode(), verbose=0)
start = time.perf_counter()  # after the imports: reproduce's work, not Python's start
dataset = load_data("synthetic", n=settings["n"])
splits, report = cv_folds(dataset, folds=settings["folds"], seed=settings["seed"])[settings["fold"]]
views = split_views(splits)
models = {}
for name in settings["models"] or list(MODEL_SPECS):
    result = train_and_evaluate(name, splits, views, train_config=config,
                                seed=1000 * settings["seed"] + settings["fold"])
    branch_features(result.model, views)
    models[name] = {"loss": result.history["loss"], "seconds": result.seconds,
                    "accuracy": result.metrics["accuracy"]}
    del result
    keras.utils.clear_session()
print(json.dumps({"module": ecgkeras.__file__, "seconds": time.perf_counter() - start,
                  "n": len(dataset), "models": models}))
"""


def bench_train(against: str = "HEAD", *, repeat: int = 3, n: int | None = None, folds: int = 3,
                fold: int = 0, seed: int = 0, models=None, timeout: float = 3600.0) -> dict:
    """Time one fold of ``reproduce`` under this code and under ``against``; compare the losses.

    Issue 13's speed figure. The two versions run alternately (this, other, this,
    other, ...), ``repeat`` times each, every run in a new process, so that a slow spell of a
    shared machine hits both; the fastest run of each counts. Quick or full mode comes from
    ``ECGKERAS_QUICK`` as everywhere (full: up to 40 epochs per model).

    Args:
        against: a git revision of the repository this package lives in (``"HEAD"``,
            ``"HEAD~1"``, a commit) or a folder holding an ``ecgkeras`` package.
        repeat: runs per version (>= 1).
        n: synthetic ECGs (default: ``config.SYNTHETIC_SIZE`` of the mode).
        folds, fold: the fold ``fold`` of ``folds``-fold cross-validation is trained.
        seed: seed of the folds; the weights get ``1000 * seed + fold``, as in ``reproduce``.
        models: model names (default: all seven).
        timeout: seconds allowed per run.

    Returns:
        dict with ``this`` and ``other`` (each: ``root``, ``seconds`` per run, ``best``,
        ``models`` of its first run: per model ``loss`` per epoch, ``seconds``, ``accuracy``),
        ``speedup`` (other's best / this best), ``max_loss_diff`` (largest per-epoch loss
        difference between the versions' first runs, over the epochs both trained),
        ``same_epochs``, ``same_results`` (same epochs and ``max_loss_diff <= LOSS_ATOL``) and
        the settings.
    """
    from ecgkeras import config

    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be an integer >= 1, got {repeat!r}")
    if not 0 <= fold < folds:
        raise ValueError(f"fold must lie in 0..{folds - 1} for {folds} folds, got {fold!r}")
    settings = {"n": n or config.synthetic_size(), "folds": folds, "fold": fold, "seed": seed,
                "models": list(models) if models else None}
    this_root = package_root()
    with tempfile.TemporaryDirectory(prefix="ecgkeras-bench-train-") as scratch:
        roots = {"this": this_root, "other": other_version(against, this_root, Path(scratch))}
        runs = alternate(roots, _CHILD, {"this": settings, "other": settings}, repeat=repeat,
                         scratch=Path(scratch), timeout=timeout)
    result = {"against": against, "repeat": repeat, "mode": config.mode(), **settings}
    for version, root in roots.items():
        seconds = [run["seconds"] for run in runs[version]]
        result[version] = {"root": str(root), "seconds": seconds, "best": min(seconds),
                           "models": runs[version][0]["models"]}
    result["speedup"] = result["other"]["best"] / result["this"]["best"]
    result.update(_compare_losses(result["this"]["models"], result["other"]["models"]))
    return result


def format_bench_train(result: dict) -> str:
    """The lines ``ecgkeras bench train`` prints for a :func:`bench_train` result."""
    r, this, other = result, result["this"], result["other"]

    def runs(seconds):
        return ", ".join(f"{s:.1f}" for s in seconds)

    lines = [
        f"train: {len(this['models'])} models x fold {r['fold']} of {r['folds']}, synthetic "
        f"{r['n']} ECGs, seed {r['seed']}, {r['mode']} mode; best of {r['repeat']}, versions alternating",
        f"  this code ({this['root']}): {this['best']:.1f} s (runs: {runs(this['seconds'])})",
        f"  against {r['against']}: {other['best']:.1f} s (runs: {runs(other['seconds'])})",
        f"  speed-up: {r['speedup']:.2f}x",
        f"  per-epoch training losses: max |difference| {r['max_loss_diff']:.1e} "
        f"(allowed {LOSS_ATOL:.0e}), same epochs: {'yes' if r['same_epochs'] else 'NO'}; "
        f"same results: {'yes' if r['same_results'] else 'NO'}",
        "  model               epochs (this/other)  seconds (this/other)  accuracy (this/other)",
    ]
    for name, mine in this["models"].items():
        theirs = other["models"].get(name)
        if theirs is None:
            lines.append(f"  {name:<19} not trained by {r['against']}")
            continue
        lines.append(f"  {name:<19} {len(mine['loss']):>6} / {len(theirs['loss']):<12}"
                     f"{mine['seconds']:>7.1f} / {theirs['seconds']:<12.1f}"
                     f"{mine['accuracy']:>7.3f} / {theirs['accuracy']:.3f}")
    return "\n".join(lines)


def _compare_losses(mine: dict, theirs: dict) -> dict:
    """Largest per-epoch loss difference over the epochs both trained; whether epochs agree."""
    diffs, same_epochs = [0.0], mine.keys() == theirs.keys()
    for name in mine.keys() & theirs.keys():
        a, b = mine[name]["loss"], theirs[name]["loss"]
        same_epochs = same_epochs and len(a) == len(b)
        diffs += [abs(x - y) for x, y in zip(a, b)]
    return {"max_loss_diff": max(diffs), "same_epochs": same_epochs,
            "same_results": same_epochs and max(diffs) <= LOSS_ATOL}
