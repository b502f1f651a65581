"""The whole study in one function: every model, on the same folds, under one protocol.

Chapters 4-8 train single models with :func:`train_and_evaluate`; ``ecgkeras reproduce`` (and
chapter 12) calls :func:`reproduce`, which runs every model on every fold and seed and writes
its results folder: ``settings.json``, ``runs/<model>_fold<f>_seed<s>.json`` (metrics, training
history, time, sizes), ``predictions/<model>_fold<f>_seed<s>.npz`` (the test fold's labels,
probabilities, ECG ids and each branch's deep features), ``results.csv``, ``summary.md`` and
``summary.png``. ``ecgkeras.results`` owns that folder (its names, its atomic writes, reading it,
the committed runs); a rerun skips the runs already finished. The two protocols (chapter 3):

- ``"leak-free"`` (the book's): one file per ECG, k folds that keep each ECG in one fold
  (stratified by class), a validation split taken from the training folds, and oversampling of
  the training split alone.
- ``"naive"`` (the common one): all files (for the real images, the 927-file rebuilt release with
  its copies, ``ecgkeras.data.counts``), oversampled first, then k random folds of files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ecgkeras import config
from ecgkeras.data.dataset import LEAD_NAMES, ECGDataset
from ecgkeras.data.splits import (PROTOCOLS, balance_training_split, group_kfold, leaked_share,
                                  protocol_samples)
from ecgkeras.environment import run_provenance
from ecgkeras.plot import plot_summary
from ecgkeras.results import (
    save_run,
    atomic_file,
    changed_settings,
    claim_folder,
    expand_variable,
    folder_lock,
    portable_data,
    read_results,
    run_is_finished,
    summary_markdown,
    write_text_atomically,
)

# Imported here for readers: these names live in ecgkeras.results (the results folder of reproduce) and
# ecgkeras.plot (its figures), and notebooks and chapters import them from ecgkeras.experiment.
from ecgkeras.plot import plot_runs  # noqa: F401
from ecgkeras.results import (  # noqa: F401
    MENDELEY_DIR_VARIABLE,
    METRICS,
    PUBLISHED_RUNS,
    PublishedResultsUnavailable,
    finished_runs,
    portable_path,
    published_analysis,
    published_file,
    published_folder,
    published_results,
    run_name,
    summarize,
)

SYNTHETIC_SIZE = config.SYNTHETIC_SIZE  # its old home (the sizes are defined in config)

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
            symbolic links in a cache folder of its own, ``release_cache_folder``, emptied first).
        protocol: one of ``PROTOCOLS``.
        n: synthetic ECGs (default ``config.SYNTHETIC_SIZE`` of the current mode).
        seed: seed of the synthetic data.

    Returns:
        An ``ECGDataset``: signals float32 (n, 250, 12) in mV, labels, groups (copies share one).
    """
    _check_choice("protocol", protocol, PROTOCOLS)
    if data == "synthetic":
        from ecgkeras.data.synthetic import make_dataset

        return make_dataset(n or config.synthetic_size(), seed=seed)
    from ecgkeras.data.mendeley import load_mendeley, rebuild_release

    root = _mendeley_folder(data)
    if protocol == "naive" and (root / "manifest.tsv").is_file():
        release = release_cache_folder(root)
        shutil.rmtree(release, ignore_errors=True)
        root = rebuild_release(root, release, link="symlink")
    dataset = load_mendeley(root, progress=False)
    if len(dataset) == 0:
        raise ValueError(f"data={data!r}: no image could be read")
    return dataset


