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

Two scorers, one split (group-aware, chapter 3: no copy of a test ECG in training or validation):

- :func:`score_submission` runs the class in *this* process: quick practice in a notebook. It
  trusts the code: a submission could read the test labels from the scorer's variables.
- :func:`score_file` (``ecgkeras score``) grades a file: the submission runs in a fresh Python
  process of its own (``ecgkeras.scorer_child``) with a time limit, and gets the training and
  validation ECGs with their labels and the test ECGs *without* theirs. It writes its
  probabilities to a file, which this process checks and scores with its own code. With a
  teacher's secret (:func:`held_out_seeds`), nobody can rebuild the split from the public
  ``--data``, ``--n`` and ``--seed``. What this protects and what it does not:
  ``assignments/README.md``.
"""

from __future__ import annotations

import collections
import hashlib
import importlib.util
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecgkeras.data.dataset import CLASS_NAMES, ECGDataset

#: Shares of the distinct ECGs held out for validation and for the test.
VALIDATION_FRACTION, TEST_FRACTION = 0.15, 0.25

#: The environment variable that holds the teacher's secret (``ecgkeras score --secret``).
SECRET_VARIABLE = "ECGKERAS_SCORE_SECRET"

#: Seconds a submission may run in :func:`score_file` (import, views, fit and predict together).
DEFAULT_TIME_LIMIT = 1800.0

#: Files in the folder that :func:`score_file` shares with the submission's process.
INPUTS_FILE, RESULT_FILE, ERROR_FILE = "inputs.npz", "result.npz", "error.txt"

#: The two header lines of the leaderboard (markdown); :func:`leaderboard_row` writes one row.
LEADERBOARD_HEADER = ("| submission | data | accuracy | macro F1 | majority class | train / val / test | fit (s) |"
                      "\n|---|---|---|---|---|---|---|")


class SubmissionError(ValueError):
    """A submission that cannot be scored; the message says what is wrong and how to fix it."""


class SubmissionTimeout(SubmissionError):
    """A submission that did not finish within the time limit; :func:`score_file` stopped it."""


@dataclass
class HeldOutSplit:
    """The scorer's split of one data set (:func:`held_out_split`).

    Attributes:
        train: the training split, oversampled to balanced classes.
        val: the validation split.
        test: the test split, in a shuffled order; its labels never leave the scorer.
        data: the data as the leaderboard names it, e.g. ``"synthetic"``.
        seed: the public seed (``--seed``); it also seeds the submission's numpy and Keras.
        secret: whether a teacher's secret chose the data (synthetic) and the split.
    """

    train: ECGDataset
    val: ECGDataset
    test: ECGDataset
    data: str
    seed: int
    secret: bool


def held_out_seeds(seed: int, secret: str | None = None) -> tuple[int, int]:
    """The seeds of the synthetic data and of the split: ``(seed, seed)`` without a secret.

    Without a secret (practice mode) anyone who knows ``--data``, ``--n`` and ``--seed`` can rebuild
    the data, the split and so the test labels, with this package's public functions. With a
    secret, both seeds come from a SHA-256 hash of the secret and the seed: the data seed has 63
    bits, the split seed 32 (what imbalanced-learn's ``random_state`` accepts). Without the secret,
    neither the synthetic ECGs nor which of them are held out can be recomputed, so a test ECG
    cannot be looked up in a regenerated data set. A short or guessable secret can be found by
    trying candidates: use a long random one (``python -c "import secrets; print(secrets.token_urlsafe(16))"``).

    Returns:
        ``(data_seed, split_seed)``, non-negative integers.
    """
    if not secret:
        return seed, seed
    digest = hashlib.sha256(f"ecgkeras score\0{secret}\0{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1, int.from_bytes(digest[8:12], "big")


def held_out_split(data="synthetic", n: int | None = None, seed: int = 0,
                   secret: str | None = None) -> HeldOutSplit:
    """The split :func:`score_file` scores on: the same for every submission given the same arguments.

    Args:
        data: ``"synthetic"``, ``"mendeley:PATH"`` (see ``ecgkeras.experiment.load_data``) or an
            ``ECGDataset``.
        n: synthetic ECGs (default: ``config.SYNTHETIC_SIZE`` of the mode).
        seed: the public seed. Without ``secret`` it seeds the synthetic data and the split, as
            :func:`score_submission` does, so both scorers split alike.
        secret: the teacher's secret (:func:`held_out_seeds`), or None / "" for practice mode.
            With ``"mendeley:PATH"`` it hides which images are held out, not their labels: the
            images lie in class folders, for anyone to read.

    Raises:
        ValueError, FileNotFoundError: bad ``data`` or ``n`` (too few ECGs to split, no folder).
    """
    from ecgkeras.experiment import load_data, portable_data

    data_seed, split_seed = held_out_seeds(seed, secret)
    dataset = data if isinstance(data, ECGDataset) else load_data(data, n=n, seed=data_seed)
    splits = _split(dataset, split_seed)
    # the test ECGs in a random order: in their data set's order they would be sorted by class
    # folder (Mendeley) or follow the public seed's shuffle (synthetic)
    order = np.random.default_rng(split_seed).permutation(len(splits["test"]))
    return HeldOutSplit(train=splits["train"], val=splits["val"], test=splits["test"].subset(order),
                        data=portable_data(data) if isinstance(data, str) else "ECGDataset", seed=seed,
                        secret=bool(secret))


def write_inputs(split: HeldOutSplit, path) -> Path:
    """Write what a submission may see to ``path`` (.npz); never the test labels.

    Arrays: ``train_signals`` float32 (n_train, samples, leads) in mV and ``train_labels`` int64
    (n_train,); ``val_signals`` and ``val_labels`` alike; ``test_signals`` float32 (n_test,
    samples, leads) without labels; ``fs`` float, the sampling rate in Hz.
    """
    path = Path(path)
    np.savez(path, train_signals=split.train.signals, train_labels=split.train.labels,
             val_signals=split.val.signals, val_labels=split.val.labels, test_signals=split.test.signals,
             fs=np.float64(split.test.fs))
    return path


def score_file(spec: str, split: HeldOutSplit, time_limit: float = DEFAULT_TIME_LIMIT,
               name: str | None = None) -> dict:
    """Score a submission file in a Python process of its own: what ``ecgkeras score`` does.

    The submission's process (``ecgkeras.scorer_child``) starts in an empty temporary folder,
    without the secret (:data:`SECRET_VARIABLE`) in its environment, and reads one file,
    :func:`write_inputs`'s: training and validation ECGs with labels, test ECGs without. It
    imports the submission, fits it, and writes its probabilities to a file. This process keeps
    the test labels, checks the probabilities (:func:`check_probabilities`) and scores them with
    its own code, imported before the submission runs: nothing the submission does, at import or
    in ``fit`` / ``predict_proba``, changes how it is scored.

    Args:
        spec: ``"path/to/file.py"`` or ``"path/to/file.py:ClassName"`` (as :func:`load_submission`).
        split: from :func:`held_out_split`; one split scores a whole class alike.
        time_limit: seconds the submission's process may run, import included; then it is killed,
            with every process it started (those that leave its process group excepted).
        name: its name on the leaderboard (default: the class's name).

    Returns:
        A leaderboard row, as :func:`score_submission`'s, plus ``"secret"`` (bool) and ``"file"``
        (the file's name). ``fit_seconds`` is as the submission's process measured it.

    Raises:
        FileNotFoundError: no such file. SubmissionTimeout: it ran past ``time_limit``.
        SubmissionError: it failed to import, raised in ``fit`` or ``predict_proba``, returned bad
            probabilities, or its process ended without predictions (``sys.exit()`` or a crash).
    """
    from ecgkeras.stats import classification_metrics  # imported before the submission runs

    path, class_name = parse_spec(spec)
    if not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    with tempfile.TemporaryDirectory(prefix="ecgkeras-score-", ignore_cleanup_errors=True) as folder:
        folder = Path(folder)
        write_inputs(split, folder / INPUTS_FILE)
        result = _run_child(path, class_name, folder, split.seed, time_limit)
    probabilities = check_probabilities(result["probabilities"], len(split.test), result["name"])
    row = _row(name or result["name"], split.data, split.seed, split.test.labels, probabilities,
               (len(split.train), len(split.val), len(split.test)), result["fit_seconds"], classification_metrics)
    return row | {"secret": split.secret, "file": path.name}


def submission_files(spec: str) -> list[str]:
    """The submissions ``spec`` names: one file (``FILE.py[:CLASS]``), or every ``*.py`` of a folder, sorted.

    Raises:
        FileNotFoundError: no such file or folder. ValueError: a folder without .py files.
    """
    if Path(spec).is_dir():
        files = sorted(str(path) for path in Path(spec).glob("*.py"))
        if not files:
            raise ValueError(f"no .py file in the folder {spec}; give a folder of submissions, one .py file each")
        return files
    parse_spec(spec)  # the file exists
    return [spec]


def _run_child(path: Path, class_name: str, folder: Path, seed: int, time_limit: float) -> dict:
    """Run the submission in a fresh interpreter; its output goes to our stderr, each line tagged.

    Returns:
        ``{"probabilities", "name", "fit_seconds"}`` as the child wrote them (not yet checked).
    """
    work = folder / "work"  # the submission's working directory: empty, thrown away
    work.mkdir()
    spec = f"{path.resolve()}:{class_name}" if class_name else str(path.resolve())
    # the child imports the same ecgkeras as this process, installed or not
    package_root = str(Path(__file__).resolve().parents[1])
    command = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import ecgkeras.scorer_child "
               "as child; sys.path.remove(sys.argv[1]); child.main(sys.argv[2:])",
               package_root, str(folder), spec, str(seed)]
    environment = {key: value for key, value in os.environ.items() if key != SECRET_VARIABLE}
    process = subprocess.Popen(command, cwd=work, env=environment, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    last_lines = collections.deque(maxlen=12)
    echo = threading.Thread(target=_echo, args=(process.stdout, f"[{path.name}] ", last_lines), daemon=True)
    echo.start()
    try:
        process.wait(timeout=time_limit)
    except subprocess.TimeoutExpired:
        raise SubmissionTimeout(f"{path.name} did not finish within the time limit of {time_limit:g} s and was "
                                "stopped: train for fewer epochs or on fewer views (the `views` attribute), "
                                "or ask your teacher for a longer --time-limit") from None
    finally:
        _kill_process_group(process)
        echo.join(timeout=5)
    return _read_result(folder, process.returncode, path.name, last_lines)


def _echo(stream, prefix: str, last_lines: collections.deque) -> None:
    """Copy the child's output to our stderr line by line, keeping the last lines for error messages."""
    for line in iter(stream.readline, b""):
        text = line.decode(errors="replace").rstrip()
        last_lines.append(text)
        print(prefix + text, file=sys.stderr, flush=True)


def _kill_process_group(process: subprocess.Popen) -> None:
    """Kill the child and whatever it started in its process group (a no-op when all have ended)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)  # the child leads its group: start_new_session
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _read_result(folder: Path, returncode: int, what: str, last_lines) -> dict:
    """The child's result file, or a SubmissionError saying why there is none."""
    error_file, result_file = folder / ERROR_FILE, folder / RESULT_FILE
    if error_file.is_file():
        raise SubmissionError(error_file.read_text(errors="replace")[:4000])
    if returncode != 0 or not result_file.is_file():
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited with code {returncode}"
        output = "; its last output:\n  " + "\n  ".join(last_lines) if last_lines else ""
        raise SubmissionError(f"{what} {how} before writing its predictions: does it call sys.exit(), exit() or "
                              f"os._exit(), or did it crash (out of memory?){output}")
    try:
        with np.load(result_file, allow_pickle=False) as saved:
            name, seconds = str(saved["name"]), float(saved["fit_seconds"])
            result = {"probabilities": saved["probabilities"], "name": name if name.isidentifier() else what,
                      "fit_seconds": seconds if np.isfinite(seconds) and seconds >= 0 else float("nan")}
    except Exception as error:  # a file the submission overwrote or truncated
        raise SubmissionError(f"{what}: its predictions file cannot be read ({type(error).__name__}: {error}); "
                              "a submission must not write to the scorer's folder") from None
    return result


def score_submission(model_class_or_factory, data="synthetic", n: int | None = None, seed: int = 0,
                     views=None, name: str | None = None) -> dict:
    """Train a submission in this process and score it on a held-out, group-aware test split.

    For practice in a notebook: the class runs in your Python process, next to the test labels,
    with no time limit. To grade, use ``ecgkeras score`` (:func:`score_file`). Without a secret
    both split the data alike (same ``data``, ``n`` and ``seed``: same split, same score).

    Args:
        model_class_or_factory: the student's class, or any function with no arguments that
            returns an object with ``fit`` and ``predict_proba``.
        data: ``"synthetic"``, ``"mendeley:PATH"`` (see ``ecgkeras.experiment.load_data``) or an
            ``ECGDataset``.
        n: synthetic ECGs (default: ``config.SYNTHETIC_SIZE`` of the mode).
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
    from ecgkeras.experiment import load_data, portable_data, split_views
    from ecgkeras.stats import classification_metrics

    name = name or getattr(model_class_or_factory, "__name__", "submission")
    views = views_of(model_class_or_factory, name, views)
    dataset = data if isinstance(data, ECGDataset) else load_data(data, n=n, seed=seed)
    splits = _split(dataset, seed)
    inputs = split_views(splits, views=views)
    train, validation = (inputs["train"], splits["train"].labels), (inputs["val"], splits["val"].labels)
    probabilities, seconds = fit_and_predict(model_class_or_factory, name, train, validation, inputs["test"], seed)
    return _row(name, portable_data(data) if isinstance(data, str) else "ECGDataset", seed, splits["test"].labels,
                probabilities, tuple(len(splits[part]) for part in ("train", "val", "test")), seconds,
                classification_metrics)


def fit_and_predict(model_class_or_factory, name: str, train, validation, test_inputs, seed: int):
    """Build the submission, ``fit(train, validation)``, then ``predict_proba(test_inputs)``.

    Both scorers call this, :func:`score_file` in the submission's own process.

    Returns:
        ``(probabilities, fit_seconds)``: float64 (n_test, 4), checked by :func:`check_probabilities`,
        and the seconds ``fit`` took.
    """
    _seed_everything(seed)
    model = _call(model_class_or_factory, f"building {name}")
    for method in ("fit", "predict_proba"):
        if not callable(getattr(model, method, None)):
            raise SubmissionError(f"{name} has no method {method}(); see assignments/template.py")
    start = time.perf_counter()
    _call(model.fit, f"{name}.fit", train, validation)
    seconds = time.perf_counter() - start
    probabilities = _call(model.predict_proba, f"{name}.predict_proba", test_inputs)
    n_test = len(next(iter(test_inputs.values())))
    return check_probabilities(probabilities, n_test, name), seconds


def views_of(model_class_or_factory, name: str, views=None) -> tuple[str, ...]:
    """The views to compute: ``views``, else the class's ``views`` attribute, else all three."""
    from ecgkeras.views import VIEW_NAMES

    views = views or getattr(model_class_or_factory, "views", VIEW_NAMES)
    views = (views,) if isinstance(views, str) else views
    try:
        views = tuple(views)
    except TypeError:
        views = (views,)
    unknown = [view for view in views if view not in VIEW_NAMES]
    if unknown or not views:
        raise SubmissionError(f"{name}.views must name one or more of {VIEW_NAMES}, e.g. views = ('spectrum',); "
                              f"got {views!r}")
    return views


def _split(dataset: ECGDataset, seed: int) -> dict[str, ECGDataset]:
    """One group-aware split (one file per ECG), the training split oversampled alone (chapter 3)."""
    from ecgkeras.data.splits import protocol_splits

    splits, report = protocol_splits(dataset, protocol="leak-free", val=VALIDATION_FRACTION,
                                     test=TEST_FRACTION, seed=seed)
    if report["leaked"] != 0:
        raise RuntimeError("the split leaked test ECGs into training; please report this bug")
    return splits


def _row(name: str, data: str, seed: int, labels, probabilities, sizes, fit_seconds: float, metrics) -> dict:
    """A leaderboard row: the test labels against the argmax of the probabilities, by ``metrics``."""
    scores = metrics(labels, probabilities.argmax(axis=1), len(CLASS_NAMES))
    return {"name": name, "data": data, "seed": seed,
            "accuracy": float(scores["accuracy"]), "macro_f1": float(scores["macro_f1"]),
            "majority_baseline": float(np.bincount(labels).max() / len(labels)),
            "train_size": sizes[0], "validation_size": sizes[1], "test_size": sizes[2], "fit_seconds": fit_seconds}


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
    """One markdown line of the leaderboard (below ``LEADERBOARD_HEADER``) from a :func:`score_submission`
    or :func:`score_file` row; a split chosen with a teacher's secret says so."""
    data = f"{row['data']}, seed {row['seed']}" + (", secret split" if row.get("secret") else "")
    return (f"| {row['name']} | {data} | {row['accuracy']:.3f} | {row['macro_f1']:.3f} "
            f"| {row['majority_baseline']:.3f} | {row['train_size']} / {row['validation_size']} / "
            f"{row['test_size']} | {row['fit_seconds']:.1f} |")


def load_submission(spec: str):
    """The class of a submission file: ``"path/to/file.py"`` or ``"path/to/file.py:ClassName"``.

    Without a class name, the file must define exactly one class with ``fit`` and ``predict_proba``.

    Raises:
        FileNotFoundError: no such file. SubmissionError: the file fails to import, or the class
        is missing or ambiguous.
    """
    path, class_name = parse_spec(spec)
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


def parse_spec(spec: str) -> tuple[Path, str]:
    """``"file.py:ClassName"`` -> ``(Path("file.py"), "ClassName")``; ``"file.py"`` -> ``(Path("file.py"), "")``.

    Raises:
        FileNotFoundError: no such file.
    """
    path, class_name = str(spec), ""
    if ":" in path and path.rsplit(":", 1)[1].isidentifier():
        path, class_name = path.rsplit(":", 1)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file {path}; give your submission's .py file, e.g. assignments/template.py")
    return path, class_name


def _call(function, what: str, *args):
    """``function(*args)``; an exception in the student's code becomes a SubmissionError saying where."""
    try:
        return function(*args)
    except SystemExit as error:  # not an Exception: it would end the scorer, and look like success
        raise SubmissionError(f"{what} called sys.exit({error.code!r}) (or exit()): return from it instead; "
                              "a submission must not end the scorer's process") from None
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
