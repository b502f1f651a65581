"""The whole study in one function: every model, on the same folds, under one protocol.

Chapters 4-8 train single models with :func:`train_and_evaluate`; ``ecgkeras reproduce`` (and
chapter 12) calls :func:`reproduce`, which runs every model on every fold and seed and writes:

- ``runs/<model>_fold<f>_seed<s>.json``: metrics, training history, time, sizes (one per run);
- ``predictions/<model>_fold<f>_seed<s>.npz``: the test fold's labels, probabilities, ECG ids
  (groups, files) and each branch's deep features (``features_<view>``);
- ``results.csv``: tidy, one row per data, protocol, leads, model, fold, seed, metric;
- ``summary.md`` and ``summary.png``: mean and spread per model, with the majority baseline.

A run's files are written to a temporary name and renamed when complete, so an interrupted
``reproduce`` never leaves a half-written file that a rerun would trust; a rerun skips the runs
already finished. The two protocols (chapter 3):

- ``"leak-free"`` (the book's): one file per ECG, k folds that keep each ECG in one fold
  (stratified by class), a validation split taken from the training folds, and oversampling of
  the training split alone.
- ``"naive"`` (the common one): all files (for the real images, the 927-file rebuilt release with
  its copies, ``ecgkeras.data.counts``), oversampled first, then k random folds of files.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ecgkeras import config
from ecgkeras.data.dataset import ECGDataset
from ecgkeras.data.splits import PROTOCOLS, group_kfold, leaked_share, one_file_per_ecg, oversample
from ecgkeras.environment import run_provenance

#: Metrics written per run (floats in 0..1), in the order of the summary table.
METRICS = ("accuracy", "macro_f1", "macro_precision", "macro_recall")

#: Synthetic ECGs per data set when ``data="synthetic"``: quick mode, full mode (800: all seven
#: models x 3 folds train in about half an hour on a 2-core CPU).
SYNTHETIC_SIZE = {"quick": 160, "full": 800}

#: Share of the training folds held out for validation (early stopping, learning-rate schedule).
VALIDATION_FRACTION = 0.15


@dataclass
class RunResult:
    """One trained and tested model.

    Attributes:
        model: the trained keras.Model.
        history: "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate" -> one float per epoch.
        probabilities: float32 (n_test, n_classes), the test split's predicted class probabilities.
        metrics: ``ecgkeras.evaluate.evaluate_predictions`` of the test split.
        seconds: wall time of training (s).
    """

    model: object
    history: dict
    probabilities: np.ndarray
    metrics: dict
    seconds: float

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds / max(1, len(self.history.get("loss", [])))


def load_data(data: str = "synthetic", *, protocol: str = "leak-free", n: int | None = None,
              seed: int = 0) -> ECGDataset:
    """The data set named by ``data``, as ``reproduce --data`` reads it.

    Args:
        data: ``"synthetic"`` (``ecgkeras.data.synthetic.make_dataset``) or ``"mendeley:PATH"``,
            a folder of Mendeley report images (class folders); ``"mendeley:$ECGKERAS_MENDELEY_DIR"``
            is the folder that variable names. Under the naive protocol a folder of distinct images
            with a ``manifest.tsv`` (``../shared/data/mendeley-distinct``) is first rebuilt into the
            927-file release with its copies (``ecgkeras.data.counts.REBUILT_RELEASE_COUNTS``;
            symbolic links in the cache folder).
        protocol: one of ``PROTOCOLS``.
        n: synthetic ECGs (default ``SYNTHETIC_SIZE`` of the current mode).
        seed: seed of the synthetic data.

    Returns:
        An ``ECGDataset``: signals float32 (n, 250, 12) in mV, labels, groups (copies share one).
    """
    _check_choice("protocol", protocol, PROTOCOLS)
    if data == "synthetic":
        from ecgkeras.data.synthetic import make_dataset

        return make_dataset(n or SYNTHETIC_SIZE[config.mode()], seed=seed)
    if not isinstance(data, str) or not data.startswith("mendeley:"):
        raise ValueError(f"data must be 'synthetic' or 'mendeley:PATH' (a folder of report images), got {data!r}")
    from ecgkeras.data.mendeley import load_mendeley, rebuild_release

    root = Path(_expand_variable(data.removeprefix("mendeley:"))).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"data={data!r}: no folder {root}; give the folder that holds the "
                                "class folders of the Mendeley images (see chapter 1 for the download)")
    if protocol == "naive" and (root / "manifest.tsv").is_file():
        root = rebuild_release(root, config.cache_dir() / "release", link="symlink")
    dataset = load_mendeley(root, progress=False)
    if len(dataset) == 0:
        raise ValueError(f"data={data!r}: no image could be read")
    return dataset


def cv_folds(dataset: ECGDataset, *, protocol: str = "leak-free", folds: int = 5, seed: int = 0,
             balance: str | None = "adasyn") -> list[tuple[dict[str, ECGDataset], dict]]:
    """Training, validation and test sets of each fold of k-fold cross-validation.

    Args:
        dataset: all samples with their groups (``ECGDataset.groups``: copies share one).
        protocol: ``"leak-free"`` or ``"naive"`` (see the module docstring).
        folds: k >= 2; every ECG ("leak-free") or file ("naive") is tested once.
        seed: seed of the folds, the validation split and the oversampling.
        balance: "adasyn" (SMOTE where ADASYN refuses), "smote", or None for no oversampling.

    Returns:
        One ``(splits, report)`` per fold: ``splits`` = ``{"train", "val", "test"}`` datasets
        (train oversampled), ``report`` = ``{"fold", "oversampling" (the ``oversample`` report),
        "leaked" (share of real test samples whose ECG is in training), "sizes"}``.
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    _check_choice("protocol", protocol, PROTOCOLS)
    if not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2, got {folds!r}")
    if len(dataset) == 0:
        raise ValueError("dataset is empty; there is nothing to split")
    balance_report = None
    if protocol == "naive":
        if balance is not None:
            dataset, balance_report = oversample(dataset, method=balance, seed=seed)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        pairs = list(splitter.split(np.zeros(len(dataset)), dataset.labels))
    else:
        dataset = one_file_per_ecg(dataset)
        pairs = group_kfold(dataset.labels, dataset.groups, k=folds, seed=seed)
    result = []
    for fold, (train_index, test_index) in enumerate(pairs):
        n_val = max(int(np.ceil(VALIDATION_FRACTION * len(train_index))), len(np.unique(dataset.labels)))
        fit_index, val_index = train_test_split(train_index, test_size=n_val,
                                                stratify=dataset.labels[train_index], random_state=seed)
        splits = {"train": dataset.subset(np.sort(fit_index)), "val": dataset.subset(np.sort(val_index)),
                  "test": dataset.subset(test_index)}
        if protocol == "leak-free" and balance is not None:
            splits["train"], balance_report = oversample(splits["train"], method=balance, seed=seed)
        result.append((splits, {"fold": fold, "oversampling": balance_report,
                                "leaked": leaked_share(splits["train"], splits["test"]),
                                "sizes": {name: len(part) for name, part in splits.items()}}))
    return result