def release_cache_folder(distinct_dir) -> Path:
    """Where the naive protocol rebuilds the release of ``distinct_dir``: a cache folder of its own.

    ``config.cache_dir() / "release" / <key>``, the key a hash of the folder's resolved path, its
    ``manifest.tsv`` and its file list, so that the release of one folder never holds another's images.
    """
    distinct_dir = Path(distinct_dir).resolve()
    digest = hashlib.md5(str(distinct_dir).encode() + b"\0" + (distinct_dir / "manifest.tsv").read_bytes())
    for path in sorted(distinct_dir.rglob("*")):
        digest.update(b"\0" + path.relative_to(distinct_dir).as_posix().encode())
    return config.cache_dir() / "release" / digest.hexdigest()[:16]


def _mendeley_folder(data) -> Path:
    """The folder of ``data="mendeley:PATH"``, or an error that says what ``data`` must be."""
    if not isinstance(data, str) or not data.startswith("mendeley:"):
        raise ValueError(f"data must be 'synthetic' or 'mendeley:PATH' (a folder of report images), got {data!r}")
    root = Path(expand_variable(data.removeprefix("mendeley:"))).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"data={data!r}: no folder {root}; give the folder that holds the "
                                "class folders of the Mendeley images (see chapter 1 for the download)")
    return root


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
    dataset, balance_report = protocol_samples(dataset, protocol=protocol, balance=balance, seed=seed)
    if protocol == "naive":
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        pairs = list(splitter.split(np.zeros(len(dataset)), dataset.labels))
    else:
        pairs = group_kfold(dataset.labels, dataset.groups, k=folds, seed=seed)
    result = []
    for fold, (train_index, test_index) in enumerate(pairs):
        n_val = max(int(np.ceil(VALIDATION_FRACTION * len(train_index))), len(np.unique(dataset.labels)))
        fit_index, val_index = train_test_split(train_index, test_size=n_val,
                                                stratify=dataset.labels[train_index], random_state=seed)
        splits = {"train": dataset.subset(np.sort(fit_index)), "val": dataset.subset(np.sort(val_index)),
                  "test": dataset.subset(test_index)}
        splits, balance_report = balance_training_split(splits, protocol=protocol, balance=balance, seed=seed,
                                                        report=balance_report)
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
            ``data`` as ``ecgkeras.results.portable_data`` gives it, and the predictions name each test file
            relative to the data folder.
        n_synthetic: synthetic ECGs (default ``config.SYNTHETIC_SIZE`` of the current mode).
        train_config: ``TrainConfig`` (default: quick or full, from the mode).
        progress: print one line per run.

    Returns:
        The tidy results as a pandas DataFrame (also in ``out/results.csv``).
    """
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
    if leads != "all" and leads not in LEAD_NAMES:
        raise ValueError(f"unknown leads {leads!r}: give 'all' or one lead name of {list(LEAD_NAMES)}")
    train_config = train_config or TrainConfig.from_mode()
    out = Path(out)
    settings = {"data": data, "protocol": protocol, "folds": folds, "leads": leads,
                "n_synthetic": n_synthetic or (config.synthetic_size() if data == "synthetic" else None),
                "train_config": vars(train_config) | {"verbose": None}}
    _check_data_before_claiming(data, out, settings)
    with folder_lock(out):
        claim_folder(out, settings)
        if not all(run_is_finished(out, m, f, seed) for m in models for f in range(folds) for seed in range(seeds)):
            _train_missing_runs(data, out, protocol=protocol, folds=folds, seeds=seeds, leads=leads, models=models,
                                n_synthetic=settings["n_synthetic"], train_config=train_config, progress=progress)
        return _write_summary(out)


def _check_data_before_claiming(data, out: Path, settings: dict) -> None:
    """Refuse a data folder that is not there, before ``out`` is claimed, unless ``out`` resumes.

    A folder that records these very settings (a committed one, say, in a clone without the data)
    may resume without its data: when its runs are all finished nothing needs loading.
    """
    if data == "synthetic":
        return
    try:
        _mendeley_folder(data)
    except FileNotFoundError:
        if changed_settings(out, settings) != []:
            raise


def _train_missing_runs(data, out: Path, *, protocol, folds, seeds, leads, models, n_synthetic, train_config,
                        progress) -> None:
    """Load the data, record what loading found (``loading.json``), then train every run not finished yet."""
    import keras

    environment = run_provenance()
    dataset = load_data(data, protocol=protocol, n=n_synthetic)
    write_text_atomically(out / "loading.json", json.dumps(loading_record(data, dataset), indent=1))
    dataset = _relative_files(dataset)
    if leads != "all":
        dataset = dataset.select_leads((leads,))
    total, done = seeds * folds * len(models), 0
    for seed in range(seeds):
        for splits, report in cv_folds(dataset, protocol=protocol, folds=folds, seed=seed):
            fold = report["fold"]
            todo = [m for m in models if not run_is_finished(out, m, fold, seed)]
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
                save_run(out, model_name, fold, seed, result, splits, branch_features(result.model, views), report,
                          environment)
                done += 1
                if progress:
                    print(f"[{done}/{total}] {model_name}, fold {fold}, seed {seed}: "
                          f"accuracy {result.metrics['accuracy']:.3f}, macro F1 {result.metrics['macro_f1']:.3f} "
                          f"({len(result.history['loss'])} epochs, {result.seconds:.0f} s)", flush=True)
                del result
                keras.utils.clear_session()  # frees the finished model; else every model stays in memory


def _write_summary(out: Path):
    """``results.csv``, ``summary.md`` and ``summary.png`` of the finished runs; the tidy results."""
    import matplotlib.pyplot as plt

    results = read_results(out)
    write_text_atomically(out / "results.csv", results.to_csv(index=False))
    write_text_atomically(out / "summary.md", summary_markdown(results))
    figure = plot_summary(results)
    with atomic_file(out / "summary.png") as file:
        figure.savefig(file, format="png", dpi=120, bbox_inches="tight")
    plt.close(figure)
    return results


def _check_choice(name: str, value, accepted: tuple) -> None:
    if value not in accepted:
        raise ValueError(f"{name} must be one of {list(accepted)}, got {value!r}")


def loading_record(data, dataset: ECGDataset) -> dict:
    """What loading ``data`` found, used and skipped: what ``reproduce`` writes to ``loading.json``.

    Its own file, not ``settings.json`` (which decides whether a folder may resume). For the real
    images it is ``info["loading"]`` of ``ecgkeras.data.mendeley.load_mendeley`` with every path
    relative to the data folder (``skipped_files``: file and reason); synthetic data gets a trivial
    record: every ECG made is used, nothing is skipped.
    """
    record = {"data": portable_data(data)}
    loading = dataset.info.get("loading")
    if loading is None:
        return record | {"found": len(dataset), "used": len(dataset), "skipped": 0, "skipped_by_reason": {}}
    root = str(Path(dataset.info["root"]).expanduser())

    def relative(text: str) -> str:
        return text.replace(root + "/", "").replace(root, ".")

    record |= {key: loading[key] for key in ("found", "used", "skipped", "skipped_by_reason", "other_files",
                                             "distinct_images")}
    record["unknown_folders"] = [relative(folder) for folder in loading["unknown_folders"]]
    record["skipped_files"] = [[relative(path), relative(reason)] for path, reason in dataset.info["skipped"]]
    return record


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


def branch_features(model, views: dict) -> dict[str, np.ndarray]:
    """Each branch's deep features of the test split: ``{"features_time": float32 (n_test, 64), ...}``.

    ``ecgkeras analyze`` compares these across domains (correlation, mutual information, CKA).
    """
    from ecgkeras.evaluate import predict_in_batches
    from ecgkeras.models import feature_model
    from ecgkeras.views import VIEW_NAMES

    model_views = [view for view in VIEW_NAMES if view in {tensor.name for tensor in model.inputs}]
    return {f"features_{view}": predict_in_batches(feature_model(model, view), views["test"][view])
            for view in model_views}
