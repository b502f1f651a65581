"""The results folder of ``ecgkeras reproduce``: its names, how it is written, how it is read (chapters 7-12).

One folder per ``reproduce`` command (the committed ones are under ``results/``, listed in
:data:`PUBLISHED_RUNS`)::

    <out>/
        settings.json               the command's settings (data, protocol, folds, leads, ...)
        loading.json                what loading the data found, used and skipped (and why)
        .reproduce.lock             held while a ``reproduce`` command writes the folder (not committed)
        runs/<name>.json            one finished run: metrics, history, confusion matrix, provenance
        predictions/<name>.npz      its test fold: labels, probabilities, groups, files, features_<view>
        results.csv                 tidy: one row per data, protocol, leads, model, fold, seed, metric
        summary.md, summary.png     mean and spread per model, with the majority baseline
        analysis/                   analysis.json and figures (``ecgkeras analyze``, chapters 9 and 10)

``<name>`` is :func:`run_name`, e.g. ``hybrid_1_fold0_seed0``.

Who writes it: ``ecgkeras.experiment.reproduce`` (:func:`folder_lock`, :func:`claim_folder`, :func:`save_run`, then
``results.csv`` and the summary) and ``ecgkeras.analyze.analyze`` (``analysis/``). Every file is
written with :func:`atomic_file`, so an interrupted command never leaves a half-written file that
a rerun would trust; a run file is written last, and its presence marks the run as finished.

Who reads it: :func:`finished_runs` and :func:`read_results` (``reproduce``, ``ecgkeras
analyze``), ``ecgkeras.analyze.load_predictions`` (the predictions), and the chapters 7-12 through
:func:`published_results`, :func:`published_folder` and :func:`published_analysis`.

Importing this module does not import Keras (only :func:`summarize` does, for the models' order).
"""

from __future__ import annotations

import json
import os
import re
import warnings
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ecgkeras import config
from ecgkeras.atomic import atomic_file, write_text_atomically  # noqa: F401  (also imported from here)
from ecgkeras.stats import METRICS  # the metrics written per run, in the order of the summary

#: How ``data`` is recorded when its folder is the one ``ECGKERAS_MENDELEY_DIR`` names.
MENDELEY_DIR_VARIABLE = "$ECGKERAS_MENDELEY_DIR"


# Names ------------------------------------------------------------------------------------------

def model_slug(model_name: str) -> str:
    """A model's name in file and layer names: ``"Hybrid 1"`` -> ``"hybrid_1"``."""
    return re.sub(r"[^0-9a-z]+", "_", model_name.lower()).strip("_")


def run_name(model_name: str, fold: int, seed: int) -> str:
    """File stem of one run, e.g. ``"hybrid_1_fold0_seed0"``."""
    return f"{model_slug(model_name)}_fold{fold}_seed{seed}"


# Writing ----------------------------------------------------------------------------------------

def changed_settings(out: Path, settings: dict) -> list[str] | None:
    """The settings that differ from those ``out/settings.json`` records, or None when it records none.

    ``data`` counts as the same when it names the same folder in another spelling (:func:`_same_data`).
    """
    recorded = Path(out) / "settings.json"
    if not recorded.exists():
        return None
    previous = json.loads(recorded.read_text())
    current = json.loads(json.dumps(settings))
    changed = sorted(k for k in current | previous if k != "data" and previous.get(k) != current.get(k))
    if not _same_data(previous.get("data"), current.get("data")):
        changed = sorted([*changed, "data"])
    return changed


def claim_folder(out: Path, settings: dict) -> None:
    """Create ``out`` and record the settings; refuse a folder used with other settings.

    ``data`` is recorded as :func:`portable_data` gives it. A folder that recorded the same data
    folder in another spelling resumes (:func:`_same_data`); if it recorded an absolute path, its
    ``settings.json`` is rewritten with the portable form. ``reproduce`` holds :func:`folder_lock`
    while it claims and writes the folder.
    """
    out.mkdir(parents=True, exist_ok=True)
    recorded = out / "settings.json"
    current = json.loads(json.dumps(settings))
    portable = current | {"data": portable_data(current["data"])} if "data" in current else current
    changed = changed_settings(out, settings)
    if changed is not None:
        previous = json.loads(recorded.read_text())
        if changed:
            unset = ("data" in changed and MENDELEY_DIR_VARIABLE in str(previous.get("data"))
                     and not os.environ.get("ECGKERAS_MENDELEY_DIR"))
            raise ValueError(f"{out} holds runs made with other settings ({', '.join(changed)} differ); "
                             + ("it records data as mendeley:$ECGKERAS_MENDELEY_DIR, which is not set: set "
                                "it to the images' folder; or " if unset else "")
                             + "use another --out folder, or delete this one to start again")
        if _is_absolute_data(previous.get("data")):
            write_text_atomically(recorded, json.dumps(previous | {"data": portable["data"]}, indent=1))
    else:
        write_text_atomically(recorded, json.dumps(portable, indent=1))
    (out / "runs").mkdir(exist_ok=True)
    (out / "predictions").mkdir(exist_ok=True)