def split_views(splits: dict[str, ECGDataset], views=None) -> dict[str, dict[str, np.ndarray]]:
    """The model inputs of every split: ``{"train": {"time": ..., "scalogram": ..., ...}, ...}``.

    Views are computed per sample (``ecgkeras.views.make_views``), after oversampling, so the
    synthetic training samples get views of their own and nothing is fitted across samples.
    """
    from ecgkeras.views import VIEW_NAMES, make_views

    return {name: make_views(part.signals, fs=part.fs, views=views or VIEW_NAMES)
            for name, part in splits.items()}


def input_shapes(views: dict[str, dict[str, np.ndarray]]) -> dict[str, tuple]:
    """View name -> input shape without the batch axis, from the output of :func:`split_views`."""
    return {view: array.shape[1:] for view, array in views["train"].items()}


def train_and_evaluate(model_name, splits: dict[str, ECGDataset], views: dict, *,
                       train_config=None, seed: int = 0, **model_options) -> RunResult:
    """Train one model on "train", stop on "val", test it on "test".

    Chapters 5-8 (section "Training and testing"): the steps chapter 4 writes out with
    ``compile`` and ``fit``, in one call.

    Args:
        model_name: a key of ``ecgkeras.models.MODEL_SPECS``, e.g. ``"Hybrid 1"`` (the model is
            built with ``build_model``), or a ``keras.Model`` already built (e.g. on a chapter's
            page) whose inputs are named after views.
        splits: ``{"train", "val", "test"}`` datasets (labels and class names are read here).
        views: :func:`split_views` of ``splits``.
        train_config: ``ecgkeras.train.TrainConfig`` (default: the current mode's).
        seed: seeds the weights (when the model is built here), shuffling and dropout.
        **model_options: passed to ``ecgkeras.models.build_model``, e.g. ``dropout=0.5`` (only
            with a model name).
    """
    import keras

    from ecgkeras.evaluate import evaluate_predictions, predict_proba
    from ecgkeras.models import MODEL_SPECS, build_model
    from ecgkeras.train import TrainConfig, fit

    missing = [name for name in ("train", "val", "test") if name not in splits or name not in views]
    if missing:
        raise ValueError(f"splits and views need 'train', 'val' and 'test'; missing {missing}")
    class_names = splits["train"].class_names
    if isinstance(model_name, keras.Model):
        if model_options:
            raise ValueError(f"model options {sorted(model_options)} apply only when a model name is "
                             "given; this model is already built")
        model = model_name
        model_views = [tensor.name for tensor in model.inputs]
        unknown = [view for view in model_views if view not in views["train"]]
        if unknown:
            raise ValueError(f"model {model.name!r} has inputs {unknown} that are not views of "
                             f"`views` ({sorted(views['train'])}); name each keras.Input after its view")
    else:
        _check_choice("model_name", model_name, tuple(MODEL_SPECS))
        model_views = MODEL_SPECS[model_name][0]
        model = build_model(model_name, input_shapes(views), n_classes=len(class_names), seed=seed,
                            **model_options)
    inputs = {name: {view: views[name][view] for view in model_views} for name in ("train", "val", "test")}
    start = time.perf_counter()
    history = fit(model, inputs["train"], splits["train"].labels, inputs["val"], splits["val"].labels,
                  config=train_config or TrainConfig.from_mode(), seed=seed)
    seconds = time.perf_counter() - start
    probabilities = predict_proba(model, inputs["test"])
    metrics = evaluate_predictions(splits["test"].labels, probabilities, class_names)
    history = {key: [float(v) for v in values] for key, values in history.history.items()}
    return RunResult(model, history, probabilities, metrics, seconds)


