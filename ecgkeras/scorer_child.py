"""The submission's side of ``ecgkeras score``: runs in a fresh Python process of its own.

``ecgkeras.assignment.score_file`` starts this module as ``main([FOLDER, SPEC, SEED])`` in an
empty working folder ``FOLDER/work``, and keeps the test labels to itself. Here we:

1. read ``FOLDER/inputs.npz`` (``write_inputs``): training and validation signals with their
   labels, test signals without labels;
2. import the submission ``SPEC`` (``file.py`` or ``file.py:ClassName``), compute the views it
   asks for, call ``fit`` and ``predict_proba``;
3. write ``FOLDER/result.npz`` (``probabilities`` float64 (n_test, 4), ``fit_seconds``, ``name``),
   or ``FOLDER/error.txt`` (what is wrong, as a ``SubmissionError`` says it), and exit.

The scorer checks the probabilities again and computes the score with its own code: whatever the
submission changes in this process (a metric, this module) cannot change its score.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from ecgkeras.assignment import (ERROR_FILE, INPUTS_FILE, RESULT_FILE, SubmissionError, fit_and_predict,
                                 load_submission, views_of)


def main(argv: list[str]) -> None:
    """``argv = [FOLDER, SPEC, SEED]``; writes the result or the error, then ends the process.

    Exit status 0 with ``result.npz``, 3 with ``error.txt``; anything else (an error of ours, a
    crash) leaves a traceback on stderr, which the scorer shows.
    """
    folder, spec, seed = Path(argv[0]), argv[1], int(argv[2])
    try:
        probabilities, seconds, name = run(folder / INPUTS_FILE, spec, seed)
    except SubmissionError as error:
        message = str(error)
        _write(folder, ERROR_FILE, lambda path: path.write_text(message))
        code = 3
    else:
        _write(folder, RESULT_FILE, lambda path: np.savez(path, probabilities=probabilities,
                                                           fit_seconds=np.float64(seconds), name=np.str_(name)))
        code = 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # now: the submission's atexit hooks and Keras's teardown cannot change the exit


def run(inputs_file: Path, spec: str, seed: int) -> tuple[np.ndarray, float, str]:
    """Fit the submission on the training split, predict the test ECGs.

    Returns:
        ``(probabilities, fit_seconds, class name)``: float64 (n_test, 4), each row >= 0 and
        summing to 1 (``check_probabilities``).
    """
    from ecgkeras.views import make_views

    with np.load(inputs_file, allow_pickle=False) as saved:  # read all before the submission runs
        arrays = {key: saved[key] for key in saved.files}
    model_class = load_submission(spec)
    name = model_class.__name__
    views = views_of(model_class, name)
    inputs = {part: make_views(arrays[f"{part}_signals"], fs=float(arrays["fs"]), views=views)
              for part in ("train", "val", "test")}
    probabilities, seconds = fit_and_predict(model_class, name, (inputs["train"], arrays["train_labels"]),
                                             (inputs["val"], arrays["val_labels"]), inputs["test"], seed)
    return probabilities, seconds, name


def _write(folder: Path, file_name: str, write) -> None:
    """Write ``folder/file_name`` whole (a temporary file renamed), even if the submission deleted ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"partial-{file_name}"
    write(partial)
    os.replace(partial, folder / file_name)
