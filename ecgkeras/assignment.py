"""The assignment: write a classifier, and a scorer grades it on ECGs it has never seen.

Chapter: instructors' page / assignment (``assignments/README.md``). A submission is a class
with two methods (``assignments/template.py`` is the starting file):

- ``fit(train, validation)``: ``train`` and ``validation`` are ``(inputs, labels)``. ``inputs``
  is a dict of views, as ``ecgkeras.experiment.split_views`` makes them:
  ``"time"`` float32 (n, samples, leads), the normalised signal;
  ``"scalogram"`` float32 (n, scales, width, leads), the CWT image of each lead;
  ``"spectrum"`` float32 (n, bins, leads), the FFT magnitude of each lead.
  ``labels`` is int (n,) in 0..3 (``CLASS_NAMES``). The training split is oversampled
  (balanced classes); the validation split is not. Choose settings on the validation split.
- ``predict_proba(inputs)``: the same dict of views for n ECGs -> float (n, 4), each row the
  class probabilities (>= 0, summing to 1).

An optional class attribute ``views``, e.g. ``views = ("spectrum",)``, says which views the
class reads: the scorer computes only those (all three by default).

:func:`score_submission` splits the data once, group-aware (chapter 3: no copy of a test ECG in
training or validation), calls ``fit`` with the training and validation splits only, then
``predict_proba`` on the held-out test split, and returns a leaderboard row.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from ecgkeras.data.dataset import CLASS_NAMES, ECGDataset

#: Shares of the distinct ECGs held out for validation and for the test.
VALIDATION_FRACTION, TEST_FRACTION = 0.15, 0.25

#: The two header lines of the leaderboard (markdown); :func:`leaderboard_row` writes one row.
LEADERBOARD_HEADER = ("| submission | data | accuracy | macro F1 | majority class | train / val / test | fit (s) |"
                      "\n|---|---|---|---|---|---|---|")


class SubmissionError(ValueError):
    """A submission that cannot be scored; the message says what is wrong and how to fix it."""


def score_submission(model_class_or_factory, data="synthetic", n: int | None = None, seed: int = 0,
                     views=None, name: str | None = None) -> dict:
    """Train a submission on a training split and score it on a held-out, group-aware test split.

    Args:
        model_class_or_factory: the student's class, or any function with no arguments that
            returns an object with ``fit`` and ``predict_proba``.
        data: ``"synthetic"``, ``"mendeley:PATH"`` (see ``ecgkeras.experiment.load_data``) or an
            ``ECGDataset``.
        n: synthetic ECGs (default: 160 in quick mode, 800 otherwise).
        seed: seed of the synthetic data, the split, the oversampling, and of numpy / Keras.
        views: views to compute (default: the class's ``views`` attribute, else all three).
        name: the submission's name on the leaderboard (default: the class's name).

    Returns:
        A leaderboard row: ``{"name", "data", "seed", "accuracy", "macro_f1", "majority_baseline"
        (accuracy of always answering the test split's largest class), "train_size",
        "validation_size", "test_size", "fit_seconds"}``.

    Raises:
        SubmissionError: the class cannot be built, ``fit`` or ``predict_proba`` raises, or the
            probabilities are not of shape (n_test, 4), finite, >= 0, with rows summing to 1.
    """
    from ecgkeras.data.splits import protocol_splits
    from ecgkeras.experiment import load_data, portable_data, split_views
    from ecgkeras.stats import classification_metrics
    from ecgkeras.views import VIEW_NAMES

    name = name or getattr(model_class_or_factory, "__name__", "submission")
    views = tuple(views or getattr(model_class_or_factory, "views", VIEW_NAMES))
    dataset = data if isinstance(data, ECGDataset) else load_data(data, n=n, seed=seed)
    # one group-aware split (one file per ECG), training split oversampled alone (chapter 3)
    splits, report = protocol_splits(dataset, protocol="leak-free", val=VALIDATION_FRACTION,
                                     test=TEST_FRACTION, seed=seed)
    if report["leaked"] != 0:
        raise RuntimeError("the split leaked test ECGs into training; please report this bug")
    inputs = split_views(splits, views=views)
    _seed_everything(seed)
    model = _call(model_class_or_factory, f"building {name}")
    for method in ("fit", "predict_proba"):
        if not callable(getattr(model, method, None)):
            raise SubmissionError(f"{name} has no method {method}(); see assignments/template.py")
    start = time.perf_counter()
    _call(model.fit, f"{name}.fit", (inputs["train"], splits["train"].labels),
          (inputs["val"], splits["val"].labels))
    seconds = time.perf_counter() - start
    probabilities = _call(model.predict_proba, f"{name}.predict_proba", inputs["test"])
    probabilities = check_probabilities(probabilities, len(splits["test"]), name)
    labels = splits["test"].labels
    metrics = classification_metrics(labels, probabilities.argmax(axis=1), len(CLASS_NAMES))
    return {"name": name, "data": portable_data(data) if isinstance(data, str) else "ECGDataset", "seed": seed,
            "accuracy": float(metrics["accuracy"]), "macro_f1": float(metrics["macro_f1"]),
            "majority_baseline": float(np.bincount(labels).max() / len(labels)),
            "train_size": len(splits["train"]), "validation_size": len(splits["val"]),
            "test_size": len(splits["test"]), "fit_seconds": seconds}


def check_probabilities(probabilities, n: int, name: str = "submission") -> np.ndarray:
    """``probabilities`` as float64 (n, 4), or a SubmissionError saying what is wrong with it."""
    where = f"{name}.predict_proba"
    try:
        array = np.asarray(probabilities, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise SubmissionError(f"{where} must return a float array (n, 4); got {type(probabilities).__name__} "
                              f"that numpy cannot read as numbers ({error})") from None
    expected = (n, len(CLASS_NAMES))
    if array.shape != expected:
        hint = (" (one class per ECG? return probabilities, e.g. np.eye(4)[classes])" if array.shape == (n,)
                else "")
        raise SubmissionError(f"{where} must return one row per ECG and one column per class, shape "
                              f"{expected}; got {array.shape}{hint}")
    bad = np.flatnonzero(~np.isfinite(array).all(axis=1))
    if len(bad):
        raise SubmissionError(f"{where} returned NaN or inf in {len(bad)} row(s), first row {bad[0]}: "
                              "look for a division by zero or a log of 0, or a model that diverged")
    if (array < 0).any():
        raise SubmissionError(f"{where} returned negative values (min {array.min():.3g}): these look like "
                              "scores or logits; turn them into probabilities with a softmax")
    sums = array.sum(axis=1)
    wrong = np.flatnonzero(np.abs(sums - 1) > 1e-3)
    if len(wrong):
        raise SubmissionError(f"{where}: every row must sum to 1 (within 1e-3); {len(wrong)} row(s) do not, "
                              f"row {wrong[0]} sums to {sums[wrong[0]]:.4g}. Apply a softmax to scores, or "
                              "divide each row by its sum")
    return array


def leaderboard_row(row: dict) -> str:
    """One markdown line of the leaderboard (below ``LEADERBOARD_HEADER``) from a :func:`score_submission` row."""
    return (f"| {row['name']} | {row['data']}, seed {row['seed']} | {row['accuracy']:.3f} | {row['macro_f1']:.3f} "
            f"| {row['majority_baseline']:.3f} | {row['train_size']} / {row['validation_size']} / "
            f"{row['test_size']} | {row['fit_seconds']:.1f} |")


def load_submission(spec: str):
    """The class of a submission file: ``"path/to/file.py"`` or ``"path/to/file.py:ClassName"``.

    Without a class name, the file must define exactly one class with ``fit`` and ``predict_proba``.

    Raises:
        FileNotFoundError: no such file. SubmissionError: the file fails to import, or the class
        is missing or ambiguous.
    """
    path, class_name = spec, ""
    if ":" in spec and spec.rsplit(":", 1)[1].isidentifier():
        path, class_name = spec.rsplit(":", 1)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file {path}; give your submission's .py file, e.g. assignments/template.py")
    module_spec = importlib.util.spec_from_file_location(f"submission_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module.__name__] = module  # as `import` does (dataclasses, pickle look it up)
    sys.path.insert(0, str(path.parent.resolve()))  # the submission may import a helper next to it
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:  # any error of the student's file: say where
        raise SubmissionError(f"importing {path} failed: {_describe(error)}") from error
    finally:
        sys.path.remove(str(path.parent.resolve()))
    candidates = [value for value in vars(module).values() if isinstance(value, type)
                  and value.__module__ == module.__name__ and callable(getattr(value, "fit", None))
                  and callable(getattr(value, "predict_proba", None))]
    if class_name:
        found = getattr(module, class_name, None)
        if not isinstance(found, type):
            names = ", ".join(c.__name__ for c in candidates) or "none"
            raise SubmissionError(f"{path} defines no class {class_name}; "
                                  f"classes with fit and predict_proba: {names}")
        return found
    if len(candidates) != 1:
        names = ", ".join(c.__name__ for c in candidates)
        problem = f"several ({names}); name one: {path}:ClassName" if candidates else "none"
        raise SubmissionError(f"{path} must define one class with fit and predict_proba; found {problem}")
    return candidates[0]


def _call(function, what: str, *args):
    """``function(*args)``; an exception in the student's code becomes a SubmissionError saying where."""
    try:
        return function(*args)
    except NotImplementedError as error:
        raise SubmissionError(f"{what} is not implemented yet: {error}") from error
    except Exception as error:
        raise SubmissionError(f"{what} raised {_describe(error)}") from error


def _describe(error: Exception) -> str:
    """``"ValueError: message (file.py, line 12)"``, at the innermost frame of the traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({Path(frames[-1].filename).name}, line {frames[-1].lineno})" if frames else ""
    if isinstance(error, SyntaxError):  # its message names the file and line already
        where = ""
    return f"{type(error).__name__}: {error}{where}"


def _seed_everything(seed: int) -> None:
    """Seed Python and numpy, and Keras when the submission uses it, so a rerun gives the same score."""
    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