def run_name(model_name: str, fold: int, seed: int) -> str:
    """File stem of one run, e.g. ``"hybrid_1_fold0_seed0"``."""
    return f"{re.sub(r'[^0-9a-z]+', '_', model_name.lower()).strip('_')}_fold{fold}_seed{seed}"


def reproduce(data: str = "synthetic", *, protocol: str = "leak-free", folds: int = 5, seeds: int = 1,
              leads: str = "all", models=None, out, n_synthetic: int | None = None, train_config=None,
              progress: bool = True):
    """Train and test every model on every fold and seed; write tidy results to ``out``.

    Args:
        data: ``"synthetic"`` or ``"mendeley:PATH"`` (see :func:`load_data`).
        protocol: ``"leak-free"`` or ``"naive"``.
        folds: k of k-fold cross-validation (>= 2).
        seeds: repetitions with seeds 0..seeds-1 (other folds, weights and oversampling).
        leads: ``"all"`` (12 leads) or one lead name, e.g. ``"II"`` (the study's single signal).
        models: names from ``MODEL_SPECS`` (default: all seven).
        out: output folder (created). A rerun with the same settings resumes; other settings
            in a used folder raise an error. No absolute path of this machine is written there:
            ``settings.json`` (and so ``results.csv``, ``summary.md``, ``summary.png``) records
            ``data`` as :func:`portable_data` gives it, and the predictions name each test file
            relative to the data folder.
        n_synthetic: synthetic ECGs (default ``SYNTHETIC_SIZE`` of the current mode).
        train_config: ``TrainConfig`` (default: quick or full, from the mode).
        progress: print one line per run.

    Returns:
        The tidy results as a pandas DataFrame (also in ``out/results.csv``).
    """
    import keras
    import matplotlib.pyplot as plt

    from ecgkeras.models import MODEL_SPECS
    from ecgkeras.train import TrainConfig

    _check_choice("protocol", protocol, PROTOCOLS)
    models = list(MODEL_SPECS) if models is None else list(models)
    unknown = [name for name in models if name not in MODEL_SPECS]
    if unknown or not models:
        raise ValueError(f"models must name one or more of {list(MODEL_SPECS)}, got {unknown or models}")
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
    if not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2, got {folds!r}")
    train_config = train_config or TrainConfig.from_mode()
    out = Path(out)
    settings = {"data": data, "protocol": protocol, "folds": folds, "leads": leads,
                "n_synthetic": n_synthetic or (SYNTHETIC_SIZE[config.mode()] if data == "synthetic" else None),
                "train_config": vars(train_config) | {"verbose": None}}
    _claim_folder(out, settings)
    environment = run_provenance()
    dataset = _relative_files(load_data(data, protocol=protocol, n=settings["n_synthetic"]))
    if leads != "all":
        dataset = dataset.select_leads((leads,))
    total, done = seeds * folds * len(models), 0
    for seed in range(seeds):
        for splits, report in cv_folds(dataset, protocol=protocol, folds=folds, seed=seed):
            fold = report["fold"]
            todo = [m for m in models if not (out / "runs" / f"{run_name(m, fold, seed)}.json").exists()]
            done += len(models) - len(todo)
            if not todo:
                continue
            if progress:
                sizes, balance = report["sizes"], report["oversampling"]
                print(f"fold {fold}, seed {seed}: train {sizes['train']} "
                      f"({balance['message'] if balance else 'not oversampled'}), val {sizes['val']}, "
                      f"test {sizes['test']}; test ECGs also in training: {report['leaked']:.0%}", flush=True)
            views = split_views(splits)
            for model_name in todo:
                result = train_and_evaluate(model_name, splits, views, train_config=train_config,
                                            seed=1000 * seed + fold)
                _save_run(out, model_name, fold, seed, result, splits, views, report, environment)
                done += 1
                if progress:
                    print(f"[{done}/{total}] {model_name}, fold {fold}, seed {seed}: "
                          f"accuracy {result.metrics['accuracy']:.3f}, macro F1 {result.metrics['macro_f1']:.3f} "
                          f"({len(result.history['loss'])} epochs, {result.seconds:.0f} s)", flush=True)
                del result
                keras.utils.clear_session()  # frees the finished model; else every model stays in memory
    results = read_results(out)
    _atomic_write(out / "results.csv", results.to_csv(index=False))
    _atomic_write(out / "summary.md", summary_markdown(results))
    figure = plot_summary(results)
    figure.savefig(out / "summary.png", dpi=120, bbox_inches="tight")
    plt.close(figure)
    return results


