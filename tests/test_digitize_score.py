"""Tests of ecgkeras.data.digitize_score: the PhysioNet Challenge 2024 scores of a digitized report."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from ecgkeras.data.dataset import LEAD_NAMES
from ecgkeras.data.digitize_score import (
    ImageScore,
    challenge_snr,
    development_group,
    development_samples,
    pearson_r,
    resample,
    score_development_set,
    score_report,
    score_table,
    standard_windows,
)


def test_challenge_snr_known_answers():
    truth = np.array([1.0, -1.0, 1.0, -1.0])
    assert challenge_snr(truth, np.zeros(4)) == pytest.approx(0.0)
    assert challenge_snr(truth, None) == pytest.approx(0.0)  # a lead not returned
    assert challenge_snr(truth, truth + 0.1) == pytest.approx(20.0)  # error power 1/100 of the signal's
    assert challenge_snr(truth, truth) == np.inf
    assert challenge_snr(truth, [1.0, np.nan, 1.0, -1.0]) == pytest.approx(challenge_snr(truth, [1, 0, 1, -1]))
    with pytest.raises(ValueError, match="resample first"):
        challenge_snr(truth, np.zeros(3))


def test_the_challenge_snr_counts_an_offset_and_the_offset_free_one_does_not():
    t = np.arange(2500) / 100.0
    truth = np.sin(2 * np.pi * 2 * t)[None].repeat(12, axis=0)  # 2 Hz: each 2.5 s window alike
    leads = np.stack([truth[i, :250] + 0.5 for i in range(12)])  # every lead 0.5 mV too high
    scores = score_report(leads, truth[1, :1000] + 0.5, truth, 100.0)
    assert len(scores.snr) == 13 and scores.names[-1] == "II rhythm"
    assert np.allclose(scores.snr, 10 * np.log10(0.5 / 0.25), atol=0.2)  # sine power 0.5, error 0.25
    assert np.all(scores.snr_offset_free > 60)
    assert np.allclose(scores.r, 1.0)


def test_score_report_reads_each_window_of_its_lead():
    fs = 500.0
    truth = np.random.default_rng(0).normal(size=(12, 5000))
    windows = standard_windows()
    leads = np.zeros((12, 1250))
    for window in windows[:-1]:
        lead = LEAD_NAMES.index(window.name)
        leads[lead] = truth[lead, int(window.start * fs) : int(window.stop * fs)]
    scores = score_report(leads, truth[1], truth, fs)
    assert np.all(scores.snr == np.inf)
    shifted = score_report(np.roll(leads, 1, axis=1), truth[1], truth, fs)  # one sample late: no alignment
    assert np.all(shifted.snr[:-1] < 3)
    refused = score_report(None, None, truth, fs)
    assert np.all(refused.snr == 0) and np.all(np.isnan(refused.r))


def test_resample_and_pearson():
    assert np.allclose(resample([0.0, 1.0], 4), [0.0, 0.5, 1.0, 1.0])
    assert np.array_equal(resample([1.0, 2.0, 3.0], 3), [1.0, 2.0, 3.0])
    assert np.isnan(pearson_r([1.0, 1.0], [1.0, 2.0]))
    assert pearson_r([1.0, 2.0, 3.0], [2.0, 4.0, 7.0]) == pytest.approx(np.corrcoef([1, 2, 3], [2, 4, 7])[0, 1])


def test_development_groups_and_table():
    assert [development_group(n) for n in ("syn000", "syn015", "syn016", "ptbxl_00001_lr")] == [
        "tuning", "tuning", "held-out synthetic", "real"]
    scores = [
        ImageScore("red", "syn000", 10.0, 12.0, 0.9, 15.0),
        ImageScore("red", "syn020", 0.0, 0.0, np.nan, 1.0, "poor"),
    ]
    table = score_table(scores, split=development_group)
    assert "| red (all) | 2 | 5.0 | 6.0 | 0.900 | 1 |" in table
    assert "| red (held-out synthetic) | 1 | 0.0 | 0.0 | - | 1 |" in table


def test_the_shipped_images_of_another_renderer_read_well():
    """The two ecg-image-kit images shipped with the package (chapter 1): >= 10 dB, nothing refused."""
    scores = score_development_set(development_samples())
    assert {(s.setting, s.name) for s in scores} == {("red", "ptb_s0010_re_00s"), ("random_header", "syn016")}
    for score in scores:
        assert not score.refused, score
        assert score.snr >= 10 and score.r >= 0.95 and score.quality >= 10, score


def test_a_development_set_without_truth_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no truth.npz"):
        score_development_set(tmp_path)


@pytest.mark.slow
def test_the_development_set_of_another_renderer(image_kit_dir):
    """Issue 16's bar on all 81 ecg-image-kit images: mean Challenge SNR >= 10 dB on the red and pink
    grids and >= 6 dB with a random grid colour and a header (a refused image counts 0 dB), and no
    image accepted whose median lead r is below 0.5. Tuned on syn000-syn015 only; the held-out
    records must clear the same bars (measured: about 14 dB in every setting and group). The quality
    score ranks the images by their true error: Spearman rho >= 0.6 (measured 0.63)."""
    scores = score_development_set(image_kit_dir)
    assert len(scores) == 81
    bars = {"red": 10.0, "pink": 10.0, "random_header": 6.0}
    for setting, bar in bars.items():
        for group in ("tuning", "held-out synthetic", "real"):
            members = [s for s in scores if s.setting == setting and development_group(s.name) == group]
            assert np.mean([s.snr for s in members]) >= bar, (setting, group)
    accepted = [s for s in scores if not s.refused]
    assert all(s.r >= 0.5 for s in accepted), [s for s in accepted if s.r < 0.5]
    assert spearmanr([s.quality for s in scores], [s.snr for s in scores]).statistic >= 0.6
