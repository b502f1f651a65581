"""The self-checks accept right answers and name the typical mistake in wrong ones."""

import numpy as np
import pytest

from ecgkeras import exercises


def _reference_vertical_average(image):
    dark = np.asarray(image).mean(axis=2) < 128
    rows = np.arange(dark.shape[0])[:, None]
    with np.errstate(invalid="ignore"):
        return -(dark * rows).sum(axis=0) / np.where(dark.sum(axis=0) > 0, dark.sum(axis=0), np.nan)


def test_vertical_average_check(capsys):
    assert exercises.check_vertical_average(_reference_vertical_average)
    assert not exercises.check_vertical_average(lambda image: -_reference_vertical_average(image))
    assert "sign is flipped" in capsys.readouterr().out
    assert not exercises.check_vertical_average(lambda image: np.nan_to_num(_reference_vertical_average(image)))
    assert "return NaN" in capsys.readouterr().out
    assert not exercises.check_vertical_average(lambda image: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def _strip(bpm=75.0, fs=100.0, seconds=10.0):
    t = np.arange(int(fs * seconds)) / fs
    phase = (t * bpm / 60.0) % 1.0
    return np.exp(-((phase - 0.5) ** 2) / (2 * 0.01**2))  # one narrow "R wave" per beat


def test_heart_rate_check(capsys):
    rhythm = _strip(75.0)
    assert exercises.check_heart_rate(75.0, rhythm)
    assert not exercises.check_heart_rate(75.0 / 60.0, rhythm)
    assert "beats per second" in capsys.readouterr().out
    assert not exercises.check_heart_rate(40.0, rhythm)
    assert "more than 10 %" in capsys.readouterr().out


def test_peak_frequency_check(capsys):
    fs, samples = 100.0, 1000
    signal = np.sin(2 * np.pi * 5.0 * np.arange(samples) / fs) + 3.0
    assert exercises.check_peak_frequency(5.0, signal, fs)
    assert not exercises.check_peak_frequency(50, signal, fs)  # bin index
    assert "bin index" in capsys.readouterr().out
    assert not exercises.check_peak_frequency(2 * np.pi * 5.0, signal, fs)
    assert "angular" in capsys.readouterr().out


@pytest.mark.parametrize(
    "train, test, message",
    [
        ([0, 1, 2, 3], [4, 5, 6, 7], None),
        ([0, 1, 2, 3, 4], [4, 5, 6, 7], "in both training and test"),
        ([0, 1, 2], [4, 5, 6, 7], "in neither split"),
        ([0, 1, 2, 4], [3, 5, 6, 7], "have copies in training and test"),
    ],
)
def test_group_split_check(capsys, train, test, message):
    groups = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    labels = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    assert exercises.check_group_split(train, test, groups, labels) == (message is None)
    if message:
        assert message in capsys.readouterr().out


def test_group_split_check_needs_every_class_in_test(capsys):
    groups = np.arange(4)
    labels = np.array([0, 1, 0, 1])
    assert not exercises.check_group_split([1, 3], [0, 2], groups, labels)
    assert "classes [1] are missing" in capsys.readouterr().out


def test_leaked_fraction_check(capsys):
    groups = np.array([0, 0, 1, 2, 3, 3])
    train, test = [0, 2, 4], [1, 3, 5]  # test groups 0, 2, 3: groups 0 and 3 are in training
    assert exercises.check_leaked_fraction(2 / 3, groups, train, test)
    assert not exercises.check_leaked_fraction(200 / 3, groups, train, test)
    assert "percentage" in capsys.readouterr().out
    assert not exercises.check_leaked_fraction(2, groups, train, test)
    assert "count" in capsys.readouterr().out


def test_placeholder_answer_gets_a_hint_not_an_error(capsys):
    assert not exercises.check_peak_frequency(..., np.sin(np.arange(100.0)))
    assert "placeholder" in capsys.readouterr().out
    assert not exercises.check_leaked_fraction(..., [0, 1], [0], [1])
    assert "placeholder" in capsys.readouterr().out
    assert not exercises.check_group_split(..., ..., [0, 1], [0, 1])
    assert "placeholder" in capsys.readouterr().out