def finished_runs(folder) -> list[dict]:
    """The run files of a ``reproduce`` folder (``runs/*.json``, sorted by name), as dicts.

    Raises:
        FileNotFoundError: no run is finished yet.
    """
    folder = Path(folder)
    files = sorted((folder / "runs").glob("*.json"))
    if not files:
        raise FileNotFoundError(f"{folder}: no finished runs in {folder / 'runs'}; run `ecgkeras reproduce --out {folder}`")
    return [json.loads(path.read_text()) for path in files]


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
    """The committed results a chapter reads could not be found or downloaded (chapters 7-12).

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


def plot_summary(results, metrics=("accuracy", "macro_f1")):
    """Bar chart of mean ± sd per model and metric, with the majority-class accuracy as a line.

    Drawn in the book style (``ecgkeras.plot``): at the book's width, metrics told apart by
    colour and hatching, the legend below the bars.
    """
    from ecgkeras.plot import PALETTE, REFERENCE_COLOR, book_figure, book_style, enforce_book_fonts, wrap_label

    table = summarize(results, metrics)
    models = [name for name in table.index if name != "Majority class"]
    with book_style():
        fig, ax = book_figure(1, 1, height_in=3.8)
        width = 0.8 / len(metrics)
        for i, metric in enumerate(metrics):
            ax.bar(np.arange(len(models)) + (i - (len(metrics) - 1) / 2) * width, table.loc[models, f"{metric} mean"],
                   width, yerr=table.loc[models, f"{metric} sd"], capsize=3, label=metric.replace("_", " "),
                   color=PALETTE[i % len(PALETTE)], hatch=("", "//", "..", "xx")[i % 4], edgecolor="white",
                   linewidth=0.5)
        ax.axhline(table.loc["Majority class", "accuracy mean"], color=REFERENCE_COLOR, linestyle="--",
                   label="majority class (accuracy)")
        first = results.iloc[0]
        ax.set(xticks=np.arange(len(models)), ylim=(0, 1),
               title=f"{first['data']}, {first['protocol']}, leads {first['leads']}")
        ax.set_xticklabels([wrap_label(model, 11) for model in models])
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=len(metrics) + 1)
        enforce_book_fonts(fig)
    return fig


def plot_runs(runs: dict, metric: str = "accuracy"):
    """Several ``reproduce`` runs side by side: mean ± sd of one metric per model (chapter 12).

    Args:
        runs: title -> tidy results of :func:`read_results` / :func:`published_results`, e.g.
            ``{"naive, 12 leads": ..., "leak-free, 12 leads": ...}``.
        metric: one of ``METRICS``.

    Returns:
        The matplotlib Figure: one row per model, one marker per run (mean over folds and seeds,
        bars ± sd), and each run's majority-class accuracy as a dotted line of its colour. Runs
        differ by colour and marker shape (book style, ``ecgkeras.plot``); the legend is above.
    """
    from ecgkeras.plot import MARKERS, PALETTE, book_figure, book_style, enforce_book_fonts

    if not runs:
        raise ValueError("runs must hold at least one title -> results table")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    tables = {title: summarize(results, (metric,)) for title, results in runs.items()}
    models = list(dict.fromkeys(m for table in tables.values() for m in table.index if m != "Majority class"))
    with book_style():
        fig, ax = book_figure(1, 1, height_in=0.5 * len(models) + 0.3 * -(-len(tables) // 2) + 1.4)
        offsets = np.linspace(-0.25, 0.25, len(tables)) if len(tables) > 1 else [0.0]
        for i, (title, table) in enumerate(tables.items()):
            rows = [m for m in models if m in table.index]
            colour = PALETTE[i % len(PALETTE)]
            ax.errorbar(table.loc[rows, f"{metric} mean"], [models.index(m) + offsets[i] for m in rows],
                        xerr=table.loc[rows, f"{metric} sd"], fmt=MARKERS[i % len(MARKERS)], capsize=3, color=colour,
                        label=title)
            if metric == "accuracy":
                ax.axvline(table.loc["Majority class", "accuracy mean"], color=colour, linestyle=":")
        ax.set(yticks=range(len(models)), yticklabels=models, xlim=(0, 1),
               xlabel=f"{metric.replace('_', ' ')} (mean ± sd over folds and seeds)" +
                      ("; dotted: always the largest class" if metric == "accuracy" else ""))
        ax.invert_yaxis()
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=min(2, len(tables)), frameon=False)
        enforce_book_fonts(fig)
    return fig


def _check_choice(name: str, value, accepted: tuple) -> None:
    if value not in accepted:
        raise ValueError(f"{name} must be one of {list(accepted)}, got {value!r}")


def _claim_folder(out: Path, settings: dict) -> None:
    """Create ``out`` and record the settings; refuse a folder used with other settings.

    ``data`` is recorded as :func:`portable_data` gives it. A folder that recorded the same data
    folder in another spelling resumes (:func:`_same_data`); if it recorded an absolute path, its
    ``settings.json`` is rewritten with the portable form.
    """
    out.mkdir(parents=True, exist_ok=True)
    recorded = out / "settings.json"
    current = json.loads(json.dumps(settings))
    portable = current | {"data": portable_data(current["data"])} if "data" in current else current
    if recorded.exists():
        previous = json.loads(recorded.read_text())
        changed = sorted(k for k in current | previous if k != "data" and previous.get(k) != current.get(k))
        if not _same_data(previous.get("data"), current.get("data")):
            changed = sorted([*changed, "data"])
        if changed:
            unset = ("data" in changed and MENDELEY_DIR_VARIABLE in str(previous.get("data"))
                     and not os.environ.get("ECGKERAS_MENDELEY_DIR"))
            raise ValueError(f"{out} holds runs made with other settings ({', '.join(changed)} differ); "
                             + ("it records data as mendeley:$ECGKERAS_MENDELEY_DIR, which is not set: set "
                                "it to the images' folder; or " if unset else "")
                             + "use another --out folder, or delete this one to start again")
        if _is_absolute_data(previous.get("data")):
            _atomic_write(recorded, json.dumps(previous | {"data": portable["data"]}, indent=1))
    else:
        _atomic_write(recorded, json.dumps(portable, indent=1))
    (out / "runs").mkdir(exist_ok=True)
    (out / "predictions").mkdir(exist_ok=True)


#: How ``data`` is recorded when its folder is the one ``ECGKERAS_MENDELEY_DIR`` names.
MENDELEY_DIR_VARIABLE = "$ECGKERAS_MENDELEY_DIR"


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
    ``"mendeley:../shared/data/mendeley-distinct"``); ``"synthetic"`` as it is. :func:`load_data`
    reads every form, and a folder recorded in one form resumes with another.
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


def _expand_variable(spec: str) -> str:
    """``spec`` with a leading ``$ECGKERAS_MENDELEY_DIR`` replaced by that variable's value, when set."""
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
    folders = [Path(_expand_variable(data.removeprefix("mendeley:"))).expanduser().resolve()
               for data in (recorded, current)]
    if all(folder.is_dir() for folder in folders):
        return folders[0] == folders[1]
    return folders[0].name == folders[1].name


