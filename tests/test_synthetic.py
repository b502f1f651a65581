"""Tests of the synthetic ECG simulator (ecgkeras.data.synthetic)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import find_peaks

from ecgkeras.data.dataset import LEAD_NAMES, report_segments
from ecgkeras.data.synthetic import (
    CLASS_PROPORTIONS,
    DEFAULT_DIFFICULTY,
    make_dataset,
    make_signals,
    simulate_ecg,
)

FS = 100.0
LEAD = {name: i for i, name in enumerate(LEAD_NAMES)}


def beats(signal: np.ndarray, fs: float = FS) -> np.ndarray:
    """Sample indices of the QRS complexes: peaks of the summed slope of all 12 leads."""
    slope = np.abs(np.diff(signal, axis=1)).sum(axis=0)
    peaks, _ = find_peaks(slope, height=0.4 * slope.max(), distance=int(0.3 * fs))
    margin = int(0.15 * fs)
    return peaks[(peaks > margin) & (peaks < signal.shape[1] - margin)]


def st_level(signal: np.ndarray) -> np.ndarray:
    """Per lead (12,), mV: median over beats of the level 80 ms after the QRS, above baseline."""
    level = signal - np.median(signal, axis=1, keepdims=True)
    return np.median(level[:, beats(signal) + 8], axis=1)


def q_depth(signal: np.ndarray) -> np.ndarray:
    """Per lead (12,), mV: median over beats of the deepest point 30-50 ms before the QRS."""
    level = signal - np.median(signal, axis=1, keepdims=True)
    peaks = beats(signal)
    before = np.stack([level[:, peaks - k] for k in (3, 4, 5)])
    return np.median(-before.min(axis=0), axis=1)


def rr_spread(signal: np.ndarray) -> float:
    """Largest change between successive RR intervals, as a fraction of the mean RR."""
    rr = np.diff(beats(signal))
    return np.abs(np.diff(rr)).max() / rr.mean()


def cohort(label: int, n: int = 25, difficulty: float = 0.0) -> list[np.ndarray]:
    return [simulate_ecg(label, 100 * label + i, difficulty=difficulty) for i in range(n)]


@pytest.fixture(scope="module")
def textbook():
    """25 patients per class at difficulty 0 (textbook cases)."""
    return {label: cohort(label) for label in range(4)}


def test_simulate_ecg_shape_dtype_and_units():
    signal = simulate_ecg(0, 0)
    assert signal.shape == (12, 1000) and signal.dtype == np.float32
    assert np.isfinite(signal).all() and np.abs(signal).max() < 5  # mV
    assert simulate_ecg(2, 0, fs=250.0, seconds=4.0).shape == (12, 1000)
    assert simulate_ecg(1, 0, fs=500.0, seconds=2.5).shape == (12, 1250)


def test_every_class_at_every_difficulty_stays_in_a_plausible_mv_range():
    for label in range(4):
        for difficulty in (0.0, DEFAULT_DIFFICULTY, 1.0):
            signal = simulate_ecg(label, 7, difficulty=difficulty)
            assert np.isfinite(signal).all()
            assert 0.3 < np.ptp(signal, axis=1).max() < 6  # mV


def test_r_wave_of_normals_in_lead_ii_is_a_few_tenths_of_a_mv_to_two_mv(textbook):
    tallest = [
        np.max(signal[LEAD["II"]] - np.median(signal[LEAD["II"]])) for signal in textbook[0]
    ]
    assert 0.5 < np.median(tallest) < 2.0
    assert np.percentile(tallest, 10) > 0.3 and max(tallest) < 3.0


def test_heart_rate_of_normals_is_in_the_normal_range(textbook):
    rates = []
    for signal in textbook[0]:
        peaks, _ = find_peaks(signal[LEAD["II"]], prominence=0.6 * np.ptp(signal[LEAD["II"]]))
        rates.append(60 / np.median(np.diff(beats(signal))) * FS)
        assert abs(len(peaks) - rates[-1] / 6) <= 2  # R peaks in 10 s on lead II match the rate
    assert 45 <= min(rates) and max(rates) <= 120  # bpm
    assert 60 <= np.mean(rates) <= 90


def test_limb_leads_follow_einthoven_and_goldberger():
    for label in range(4):
        signal = simulate_ecg(label, 11, difficulty=1.0).astype(np.float64)
        lead_i, lead_ii = signal[LEAD["I"]], signal[LEAD["II"]]
        np.testing.assert_allclose(signal[LEAD["III"]], lead_ii - lead_i, atol=1e-5)
        np.testing.assert_allclose(signal[LEAD["aVR"]], -(lead_i + lead_ii) / 2, atol=1e-5)
        np.testing.assert_allclose(signal[LEAD["aVL"]], lead_i - lead_ii / 2, atol=1e-5)
        np.testing.assert_allclose(signal[LEAD["aVF"]], lead_ii - lead_i / 2, atol=1e-5)


def test_acute_mi_raises_the_st_segment_in_some_leads_and_lowers_it_in_others(textbook):
    normal = np.array([st_level(signal) for signal in textbook[0]])
    infarct = np.array([st_level(signal) for signal in textbook[2]])
    assert infarct.max(axis=1).mean() > normal.max(axis=1).mean() + 0.15
    assert infarct.min(axis=1).mean() < normal.min(axis=1).mean() - 0.05  # reciprocal depression
    assert np.median(infarct.max(axis=1)) > 0.15  # mV: a textbook STEMI


def test_history_of_mi_has_deeper_q_waves_and_no_st_elevation(textbook):
    normal_q = np.array([q_depth(signal).max() for signal in textbook[0]])
    scar_q = np.array([q_depth(signal).max() for signal in textbook[3]])
    assert scar_q.mean() > normal_q.mean() + 0.1
    scar_st = np.array([st_level(signal).max() for signal in textbook[3]])
    assert scar_st.mean() < 0.08


def test_abnormal_heartbeat_is_irregular_and_normal_sinus_rhythm_is_not(textbook):
    normal = np.array([rr_spread(signal) for signal in textbook[0]])
    abnormal = np.array([rr_spread(signal) for signal in textbook[1]])
    assert normal.max() < 0.15
    assert np.median(abnormal) > 0.3
    assert (abnormal > normal.max()).mean() > 0.8


def test_difficulty_shrinks_the_class_changes(textbook):
    subtle = np.array([st_level(signal).max() for signal in cohort(2, difficulty=1.0)])
    textbook_st = np.array([st_level(signal).max() for signal in textbook[2]])
    assert subtle.mean() < textbook_st.mean() / 2


def test_same_seed_same_bytes_other_seed_other_bytes():
    first, again, other = (make_dataset(50, seed=s) for s in (3, 3, 4))
    assert first.signals.tobytes() == again.signals.tobytes()
    assert np.array_equal(first.labels, again.labels)
    assert first.signals.tobytes() != other.signals.tobytes()


def test_seed_or_rng_accepts_an_int_or_a_generator():
    np.testing.assert_array_equal(simulate_ecg(3, 9), simulate_ecg(3, np.random.default_rng(9)))
    assert not np.array_equal(simulate_ecg(3, 9), simulate_ecg(3, 10))


def test_patient_i_does_not_depend_on_n():
    only_normals = (1.0, 0.0, 0.0, 0.0)
    few, few_labels = make_signals(5, seed=8, class_proportions=only_normals)
    many, _ = make_signals(12, seed=8, class_proportions=only_normals)
    assert (few_labels == 0).all()
    np.testing.assert_array_equal(few, many[:5])


def test_class_counts_follow_the_proportions_by_largest_remainder():
    # 10 x (0.306, 0.251, 0.258, 0.185) = (3.06, 2.51, 2.58, 1.85): floors 3, 2, 2, 1, then
    # the two largest remainders (History of MI, Myocardial infarction) get one more each.
    _, labels = make_signals(10, seed=0)
    assert np.bincount(labels, minlength=4).tolist() == [3, 2, 3, 2]
    _, labels = make_signals(8, seed=0, class_proportions=(0.5, 0.25, 0.25, 0.0))
    assert np.bincount(labels, minlength=4).tolist() == [4, 2, 2, 0]
    assert sum(CLASS_PROPORTIONS) == pytest.approx(1.0)
    assert np.array(CLASS_PROPORTIONS) * 928 == pytest.approx([284, 233, 239, 172])


def test_labels_are_shuffled():
    _, labels = make_signals(40, seed=1, class_proportions=(0.25, 0.25, 0.25, 0.25))
    assert not np.array_equal(labels, np.sort(labels))


def test_make_dataset_cuts_make_signals_into_the_report_layout():
    data = make_dataset(6, seed=2)
    signals, labels = make_signals(6, seed=2)
    assert data.signals.shape == (6, 250, 12) and data.signals.dtype == np.float32
    assert data.rhythm.shape == (6, 1000)
    np.testing.assert_array_equal(data.labels, labels)
    np.testing.assert_array_equal(data.groups, np.arange(6))
    assert data.info == {"source": "synthetic", "difficulty": DEFAULT_DIFFICULTY, "seed": 2}
    windows, rhythm = report_segments(signals[4])
    np.testing.assert_array_equal(data.signals[4], windows.T)
    np.testing.assert_array_equal(data.rhythm[4], signals[4, LEAD["II"]])


def test_make_dataset_at_another_sampling_rate():
    data = make_dataset(4, seed=0, fs=250.0, difficulty=0.2)
    assert data.signals.shape == (4, 625, 12) and data.rhythm.shape == (4, 2500)
    assert data.fs == 250.0 and data.info["difficulty"] == 0.2


@pytest.mark.parametrize("label", [4, -1, 1.5, "MI", True, None])
def test_unknown_label_is_refused(label):
    with pytest.raises(ValueError, match="label"):
        simulate_ecg(label, 0)


@pytest.mark.parametrize("difficulty", [-0.1, 1.1, float("nan"), "hard", None])
def test_difficulty_outside_0_1_is_refused(difficulty):
    with pytest.raises(ValueError, match="difficulty"):
        simulate_ecg(0, 0, difficulty=difficulty)
    with pytest.raises(ValueError, match="difficulty"):
        make_dataset(4, difficulty=difficulty)


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_n_must_be_a_positive_integer(n):
    with pytest.raises(ValueError, match="n must"):
        make_dataset(n)


@pytest.mark.parametrize(
    "proportions",
    [(0.5, 0.5, 0.5, 0.5), (0.5, 0.5), (1.2, -0.2, 0.0, 0.0), (0.25, 0.25, 0.25, float("nan"))],
)
def test_bad_class_proportions_are_refused(proportions):
    with pytest.raises(ValueError, match="class_proportions"):
        make_signals(4, class_proportions=proportions)


@pytest.mark.parametrize("seed", [-1, 1.5, "zero"])
def test_seed_must_be_a_non_negative_integer(seed):
    with pytest.raises(ValueError, match="seed"):
        make_dataset(4, seed=seed)


@pytest.mark.parametrize("argument", ["fs", "seconds"])
@pytest.mark.parametrize("value", [0.0, -100.0, float("inf")])
def test_fs_and_seconds_must_be_positive(argument, value):
    with pytest.raises(ValueError, match=argument):
        simulate_ecg(0, 0, **{argument: value})
