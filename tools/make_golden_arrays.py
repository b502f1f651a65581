"""Record golden arrays: same seed, same arrays (tests/data/golden_arrays.npz).

Before a refactor that moves code around (issue 14: one owner per idea), this records what the
seeded pieces of ``ecgkeras`` compute now, so that tests/test_golden_arrays.py can check that the
refactored code computes the same:

- ``synthetic``: ``ecgkeras.experiment.load_data("synthetic", n=40)`` (signals, rhythm, labels,
  groups), ``make_signals``, ``make_dataset`` at another difficulty, ``simulate_ecg`` per class;
- ``simulators``: the other beat simulators, ``ecgkeras.explain.simulate_st_elevation`` and
  ``ecgkeras.bench.ecg_like_signals``;
- ``views``: the three views (time, scalogram, spectrum) of two synthetic ECGs with the default
  options and with other ones, their frequency axes, and ``ecgkeras.bench.naive_scalogram``;
- ``render``: a report image rendered from a synthetic ECG (pixel hash + 8x downsampled image),
  ``render_dataset_images`` + ``digitize_paths`` on it, and ``digitize_report`` of a packaged
  real sample image;
- ``splits``: the index splits (``split_train_val_test``, ``naive_split``, ``group_kfold``,
  ``stratified_group_folds``), both protocols of ``protocol_splits`` and ``cv_folds`` on the
  synthetic data with copies, ``leaked_fraction``, ``leaked_share``, and ``split_views`` of a fold;
- ``model``: ``build_model("1D-CNN", ..., seed=0)``'s initial weights and output on a fixed
  batch, and the output of each of the seven models (plus a digest of their weights).

Big arrays are stored as a *digest* (``*.digest``: mean, root mean square and maximum of |x| over
the last axis, float64) plus a few of them in full or strided: each digest entry moves by at most
the largest element-wise change, so the test's tolerance applies to it unchanged.

Usage (the same seed must give the same file: run it twice and compare):

    nice -n 19 .venv/bin/python tools/make_golden_arrays.py            # write tests/data/golden_arrays.npz
    nice -n 19 .venv/bin/python tools/make_golden_arrays.py --out /tmp/golden.npz

Regenerate only on purpose, when a change of the numbers is intended, in the same commit.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "data" / "golden_arrays.npz"
REGENERATE = "nice -n 19 .venv/bin/python tools/make_golden_arrays.py"

#: Absolute tolerance per group (rtol is 0): numpy/pywt/scipy/PIL floats 1e-6, TensorFlow 1e-5.
#: Integer, boolean and string arrays must be equal.
ATOL = {"synthetic": 1e-6, "simulators": 1e-6, "views": 1e-6, "render": 1e-6, "splits": 1e-6, "model": 1e-5}
GROUPS = tuple(ATOL)

SEED = 0
N_SYNTHETIC = 40


def digest(x) -> np.ndarray:
    """mean, root mean square and max |x| over the last axis, float64 (..., 3).

    Each is 1-Lipschitz in the max norm: if no element moves by more than atol, no digest entry
    does either (up to float64 rounding), so a digest is compared with the same tolerance."""
    x = np.asarray(x, dtype=np.float64)
    return np.stack([x.mean(axis=-1), np.sqrt((x ** 2).mean(axis=-1)), np.abs(x).max(axis=-1)], axis=-1)


def _dataset_arrays(prefix: str, dataset, full: int = 2) -> dict:
    """Signals (digest per sample and lead, ``full`` in full, the rest strided), rhythm, labels, groups."""
    signals = dataset.signals  # (n, samples, leads)
    out = {
        f"{prefix}.signals.digest": digest(signals.transpose(0, 2, 1)),
        f"{prefix}.signals.first": signals[:full],
        f"{prefix}.signals.strided": signals[:, ::10, :],
        f"{prefix}.labels": dataset.labels,
        f"{prefix}.groups": dataset.groups,
        f"{prefix}.fs": np.float64(dataset.fs),
    }
    if dataset.rhythm is not None:
        out[f"{prefix}.rhythm.digest"] = digest(dataset.rhythm)
        out[f"{prefix}.rhythm.first"] = dataset.rhythm[:full]
    return out


# ---------------------------------------------------------------------------------------------
# The groups
# ---------------------------------------------------------------------------------------------

def synthetic_dataset():
    from ecgkeras.experiment import load_data

    return load_data("synthetic", n=N_SYNTHETIC, seed=SEED)


def with_copies(dataset):
    """The synthetic data set with copies, as the real release has them: ECG i has 1 + i % 3 files."""
    return dataset.repeat(1 + np.arange(len(dataset)) % 3)


def group_synthetic() -> dict:
    from ecgkeras.data.synthetic import make_dataset, make_signals, simulate_ecg

    out = _dataset_arrays("synthetic.load_data", synthetic_dataset())
    signals, labels = make_signals(6, seed=1)
    out["synthetic.make_signals.labels"] = labels
    out["synthetic.make_signals.digest"] = digest(signals)  # (6, 12, 3)
    out["synthetic.make_signals.first"] = signals[0]
    out["synthetic.make_signals.strided"] = signals[:, :, ::10]
    out.update(_dataset_arrays("synthetic.make_dataset_d09", make_dataset(12, seed=5, difficulty=0.9), full=1))
    for label in range(4):
        for difficulty in (0.0, 1.0):
            signal = simulate_ecg(label, 100 + label, difficulty=difficulty, seconds=5.0)
            out[f"synthetic.simulate_ecg.label{label}_d{difficulty:g}.digest"] = digest(signal)
            out[f"synthetic.simulate_ecg.label{label}_d{difficulty:g}.strided"] = signal[:, ::5]
    return out


def group_simulators() -> dict:
    from ecgkeras.bench import ecg_like_signals
    from ecgkeras.explain import simulate_st_elevation

    signals, labels, r_peaks = simulate_st_elevation(8, seed=SEED)
    out = {
        "simulators.st_elevation.signals": signals,
        "simulators.st_elevation.labels": labels,
        "simulators.st_elevation.r_peaks": np.concatenate(r_peaks).astype(np.int64),
        "simulators.st_elevation.r_peaks_per_ecg": np.array([len(p) for p in r_peaks], dtype=np.int64),
    }
    signals, labels, r_peaks = simulate_st_elevation(3, seed=7, fs=250.0, seconds=4.0)
    out["simulators.st_elevation_250hz.digest"] = digest(signals[..., 0])
    out["simulators.st_elevation_250hz.labels"] = labels
    out["simulators.st_elevation_250hz.r_peaks"] = np.concatenate(r_peaks).astype(np.int64)
    out["simulators.ecg_like.signals"] = ecg_like_signals(3, 250, 12, seed=SEED)
    out["simulators.ecg_like_1000x2.digest"] = digest(ecg_like_signals(4, 1000, 2, seed=3).transpose(0, 2, 1))
    return out


def group_views() -> dict:
    from ecgkeras.bench import naive_scalogram
    from ecgkeras.views import make_views, scalogram_frequencies, spectrum_frequencies

    dataset = synthetic_dataset()
    signals = dataset.signals[:2]
    views = make_views(signals, fs=dataset.fs)
    out = {f"views.default.{name}": array for name, array in views.items()}
    more = make_views(dataset.signals[:8], fs=dataset.fs)
    for name, array in more.items():  # 8 ECGs: digest per ECG and lead
        out[f"views.default8.{name}.digest"] = digest(np.moveaxis(array, -1, 1).reshape(8, 12, -1))
    other = make_views(signals[:1], fs=dataset.fs, time=dict(min_std=0.05),
                       scalogram=dict(size=(32, 48), fmin=2.0, fmax=30.0, n_scales=40, log=False, wavelet="mexh"),
                       spectrum=dict(fmax=40.0, log=False, window="hamming"))
    out.update({f"views.options.{name}": array for name, array in other.items()})
    out["views.scalogram_frequencies.default"] = scalogram_frequencies()
    out["views.scalogram_frequencies.options"] = scalogram_frequencies(size=(32, 48), fmin=2.0, fmax=30.0,
                                                                       n_scales=40, wavelet="mexh")
    out["views.spectrum_frequencies.default"] = spectrum_frequencies(signals.shape[1], fs=dataset.fs)
    out["views.spectrum_frequencies.fmax40"] = spectrum_frequencies(signals.shape[1], fs=dataset.fs, fmax=40.0)
    naive = naive_scalogram(signals[:1, :, :3])  # (1, 64, 64, 3)
    out["views.naive_scalogram"] = naive
    return out


def _image_arrays(prefix: str, image) -> dict:
    pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    h, w = (pixels.shape[0] // 8) * 8, (pixels.shape[1] // 8) * 8
    small = pixels[:h, :w].reshape(h // 8, 8, w // 8, 8, 3).astype(np.float64).mean(axis=(1, 3))
    return {f"{prefix}.sha256": np.array(hashlib.sha256(pixels.tobytes()).hexdigest()),
            f"{prefix}.shape": np.array(pixels.shape, dtype=np.int64),
            f"{prefix}.mean8": small.astype(np.float32)}


def group_render() -> dict:
    from ecgkeras.data import sample_image_paths
    from ecgkeras.data.digitize import digitize_paths, digitize_report
    from ecgkeras.data.render import render_dataset_images, render_report
    from ecgkeras.data.synthetic import make_signals

    signals, labels = make_signals(2, seed=2)
    image = render_report(signals[0], seed=SEED, width=1106, height=786)
    out = _image_arrays("render.report", image)
    report = digitize_report(image)
    out["render.digitize_report.leads"] = report.leads
    out["render.digitize_report.rhythm"] = report.rhythm
    out["render.digitize_report.coverage"] = report.coverage
    out["render.digitize_report.scale"] = np.array([report.fs, report.px_per_mm])
    with tempfile.TemporaryDirectory(prefix="ecgkeras-golden-") as folder:
        paths = render_dataset_images(signals, labels, folder, seed=SEED)
        out["render.dataset_images.names"] = np.array([p.relative_to(folder).as_posix() for p in paths])
        out["render.dataset_images.sha256"] = np.array([hashlib.sha256(p.read_bytes()).hexdigest() for p in paths])
        result = digitize_paths([folder])
        out["render.digitize_paths.leads"] = result.leads
        out["render.digitize_paths.rhythm"] = result.rhythm
        out["render.digitize_paths.labels"] = result.labels
        out["render.digitize_paths.coverage"] = result.coverage
        out["render.digitize_paths.files"] = np.array([Path(f).relative_to(folder).as_posix() for f in result.files])
        out["render.digitize_paths.skipped"] = np.int64(len(result.skipped))
    real = digitize_report(sample_image_paths()["Myocardial infarction"])
    out["render.sample_image.leads"] = real.leads
    out["render.sample_image.rhythm"] = real.rhythm
    out["render.sample_image.coverage"] = real.coverage
    out["render.sample_image.scale"] = np.array([real.fs, real.px_per_mm])
    return out


def _split_arrays(prefix: str, splits: dict, report: dict | None = None) -> dict:
    out = {}
    for name, part in splits.items():
        out[f"{prefix}.{name}.groups"] = part.groups
        out[f"{prefix}.{name}.labels"] = part.labels
        out[f"{prefix}.{name}.signals.digest"] = digest(part.signals.transpose(0, 2, 1))
    if report is not None:
        out[f"{prefix}.leaked"] = np.float64(report["leaked"])
        out[f"{prefix}.sizes"] = np.array([report["sizes"][name] for name in ("train", "val", "test")], dtype=np.int64)
        balance = report.get("balance", report.get("oversampling"))
        out[f"{prefix}.balance_method"] = np.array("" if balance is None else balance["method_used"])
    return out


def group_splits() -> dict:
    from ecgkeras.data.splits import (group_kfold, leaked_fraction, leaked_share, naive_split, protocol_splits,
                                      split_train_val_test, stratified_group_folds)
    from ecgkeras.experiment import cv_folds, split_views

    dataset = with_copies(synthetic_dataset())
    labels, groups = dataset.labels, dataset.groups
    out = {"splits.data.labels": labels, "splits.data.groups": groups}
    for name, index in split_train_val_test(labels, groups, seed=SEED).items():
        out[f"splits.split_train_val_test.{name}"] = index
    naive = naive_split(labels, seed=SEED)
    for name, index in naive.items():
        out[f"splits.naive_split.{name}"] = index
    out["splits.leaked_fraction.naive_split"] = np.float64(leaked_fraction(groups, naive["train"], naive["test"]))
    for fold, (train, test) in enumerate(group_kfold(labels, groups, k=3, seed=SEED)):
        out[f"splits.group_kfold.fold{fold}.train"] = train
        out[f"splits.group_kfold.fold{fold}.test"] = test
        out[f"splits.leaked_fraction.group_kfold{fold}"] = np.float64(leaked_fraction(groups, train, test))
    out["splits.stratified_group_folds"] = stratified_group_folds(labels, groups, k=4, seed=SEED)
    for protocol in ("leak-free", "naive"):
        splits, report = protocol_splits(dataset, protocol=protocol, seed=SEED)
        out.update(_split_arrays(f"splits.protocol_splits.{protocol}", splits, report))
        out[f"splits.leaked_share.{protocol}"] = np.float64(leaked_share(splits["train"], splits["test"]))
        folds = cv_folds(dataset, protocol=protocol, folds=3, seed=SEED)
        for fold_splits, fold_report in folds:
            out.update(_split_arrays(f"splits.cv_folds.{protocol}.fold{fold_report['fold']}", fold_splits, fold_report))
    first_fold = cv_folds(dataset, protocol="leak-free", folds=3, seed=SEED)[0][0]
    views = split_views({"val": first_fold["val"], "test": first_fold["test"]})
    for split, by_view in views.items():
        for view, array in by_view.items():
            n, leads = array.shape[0], array.shape[-1]
            out[f"splits.split_views.{split}.{view}.digest"] = digest(np.moveaxis(array, -1, 1).reshape(n, leads, -1))
    return out


def _model_batch():
    from ecgkeras.views import make_views

    dataset = synthetic_dataset()
    return make_views(dataset.signals[:2], fs=dataset.fs)


def group_model() -> dict:
    import keras

    from ecgkeras.models import MODEL_SPECS, build_model

    batch = _model_batch()
    shapes = {view: array.shape[1:] for view, array in batch.items()}
    model = build_model("1D-CNN", shapes, seed=SEED)
    out = {f"model.1d_cnn.weight{i:02d}": w for i, w in enumerate(model.get_weights())}
    out["model.1d_cnn.weight_shapes"] = np.array([str(w.shape) for w in model.get_weights()])
    for name, (views, _) in MODEL_SPECS.items():  # each model from seed 0: output on the batch, weight digest
        key = name.lower().replace(" ", "_").replace("-", "_")
        model = build_model(name, shapes, seed=SEED)
        weights = model.get_weights()
        out[f"model.{key}.n_params"] = np.int64(model.count_params())
        out[f"model.{key}.weights.digest"] = np.stack([digest(np.ravel(w)) for w in weights])
        inputs = {view: batch[view] for view in views}
        out[f"model.{key}.output"] = keras.ops.convert_to_numpy(model(inputs, training=False))
    return out


COMPUTE = {"synthetic": group_synthetic, "simulators": group_simulators, "views": group_views,
           "render": group_render, "splits": group_splits, "model": group_model}


def versions() -> dict:
    """The library versions the arrays were computed with (a mismatch may explain a failure)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for package in ("numpy", "scipy", "PyWavelets", "scikit-learn", "imbalanced-learn", "Pillow", "keras",
                    "tensorflow"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def compute_all(groups=GROUPS) -> dict:
    arrays = {}
    for group in groups:
        result = COMPUTE[group]()
        assert all(key.startswith(group + ".") for key in result), group
        arrays.update(result)
    arrays["_meta"] = np.array(json.dumps({"regenerate": REGENERATE, "atol": ATOL, "versions": versions()},
                                          sort_keys=True))
    return arrays


def save(arrays: dict, path: Path) -> None:
    """A compressed .npz whose bytes depend on the arrays only (fixed zip timestamps, sorted keys)."""
    import zipfile

    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=GOLDEN)
    args = parser.parse_args(argv)
    arrays = compute_all()
    save(arrays, args.out)
    size = args.out.stat().st_size
    print(f"wrote {args.out}: {len(arrays)} arrays, {size / 1024:.0f} KB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