#: The lock file ``reproduce`` holds in its ``--out`` folder while it writes there (not a run file;
#: ignored by git). It stays after the command ends, unlocked: the lock is the open file's, which the
#: system releases when the process ends, however it ends, so a crashed run leaves no stale lock.
LOCK_FILE = ".reproduce.lock"


class FolderInUse(RuntimeError):
    """Another process holds the lock of a ``reproduce`` folder (:func:`folder_lock`)."""


@contextmanager
def folder_lock(out: Path):
    """Hold an exclusive lock on the folder ``out`` (created) for the ``with`` block: one writer at a time.

    Two ``reproduce`` commands with the same ``--out`` would train the same runs twice and write
    each other's files; the second one is refused with :class:`FolderInUse`, naming the folder and
    the lock file. The lock is an ``fcntl.flock`` on ``out/LOCK_FILE``, released when the block ends
    or the process dies. On systems without ``fcntl`` (Windows) there is no lock: do not run two
    commands on one folder there.

    Yields:
        The lock file's path, or None where locks are not available.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock (documented above)
        yield None
        return
    path = out / LOCK_FILE
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            raise FolderInUse(f"{out} is in use by another `ecgkeras reproduce`"
                              + (f" (process {holder})" if holder else "")
                              + f": it holds the lock file {path}. Wait for it to end, or use another --out "
                              "folder") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save_run(out: Path, model_name: str, fold: int, seed: int, result, splits, features: dict,
              report, environment: dict) -> None:
    """Write the predictions, then the run file (its presence marks the run as finished).

    Args:
        result: the ``ecgkeras.experiment.RunResult`` of the run.
        splits: its ``{"train", "val", "test"}`` datasets (the test split's labels, groups, files are saved).
        features: ``ecgkeras.experiment.branch_features`` of the test split, float32 (n_test, 64) per branch.
        report: the fold's report from ``ecgkeras.experiment.cv_folds``.
        environment: :func:`ecgkeras.environment.run_provenance` taken when ``reproduce`` started
            (the code it loaded then; later edits to the checkout do not change a running process).
    """
    name = run_name(model_name, fold, seed)
    test = splits["test"]
    with atomic_file(out / "predictions" / f"{name}.npz") as file:
        np.savez_compressed(file, labels=test.labels, probabilities=result.probabilities, groups=test.groups,
                            files=np.array(test.files or [], dtype=str), **features)
    values = {metric: result.metrics[metric] for metric in METRICS}
    values |= {"majority_baseline": result.metrics["majority_baseline"], "epochs": len(result.history["loss"]),
               "seconds": result.seconds, "seconds_per_epoch": result.seconds_per_epoch,
               "train_size": report["sizes"]["train"], "test_size": report["sizes"]["test"]}
    run = {"model": model_name, "fold": fold, "seed": seed, "values": values, "history": result.history,
           "confusion_matrix": result.metrics["confusion_matrix"].tolist(),
           "class_names": list(test.class_names), "leaked": report["leaked"],
           "oversampling": report["oversampling"], "environment": environment}
    write_text_atomically(out / "runs" / f"{name}.json", json.dumps(run, indent=1))


# Portable data names (no absolute path of this machine is recorded) --------------------------

def portable_path(path) -> str:
    """``path`` as results may record it: never this machine's absolute path.

    Relative to the current directory when ``path`` lies under it or under its parent (from the
    repository root, ``/work/shared/data/x`` gives ``../shared/data/x``); else its last part alone
    (``/tmp/abc/images`` gives ``images``). POSIX separators.
    """
    absolute = os.path.abspath(os.path.expanduser(os.fspath(path)))
    try:
        relative = Path(os.path.relpath(absolute, os.getcwd()))
    except ValueError:  # another drive (Windows)
        return Path(absolute).name
    climbs = len(relative.parts) - len([part for part in relative.parts if part != ".."])
    return relative.as_posix() if climbs <= 1 else Path(absolute).name


def portable_data(data):
    """``data`` as ``reproduce`` records it (``settings.json``, so ``results.csv``, ``summary.md``).

    ``"mendeley:$ECGKERAS_MENDELEY_DIR"`` when the folder is the one ``ECGKERAS_MENDELEY_DIR``
    names; else ``"mendeley:"`` and :func:`portable_path` of the folder (from the repository root,
    ``"mendeley:../shared/data/mendeley-distinct"``); ``"synthetic"`` as it is.
    ``ecgkeras.experiment.load_data`` reads every form, and a folder recorded in one form resumes
    with another.
    """
    if not isinstance(data, str) or not data.startswith("mendeley:"):
        return data
    spec = data.removeprefix("mendeley:")
    if _names_variable(spec):
        return data
    variable = config.mendeley_dir()
    if variable is not None and Path(spec).expanduser().resolve() == variable.resolve():
        return f"mendeley:{MENDELEY_DIR_VARIABLE}"
    return f"mendeley:{portable_path(spec)}"


def _names_variable(spec: str) -> bool:
    return spec == MENDELEY_DIR_VARIABLE or spec.startswith(f"{MENDELEY_DIR_VARIABLE}/")


def expand_variable(spec: str) -> str:
    """A ``data`` folder as this machine reads it (``reproduce``, ``ecgkeras.experiment.load_data``):
    ``spec`` with a leading ``$ECGKERAS_MENDELEY_DIR`` replaced by that variable's value, when set."""
    value = os.environ.get("ECGKERAS_MENDELEY_DIR")
    if value and _names_variable(spec):
        return value + spec.removeprefix(MENDELEY_DIR_VARIABLE)
    return spec


def _same_data(recorded, current) -> bool:
    """Whether two ``data`` values name the same data, however the folder is spelled.

    Equal values, or ``mendeley:`` folders that are one folder here (a relative path, an absolute
    one, ``$ECGKERAS_MENDELEY_DIR``). Where one of them is no folder on this machine (an absolute
    path recorded on another machine, a folder's name alone), folders of the same name count as
    the same.
    """
    if recorded == current:
        return True
    if not all(isinstance(data, str) and data.startswith("mendeley:") for data in (recorded, current)):
        return False
    folders = [Path(expand_variable(data.removeprefix("mendeley:"))).expanduser().resolve()
               for data in (recorded, current)]
    if all(folder.is_dir() for folder in folders):
        return folders[0] == folders[1]
    return folders[0].name == folders[1].name


def _is_absolute_data(data) -> bool:
    return (isinstance(data, str) and data.startswith("mendeley:")
            and Path(data.removeprefix("mendeley:")).expanduser().is_absolute())


# Reading ----------------------------------------------------------------------------------------

#: What every run file holds; a file without one of these is broken.
RUN_KEYS = ("model", "fold", "seed", "values", "history", "confusion_matrix", "class_names")

#: What every predictions file holds.
PREDICTION_KEYS = ("labels", "probabilities", "groups")


class BrokenRunFile(ValueError):
    """A run or predictions file of a ``reproduce`` folder that cannot be read (emptied, cut short,
    or not written by ``reproduce``); the message names the file and says how to redo it."""


def read_run(path) -> dict:
    """One run file (``runs/<run name>.json``), checked.

    Raises:
        BrokenRunFile: the file is not JSON or lacks one of ``RUN_KEYS``; the message names it.
    """
    path = Path(path)
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BrokenRunFile(f"{path}: not a readable run file ({error}); {_redo_hint(path)}") from error
    missing = [key for key in RUN_KEYS if not isinstance(run, dict) or key not in run]
    if missing:
        raise BrokenRunFile(f"{path}: run file without {missing}; {_redo_hint(path)}")
    return run


def read_predictions(path) -> dict[str, np.ndarray]:
    """One predictions file (``predictions/<run name>.npz``) as arrays, checked.

    Raises:
        BrokenRunFile: the file is not a readable .npz or lacks one of ``PREDICTION_KEYS``.
    """
    path = Path(path)
    try:
        with np.load(path) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise BrokenRunFile(f"{path}: not a readable predictions file ({error}); {_redo_hint(path)}") from error
    missing = [key for key in PREDICTION_KEYS if key not in arrays]
    if missing:
        raise BrokenRunFile(f"{path}: predictions file without {missing}; {_redo_hint(path)}")
    return arrays


def _redo_hint(path: Path) -> str:
    return ("rerun the same `ecgkeras reproduce ... --out` command: it sets broken runs aside "
            f"(as *.broken) and does them again (folder {path.parent.parent})")


def run_is_finished(out, model_name: str, fold: int, seed: int) -> bool:
    """Whether ``reproduce`` may skip this run: its run and predictions files exist and read.

    A run whose files are broken (emptied or cut short, e.g. by a full disk) is not finished:
    its files are renamed ``*.broken`` with a warning that names them, and the run is done again.
    """
    out, name = Path(out), run_name(model_name, fold, seed)
    run_file, predictions_file = out / "runs" / f"{name}.json", out / "predictions" / f"{name}.npz"
    if not run_file.exists():
        return False
    try:
        read_run(run_file)
        read_predictions(predictions_file)
    except BrokenRunFile as error:  # a missing predictions file is one too
        for path in (run_file, predictions_file):
            if path.exists():
                os.replace(path, path.with_name(path.name + ".broken"))
        warnings.warn(f"{name}: redone, its files were broken and are set aside as *.broken: {error}",
                      stacklevel=2)
        return False
    return True


def finished_runs(folder) -> list[dict]:
    """The run files of a ``reproduce`` folder (``runs/*.json``, sorted by name), as dicts.

    Raises:
        FileNotFoundError: no run is finished yet.
    """
    folder = Path(folder)
    files = sorted((folder / "runs").glob("*.json"))
    if not files:
        raise FileNotFoundError(f"{folder}: no finished runs in {folder / 'runs'}; "
                                f"run `ecgkeras reproduce --out {folder}`")
    return [read_run(path) for path in files]


def read_results(folder):
    """The tidy results of a ``reproduce`` folder, from its finished run files.

    Returns:
        pandas DataFrame with columns data, protocol, leads, model, fold, seed, metric, value;
        metrics are ``METRICS`` plus "majority_baseline", "epochs", "seconds", "seconds_per_epoch"
        and "train_size", "test_size".
    """
    import pandas as pd

    folder = Path(folder)
    settings = json.loads((folder / "settings.json").read_text())
    rows = []
    for run in finished_runs(folder):
        for metric, value in run["values"].items():
            rows.append({"data": settings["data"], "protocol": settings["protocol"], "leads": settings["leads"],
                         "model": run["model"], "fold": run["fold"], "seed": run["seed"],
                         "metric": metric, "value": value})
    return pd.DataFrame(rows)


def summarize(results, metrics=("accuracy", "macro_f1")):
    """Mean and standard deviation over folds and seeds, per model (rows in ``MODEL_SPECS`` order).

    Args:
        results: the tidy DataFrame of :func:`read_results`.
        metrics: metric names to show.

    Returns:
        pandas DataFrame indexed by model, with columns ``f"{metric} mean"``, ``f"{metric} sd"``
        and "runs"; the last row, "Majority class", is the accuracy of always predicting the test
        fold's largest class.
    """
    import pandas as pd

    from ecgkeras.models import MODEL_SPECS

    wide = results.pivot_table(index=["model", "fold", "seed"], columns="metric", values="value").reset_index()
    order = [name for name in MODEL_SPECS if name in set(wide["model"])]
    table = pd.DataFrame(index=order)
    for metric in metrics:
        grouped = wide.groupby("model")[metric]
        table[f"{metric} mean"] = grouped.mean()
        table[f"{metric} sd"] = grouped.std(ddof=1)
    table["runs"] = wide.groupby("model").size()
    baseline = wide.drop_duplicates(["fold", "seed"])["majority_baseline"]
    majority = dict.fromkeys(table.columns, np.nan) | {"runs": len(baseline)}
    if "accuracy" in metrics:
        majority |= {"accuracy mean": baseline.mean(), "accuracy sd": baseline.std(ddof=1)}
    table.loc["Majority class"] = majority
    return table


def summary_markdown(results, metrics=METRICS) -> str:
    """A markdown table of :func:`summarize`: "mean ± sd" per model and metric."""
    table = summarize(results, metrics)
    first = results.iloc[0]
    runs = results.drop_duplicates(["fold", "seed"])
    lines = [f"Data {first['data']}, protocol {first['protocol']}, leads {first['leads']}: "
             f"{runs['fold'].nunique()} folds x {runs['seed'].nunique()} seed(s); mean ± sd over runs.", "",
             "| model | " + " | ".join(metrics) + " | runs |", "|---" * (len(metrics) + 2) + "|"]
    for model, row in table.iterrows():
        cells = ["" if np.isnan(row[f"{m} mean"]) else f"{row[f'{m} mean']:.3f} ± {row[f'{m} sd']:.3f}"
                 for m in metrics]
        lines.append(f"| {model} | " + " | ".join(cells) + f" | {int(row['runs'])} |")
    return "\n".join(lines) + "\n"


# The committed runs -----------------------------------------------------------------------------

#: The committed ``reproduce`` runs that the chapters read (7-12), by the title the chapters give
#: them; each folder's command is in ``results/README.md``. The leak-free runs of the real images
#: train every model with five seeds, the others with one.
PUBLISHED_RUNS = {
    "naive, 12 leads": "mendeley-distinct/naive-12-leads",
    "leak-free, 12 leads": "mendeley-distinct/leak-free-12-leads-5-seeds",
    "naive, lead II": "mendeley-distinct/naive-lead-II",
    "leak-free, lead II": "mendeley-distinct/leak-free-lead-II-5-seeds",
    "synthetic, leak-free": "synthetic/leak-free-12-leads",
}


def published_file(relative: str) -> Path:
    """A committed file under ``results/``, e.g. ``"synthetic/leak-free-12-leads/results.csv"``.

    Read in place when ``ecgkeras`` runs from a clone of the book's repository; else (Colab)
    downloaded once from the repository into ``config.cache_dir() / "results"``.

    Raises:
        FileNotFoundError: in a clone, the file is not there (``results/README.md`` names the
            command that makes it).
    """
    root = config.repository_root()
    if root is not None:
        local = root / "results" / relative
        if not local.is_file():
            raise FileNotFoundError(f"results/{relative} not found in this clone; see results/README.md for "
                                    "the command that makes it")
        return local
    import pooch

    target = config.cache_dir() / "results" / relative
    if target.is_file():
        return target
    url = f"{config.REPOSITORY}/raw/{config.BRANCH}/results/{relative}"
    try:
        return Path(pooch.retrieve(url, known_hash=None, path=target.parent, fname=target.name,
                                   progressbar=False))
    except Exception as error:  # noqa: BLE001 - no network, a wrong URL, a file not published
        raise PublishedResultsUnavailable(relative, url, target, error) from error


class PublishedResultsUnavailable(FileNotFoundError):
    """The committed results a chapter reads could not be found or downloaded.

    One message says what is missing, where it was looked for and how to get it.
    """

    def __init__(self, relative: str, url: str, target: Path, error: Exception):
        super().__init__(
            f"The committed results file results/{relative} is not available: ecgkeras is not "
            f"running from a clone of the book's repository, the file is not in the cache "
            f"({target}), and downloading it from {url} failed ({type(error).__name__}). "
            f"To get it: run the chapter from a clone of {config.REPOSITORY} (git clone, then "
            f"pip install -e .), or copy the repository's results/ folder to "
            f"$ECGKERAS_CACHE_DIR/results (ECGKERAS_CACHE_DIR defaults to ~/.cache/ecgkeras), or "
            f"check the network and the repository URL (ecgkeras.config.REPOSITORY)."
        )


def published_results(name: str):
    """The tidy results of a committed ``reproduce`` run, e.g. ``PUBLISHED_RUNS["leak-free, 12 leads"]``.

    Read with :func:`published_file` (in place in a clone, downloaded once in Colab). A name
    ending in ``.csv`` is read as it is (e.g. ``"mendeley-distinct/ablation-1d-cnn.csv"``).
    ``results/README.md`` names the command that made each file.

    Returns:
        pandas DataFrame (for a ``reproduce`` run: as :func:`read_results`).
    """
    import pandas as pd

    return pd.read_csv(published_file(name if name.endswith(".csv") else f"{name}/results.csv"))


def published_folder(name: str) -> Path:
    """A committed ``reproduce`` folder, ready for ``ecgkeras.analyze`` (chapters 9, 10 and 12).

    In a clone, the folder itself. Elsewhere (Colab), its ``settings.json``, ``results.csv`` and
    the run file and predictions of every finished run listed there are downloaded once (a few
    MB) into the cache folder, which is returned.

    Raises:
        FileNotFoundError: no such committed run (``results/README.md`` lists them).
    """
    results = published_results(name)
    folder = published_file(f"{name}/settings.json").parent
    for run in results[["model", "fold", "seed"]].drop_duplicates().itertuples(index=False):
        stem = run_name(run.model, run.fold, run.seed)
        published_file(f"{name}/runs/{stem}.json")
        published_file(f"{name}/predictions/{stem}.npz")
    return folder


def published_analysis(name: str) -> dict:
    """The committed ``analysis.json`` of a ``reproduce`` run (what ``ecgkeras analyze`` wrote
    into its ``analysis/`` folder), e.g. ``PUBLISHED_RUNS["leak-free, 12 leads"]``.

    Chapters 10 and 12 read it in quick mode instead of re-running the analysis over every
    seed. Read with :func:`published_file` (in place in a clone, downloaded once in Colab).
    """
    return json.loads(published_file(f"{name}/analysis/analysis.json").read_text())
