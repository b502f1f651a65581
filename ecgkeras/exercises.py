"""Self-checks for the chapters' exercises: each says what is wrong, not just that it is.

Every ``check_*`` function prints one line starting with "Correct" or "Not yet:" followed by
the reason, and returns True or False, so a notebook cell never stops on a wrong answer.
"""

from __future__ import annotations

import functools

import numpy as np


def _verdict(problem: str | None, success: str = "Correct.") -> bool:
    print(success if problem is None else f"Not yet: {problem}")
    return problem is None


class _Unanswered(Exception):
    pass


def _number(answer) -> float:
    """The student's answer as a float; ``...`` (the exercise's placeholder) means not answered yet."""
    if answer is Ellipsis or answer is None:
        raise _Unanswered
    return float(answer)


def _indices(answer) -> np.ndarray:
    """The student's index array; ``...`` means not answered yet."""
    if answer is Ellipsis or answer is None:
        raise _Unanswered
    return np.asarray(answer)


def _unanswered_is_not_an_error(check):
    """Let a check print a hint instead of failing when the placeholder ``...`` is still there."""

    @functools.wraps(check)
    def wrapped(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except _Unanswered:
            return _verdict("replace the `...` placeholder with your answer, then run the cell again")

    return wrapped


# Chapter 1 ---------------------------------------------------------------------------------


def check_vertical_average(student_function) -> bool:
    """Exercise 1.1: your Algorithm 1 on a small image whose answer is known.

    Your function takes a uint8 RGB image (H, W, 3) and returns float (W,): per pixel column the
    mean row index of the dark pixels, negated so that up is positive, NaN where a column has none.
    (``ecgkeras.data.digitize.vertical_average`` measures from the bottom row instead,
    H - 1 - mean row: the same signal shifted by a constant.)
    """
    image = np.full((40, 6, 3), 255, dtype=np.uint8)
    image[10, 0] = 0  # one dark pixel in row 10
    image[[20, 30], 1] = 0  # two dark pixels: their mean row is 25
    image[5:8, 2] = 0  # rows 5, 6, 7: mean 6
    image[39, 4] = 0  # bottom row
    expected = np.array([-10.0, -25.0, -6.0, np.nan, -39.0, np.nan])
    try:
        answer = student_function(image)
    except Exception as error:  # the student's code may fail in any way: report it
        return _verdict(f"your function raised {type(error).__name__}: {error}")
    if answer is None:
        return _verdict("your function returns None: replace the `...` placeholder and return the array")
    answer = np.asarray(answer, dtype=float)
    if answer.shape != expected.shape:
        return _verdict(f"expected one value per pixel column, shape {expected.shape}, got {answer.shape}")
    if not np.isnan(answer[3]):
        return _verdict(f"column 3 has no dark pixels; return NaN there, not {answer[3]} (try np.nanmean)")
    if np.allclose(answer[[0, 1, 2, 4]], -expected[[0, 1, 2, 4]]):
        return _verdict("the sign is flipped: image rows grow downwards, so negate the mean row to make up positive")
    if not np.allclose(answer[[0, 1, 2, 4]], expected[[0, 1, 2, 4]]):
        return _verdict(
            f"for columns 0, 1, 2, 4 expected {expected[[0, 1, 2, 4]].tolist()}, got {answer[[0, 1, 2, 4]].tolist()}"
        )
    return _verdict(None)


@_unanswered_is_not_an_error
def check_heart_rate(answer_bpm: float, rhythm, fs: float = 100.0) -> bool:
    """Exercise 1.2: your heart rate (beats per minute) from a rhythm strip sampled at ``fs`` Hz."""
    from ecgkeras.data.digitize import heart_rate

    truth = heart_rate(rhythm, fs)
    answer = _number(answer_bpm)
    if not np.isfinite(answer) or answer <= 0:
        return _verdict(f"a heart rate is a positive number of beats per minute, got {answer_bpm}")
    if abs(answer - truth / 60.0) < 0.1 * truth / 60.0:
        return _verdict("that is beats per second; multiply by 60 for beats per minute")
    if abs(answer - truth) <= 0.1 * truth:
        return _verdict(None, f"Correct: {answer:.0f} bpm (ecgkeras finds {truth:.0f} bpm).")
    if abs(answer * fs - truth) < 0.15 * truth or abs(answer / fs - truth) < 0.15 * truth:
        return _verdict(f"a factor of fs = {fs} Hz is off: convert the R-R interval from samples to seconds")
    return _verdict(
        f"{answer:.0f} bpm is more than 10 % away from {truth:.0f} bpm: are all R peaks found "
        "(try a height threshold relative to the strip's maximum and a minimum distance of ~0.3 s)?"
    )


# Chapter 2 ---------------------------------------------------------------------------------


@_unanswered_is_not_an_error
def check_peak_frequency(answer_hz: float, signal, fs: float = 100.0) -> bool:
    """Exercise 2.1: the frequency in Hz of the largest non-zero bin of a 1-D signal's rFFT."""
    signal = np.asarray(signal, dtype=float)
    magnitude = np.abs(np.fft.rfft(signal - signal.mean()))
    frequencies = np.fft.rfftfreq(len(signal), d=1.0 / fs)
    peak_bin = int(np.argmax(magnitude))
    truth = frequencies[peak_bin]
    resolution = fs / len(signal)
    answer = _number(answer_hz)
    if abs(answer - truth) <= resolution / 2:
        return _verdict(None, f"Correct: {truth:.2f} Hz (bins are {resolution:.2f} Hz apart).")
    if abs(answer - peak_bin) < 0.5:
        return _verdict(f"{answer:g} is the bin index; multiply by fs / samples = {resolution:.3f} Hz per bin")
    if abs(answer - truth * 2 * np.pi) < resolution * 2 * np.pi:
        return _verdict("that is an angular frequency (rad/s); divide by 2 pi for Hz")
    return _verdict(f"{answer:g} Hz is not the largest bin; did you remove the mean (the 0 Hz bin) first?")


# Chapter 3 ---------------------------------------------------------------------------------


@_unanswered_is_not_an_error
def check_group_split(train_index, test_index, groups, labels) -> bool:
    """Exercise 3.1: a leak-free split keeps every group on one side and every class on both."""
    train_index, test_index = _indices(train_index), _indices(test_index)
    groups, labels = np.asarray(groups), np.asarray(labels)
    both = np.intersect1d(train_index, test_index)
    if both.size:
        return _verdict(f"samples {both[:5].tolist()} are in both training and test")
    missing = np.setdiff1d(np.arange(len(groups)), np.union1d(train_index, test_index))
    if missing.size:
        return _verdict(f"{missing.size} samples are in neither split (e.g. {missing[:5].tolist()})")
    shared = np.intersect1d(groups[train_index], groups[test_index])
    if shared.size:
        return _verdict(
            f"{shared.size} groups (e.g. {shared[:5].tolist()}) have copies in training and test: "
            "split the group ids, then take every sample of a group to its group's side"
        )
    absent = sorted(set(labels.tolist()) - set(labels[test_index].tolist()))
    if absent:
        return _verdict(f"classes {absent} are missing from the test split: stratify by class")
    return _verdict(None)


@_unanswered_is_not_an_error
def check_leaked_fraction(answer: float, groups, train_index, test_index) -> bool:
    """Exercise 3.2: the share of test samples whose group (ECG) also appears in training."""
    from ecgkeras.data.splits import leaked_fraction

    truth = leaked_fraction(groups, train_index, test_index)
    answer = _number(answer)
    if abs(answer - truth) < 1e-9:
        return _verdict(None, f"Correct: {truth:.3f}.")
    if abs(answer - 100 * truth) < 1e-6:
        return _verdict("that is a percentage; give a fraction between 0 and 1")
    if abs(answer - truth * len(test_index)) < 1e-6:
        return _verdict("that is a count of samples; divide by the number of test samples")
    return _verdict(f"expected the fraction of test samples with an ECG seen in training; got {answer:.3f}")