def _is_absolute_data(data) -> bool:
    return (isinstance(data, str) and data.startswith("mendeley:")
            and Path(data.removeprefix("mendeley:")).expanduser().is_absolute())


def _relative_files(dataset: ECGDataset) -> ECGDataset:
    """``dataset`` with its files named relative to the data folder (``info["root"]``), e.g.
    ``"Normal/Normal(41).jpg"``: how the predictions record them."""
    root = dataset.info.get("root")
    if dataset.files is None or root is None:
        return dataset
    root = Path(root).expanduser()

    def relative(file: str) -> str:
        try:
            return Path(file).relative_to(root).as_posix()
        except ValueError:
            return Path(file).name

    return replace(dataset, files=tuple(relative(file) for file in dataset.files))


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(text)
    os.replace(temporary, path)


def branch_features(model, views: dict) -> dict[str, np.ndarray]:
    """Each branch's deep features of the test split: ``{"features_time": float32 (n_test, 64), ...}``.

    Chapter 9 compares these across domains (correlation, mutual information, CKA).
    """
    from ecgkeras.evaluate import predict_in_batches
    from ecgkeras.models import feature_model
    from ecgkeras.models.fusion import VIEWS

    model_views = [view for view in VIEWS if view in {tensor.name for tensor in model.inputs}]
    return {f"features_{view}": predict_in_batches(feature_model(model, view), views["test"][view])
            for view in model_views}


