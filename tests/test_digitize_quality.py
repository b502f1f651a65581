"""Tests of ecgkeras.data.digitize_quality and of digitize_report's refusal and turning (chapter 1)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ecgkeras.data.dataset import LEAD_NAMES, report_segments, sample_image_paths
from ecgkeras.data.digitize import PoorReadingError, digitize_report
from ecgkeras.data.digitize_quality import MIN_QUALITY, DigitizeQuality, measure_quality, rhythm_residual
from ecgkeras.data.synthetic import make_signals


def segments(signal):
    leads, rhythm = report_segments(signal)
    return np.asarray(leads, np.float64), np.asarray(rhythm, np.float64)


@pytest.fixture(scope="module")
def two_patients():
    signals, _ = make_signals(2, seed=3)
    return signals


def test_true_signals_agree_with_themselves(two_patients):
    leads, rhythm = segments(two_patients[0])
    quality = measure_quality(leads, rhythm)
    assert quality.score == 30.0 and quality.rhythm_lead == "II"  # the clip: a perfect reading


def test_the_score_estimates_the_snr_of_an_error_in_every_lead(two_patients):
    """Independent errors of one power in every lead: the score is their SNR, within 1.5 dB (at 10 and 18 dB)."""
    leads, rhythm = segments(two_patients[0])
    rng = np.random.default_rng(0)
    for noise_mv in (0.02, 0.05):  # at 0.1 mV (4 dB) picking the best of 12 leads for the strip flatters it
        noisy = leads + rng.normal(0, noise_mv, leads.shape)
        true_snr = np.mean(10 * np.log10(np.mean(leads**2, axis=1) / noise_mv**2))
        quality = measure_quality(noisy, rhythm + rng.normal(0, noise_mv, rhythm.shape))
        assert quality.score == pytest.approx(true_snr, abs=1.5), noise_mv


def test_leads_of_another_patient_make_a_poor_score(two_patients):
    leads, rhythm = segments(two_patients[0])
    other, _ = segments(two_patients[1])
    mixed = leads.copy()
    mixed[[LEAD_NAMES.index("II"), LEAD_NAMES.index("aVF")]] = other[[LEAD_NAMES.index("II"), LEAD_NAMES.index("aVF")]]
    quality = measure_quality(mixed, rhythm)
    assert quality.score < MIN_QUALITY + 5
    assert quality.score < measure_quality(leads, rhythm).score - 15
    assert quality.problems() or quality.score >= MIN_QUALITY


def test_the_rhythm_strip_lead_is_found_not_assumed(two_patients):
    signal = two_patients[0]
    leads, _ = segments(signal)
    v1 = np.asarray(signal[LEAD_NAMES.index("V1")][: 4 * leads.shape[1]], np.float64)
    _, name = rhythm_residual(leads, v1)
    assert name == "V1"


def test_problems_name_what_is_wrong():
    poor = DigitizeQuality(1.0, 2.0, 0.0, 1.0, "II", pulse_height=0.5)
    text = " ".join(poor.problems())
    assert "quality 1.0 dB" in text and "5.0 mm tall, not 10 mm" in text
    assert DigitizeQuality(20.0, 20.0, 20.0, 20.0, "II", pulse_height=1.02).problems() == []
    assert "page turned" in str(DigitizeQuality(20.0, 20.0, 20.0, 20.0, "II", turned=True))


def test_an_upside_down_report_is_read_turned():
    path = sample_image_paths()["Normal"]
    upright = digitize_report(path)
    image = np.asarray(__import__("PIL.Image", fromlist=["Image"]).open(path).convert("RGB"))
    turned = digitize_report(np.ascontiguousarray(image[::-1, ::-1]))
    assert turned.quality.turned and not upright.quality.turned
    assert np.corrcoef(turned.leads.ravel(), upright.leads.ravel())[0, 1] >= 0.999


def test_a_report_whose_leads_disagree_is_refused_unless_kept(two_patients):
    """A page drawn right, but with lead II and the strip of another patient: read right, and refused."""
    from ecgkeras.data.render import render_report

    signal = np.array(two_patients[0])
    signal[LEAD_NAMES.index("II")] = two_patients[1][LEAD_NAMES.index("II")]
    signal[LEAD_NAMES.index("aVF")] = two_patients[1][LEAD_NAMES.index("aVF")]
    image = render_report(signal, seed=1)
    with pytest.raises(PoorReadingError, match="reads too poorly to trust.*Einthoven"):
        digitize_report(image)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = digitize_report(image, keep_poor=True)
    assert report.quality.score < MIN_QUALITY
    assert any("kept although it reads poorly" in str(w.message) for w in caught)


def test_mendeley_samples_read_well(mendeley_sample_dir):
    """Every full-resolution sample is kept, upright, with a quality well above the bar."""
    for path in sorted(mendeley_sample_dir.rglob("*.jpg")):
        report = digitize_report(path)
        assert report.quality.score >= MIN_QUALITY + 3 and not report.quality.turned, path.name