def _save_run(out: Path, model_name: str, fold: int, seed: int, result: RunResult, splits, views,
              report, environment: dict) -> None:
    """Write the predictions, then the run file (its presence marks the run as finished).
    ``environment``: :func:`ecgkeras.environment.run_provenance` taken when ``reproduce`` started
    (the code it loaded then; later edits to the checkout do not change a running process)."""
    name = run_name(model_name, fold, seed)
    test = splits["test"]
    partial = out / "predictions" / f".{name}.partial.npz"
    np.savez_compressed(partial, labels=test.labels, probabilities=result.probabilities, groups=test.groups,
                        files=np.array(test.files or [], dtype=str), **branch_features(result.model, views))
    os.replace(partial, out / "predictions" / f"{name}.npz")
    values = {metric: result.metrics[metric] for metric in METRICS}
    values |= {"majority_baseline": result.metrics["majority_baseline"], "epochs": len(result.history["loss"]),
               "seconds": result.seconds, "seconds_per_epoch": result.seconds_per_epoch,
               "train_size": report["sizes"]["train"], "test_size": report["sizes"]["test"]}
    run = {"model": model_name, "fold": fold, "seed": seed, "values": values, "history": result.history,
           "confusion_matrix": result.metrics["confusion_matrix"].tolist(),
           "class_names": list(test.class_names), "leaked": report["leaked"],
           "oversampling": report["oversampling"], "environment": environment}
    _atomic_write(out / "runs" / f"{name}.json", json.dumps(run, indent=1))
