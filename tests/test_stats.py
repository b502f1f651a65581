"""``ecgkeras.stats``: paired bootstrap, Bayesian comparison and correlated t-test, on known answers."""

from __future__ import annotations

import math

import arviz as az
import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from ecgkeras.stats import (
    METRICS,
    bayesian_comparison,
    classification_metrics,
    correlated_t_test,
    paired_bootstrap,
    plot_bootstrap,
    plot_forest,
    plot_posteriors,
    posterior_summary,
)


def noisy_predictions(labels, accuracy, seed):
    rng = np.random.default_rng(seed)
    return np.where(rng.random(len(labels)) < accuracy, labels, rng.integers(0, 4, len(labels)))


def one_hot(classes, n_classes=4):
    return np.eye(n_classes)[classes]


LABELS = np.random.default_rng(0).integers(0, 4, 300)


def test_classification_metrics_match_scikit_learn_with_absent_and_unpredicted_classes():
    labels = np.array([0, 0, 1, 1, 2, 2, 2, 0])  # class 3 never occurs
    predicted = np.array([0, 1, 1, 1, 0, 0, 1, 0])  # classes 2 and 3 never predicted
    ours = classification_metrics(labels, predicted, 4)
    precision, recall, f1, _ = precision_recall_fscore_support(labels, predicted, labels=range(4), average="macro",
                                                               zero_division=0)
    assert ours["accuracy"] == pytest.approx(4 / 8)
    assert (ours["macro_precision"], ours["macro_recall"], ours["macro_f1"]) == pytest.approx((precision, recall, f1))


def test_classification_metrics_of_many_resamples_at_once():
    predicted = noisy_predictions(LABELS, 0.7, seed=1)
    index = np.random.default_rng(2).integers(0, len(LABELS), (5, len(LABELS)))
    batch = classification_metrics(LABELS[index], predicted[index], 4)
    for row in range(5):
        single = classification_metrics(LABELS[index[row]], predicted[index[row]], 4)
        assert {m: batch[m][row] for m in METRICS} == pytest.approx(single)


def test_identical_predictions_differ_by_exactly_zero_with_p_one():
    predicted = noisy_predictions(LABELS, 0.7, seed=3)
    for result in paired_bootstrap(LABELS, predicted, predicted, n_boot=500).values():
        assert result.difference == 0 and not result.distribution.any()
        assert (result.ci_low, result.ci_high) == (0, 0)
        assert result.p_value == 1.0


def test_a_model_wrong_on_k_samples_loses_by_k_over_n_with_the_binomial_p_value():
    n, k, n_boot = 100, 1, 20_000
    labels = np.arange(n) % 4
    wrong = labels.copy()
    wrong[:k] = (labels[:k] + 1) % 4
    result = paired_bootstrap(labels, labels, wrong, metrics=["accuracy"], n_boot=n_boot, seed=4)["accuracy"]
    assert result.value_a == 1.0 and result.difference == pytest.approx(k / n)
    assert (result.distribution >= 0).all()  # A is never worse on any resample
    # The difference is <= 0 only when no wrong sample is drawn: probability (1 - k/n)^n = 0.366.
    expected = (1 + n_boot * (1 - k / n) ** n) / (n_boot + 1)
    assert result.p_value == pytest.approx(expected, abs=4 * math.sqrt(expected * (1 - expected) / n_boot))


def test_a_clear_gain_gets_a_small_p_value_and_a_positive_interval():
    n = 400
    labels = np.arange(n) % 4
    worse = labels.copy()
    worse[::5] = (labels[::5] + 1) % 4  # wrong on 20 %
    result = paired_bootstrap(labels, labels, worse, n_boot=2000, seed=5)
    assert result["accuracy"].p_value == pytest.approx(1 / 2001)  # the smallest possible p
    assert result["accuracy"].ci_low > 0.1 and result["macro_f1"].ci_low > 0.1


def test_probabilities_and_classes_give_the_same_bootstrap_and_the_seed_reproduces_it():
    a, b = noisy_predictions(LABELS, 0.75, 6), noisy_predictions(LABELS, 0.65, 7)
    from_classes = paired_bootstrap(LABELS, a, b, n_boot=300, seed=8)
    from_probabilities = paired_bootstrap(LABELS, one_hot(a), one_hot(b), n_boot=300, seed=8)
    other_seed = paired_bootstrap(LABELS, a, b, n_boot=300, seed=9)
    for metric in METRICS:
        np.testing.assert_array_equal(from_classes[metric].distribution, from_probabilities[metric].distribution)
        assert not np.array_equal(from_classes[metric].distribution, other_seed[metric].distribution)
    assert set(from_classes["accuracy"].summary()) >= {"difference", "ci_low", "ci_high", "p_value", "n_boot"}


def test_posterior_of_accuracy_is_the_conjugate_beta():
    n = len(LABELS)
    a, b = noisy_predictions(LABELS, 0.8, 10), noisy_predictions(LABELS, 0.6, 11)
    s_a, s_b = int((a == LABELS).sum()), int((b == LABELS).sum())
    idata = bayesian_comparison(LABELS, a, b, names=("good", "weak"), draws=40_000, seed=12)
    accuracy = idata.posterior["accuracy"]
    assert accuracy.sel(model="good").mean() == pytest.approx((s_a + 1) / (n + 2), abs=1e-3)
    assert accuracy.sel(model="weak").mean() == pytest.approx((s_b + 1) / (n + 2), abs=1e-3)
    beta_sd = math.sqrt((s_a + 1) * (n - s_a + 1) / ((n + 2) ** 2 * (n + 3)))
    assert float(accuracy.sel(model="good").std()) == pytest.approx(beta_sd, rel=0.03)
    assert idata.attrs["correct_a"] == s_a and idata.attrs["n"] == n
    summary = posterior_summary(idata)
    assert summary["p_a_better"] > 0.99 and summary["hdi_low"] > 0
    low, high = az.hdi(idata, hdi_prob=0.95)["difference"].values
    assert (summary["hdi_low"], summary["hdi_high"]) == pytest.approx((low, high))


def test_prior_changes_the_posterior_mean_as_the_formula_says():
    a = noisy_predictions(LABELS, 0.7, 13)
    s = int((a == LABELS).sum())
    idata = bayesian_comparison(LABELS, a, a, prior=(2.0, 5.0), draws=40_000, seed=14)
    assert float(idata.posterior["accuracy"].mean()) == pytest.approx((s + 2) / (len(LABELS) + 7), abs=1e-3)


def test_identical_models_have_no_difference_in_the_posterior():
    a = noisy_predictions(LABELS, 0.7, 15)
    summary = posterior_summary(bayesian_comparison(LABELS, a, a, draws=40_000, seed=16), rope=0.01)
    assert summary["difference"] == pytest.approx(0, abs=0.002)
    assert summary["p_a_better"] == pytest.approx(0.5, abs=0.01)
    assert summary["p_below_rope"] == pytest.approx(summary["p_above_rope"], abs=0.01)
    assert summary["p_below_rope"] + summary["p_in_rope"] + summary["p_above_rope"] == pytest.approx(1)
    assert posterior_summary(bayesian_comparison(LABELS, a, a), rope=0.5)["p_in_rope"] == 1.0


def test_correlated_t_test_against_a_hand_computed_value():
    differences = [0.02, 0.05, -0.01, 0.03, 0.04]
    # mean 0.026; var (ddof 1) = 0.00212 / 4 = 0.00053; scale = sqrt((1/5 + 0.2/0.8) * 0.00053) = 0.0154434;
    # t = 0.026 / 0.0154434 = 1.683562; for 4 degrees of freedom the t CDF is
    # 1/2 + 3/4 x (1 - x^2/3) with x = t / sqrt(4 + t^2), which gives 0.916223.
    result = correlated_t_test(differences, test_fraction=0.2, rope=0.01)
    assert result["mean"] == pytest.approx(0.026)
    assert result["scale"] == pytest.approx(0.0154434, abs=1e-7)
    assert result["df"] == 4
    assert result["p_a_better"] == pytest.approx(0.916223, abs=1e-6)
    assert result["p_below_rope"] == pytest.approx(0.040078, abs=1e-6)
    assert result["p_above_rope"] == pytest.approx(1 - 0.179353, abs=1e-6)
    assert result["p_in_rope"] == pytest.approx(0.179353 - 0.040078, abs=1e-6)


@pytest.mark.parametrize("runs, folds, rope", [(1, 5, 0.0), (5, 5, 0.01), (3, 10, 0.02), (10, 2, 0.0)])
def test_correlated_t_test_equals_baycomp(runs, folds, rope):
    """baycomp (Benavoli et al.'s own package) on the same scores: x = model A, y = model B;
    its differences are y - x, so its left probability is ours above the rope."""
    baycomp = pytest.importorskip("baycomp", reason="pip install baycomp (in the test extra)")
    rng = np.random.default_rng(runs * 100 + folds)
    a = rng.uniform(0.6, 0.9, runs * folds)
    b = a - 0.01 + rng.normal(0, 0.03, runs * folds)
    ours = correlated_t_test(a - b, test_fraction=1 / folds, rope=rope)
    theirs = baycomp.CorrelatedTTest.probs(a, b, rope=rope, runs=runs)
    if rope > 0:
        p_left, p_rope, p_right = theirs
        assert ours["p_above_rope"] == pytest.approx(p_left, abs=1e-12)
        assert ours["p_in_rope"] == pytest.approx(p_rope, abs=1e-12)
        assert ours["p_below_rope"] == pytest.approx(p_right, abs=1e-12)
    else:
        assert ours["p_a_better"] == pytest.approx(theirs[0], abs=1e-12)
    mean, var, df = baycomp.CorrelatedTTest.compute_statistics(a, b, runs=runs)
    assert (ours["mean"], ours["scale"] ** 2, ours["df"]) == pytest.approx((-mean, var, df), abs=1e-15)


def test_correlated_t_test_counts_training_randomness_in_a_simulation():
    """A known answer: 5 seeds x 5 folds where each seed's training moves both folds and
    models (seed effect sd 0.03, fold noise sd 0.02). With no true difference the test is
    rarely sure (P(A > B) > 0.95 in at most 5 % of 2,000 simulated studies); with a true
    difference of 0.06 it is sure in most of them."""
    rng = np.random.default_rng(11)
    seeds, folds, studies = 5, 5, 2000

    def share_sure(true_difference):
        seed_effect = rng.normal(0, 0.03, (studies, seeds, 1))
        fold_noise = rng.normal(0, 0.02, (studies, seeds, folds))
        differences = (true_difference + seed_effect + fold_noise).reshape(studies, -1)
        return np.mean([correlated_t_test(d, test_fraction=1 / folds)["p_a_better"] > 0.95
                        for d in differences])

    assert share_sure(0.0) <= 0.05
    assert share_sure(0.06) >= 0.8


def test_correlation_between_folds_widens_the_posterior():
    differences = [0.02, 0.05, -0.01, 0.03, 0.04]
    p = [correlated_t_test(differences, test_fraction=rho)["p_a_better"] for rho in (0.05, 0.2, 0.5)]
    assert p[0] > p[1] > p[2] > 0.5


def test_correlated_t_test_of_identical_models_is_all_in_the_rope():
    result = correlated_t_test(np.zeros(5), test_fraction=0.2)
    assert result["scale"] == 0 and result["p_in_rope"] == 1.0 and result["p_a_better"] == 0.0


@pytest.mark.parametrize("call, message", [
    (lambda a, b: paired_bootstrap(LABELS, a[:-1], b), "predictions_a must hold one prediction per label"),
    (lambda a, b: paired_bootstrap(LABELS, a, b, n_boot=0), "n_boot must be an integer >= 1"),
    (lambda a, b: paired_bootstrap(LABELS, a, one_hot(b) * 0.5), "predictions_b as probabilities must .* sum to 1"),
    (lambda a, b: paired_bootstrap(LABELS, a, b, confidence=95), "confidence must lie strictly between 0 and 1"),
    (lambda a, b: paired_bootstrap(LABELS, a, b, metrics=["auc"]), "metrics must name some of"),
    (lambda a, b: paired_bootstrap(LABELS, a, b, n_classes=2), "n_classes=2 is too small"),
    (lambda a, b: paired_bootstrap(LABELS.astype(float), a, b), "labels must be .* class indices"),
    (lambda a, b: bayesian_comparison(LABELS, a, b[:10]), "predictions_b must hold one prediction per label"),
    (lambda a, b: bayesian_comparison(LABELS, a, b, prior=(0, 1)), "prior must be"),
    (lambda a, b: bayesian_comparison(LABELS, a, b, names=("A", "A")), "names must be two different"),
    (lambda a, b: posterior_summary(bayesian_comparison(LABELS, a, b, draws=10), rope=-0.01), "rope must be"),
    (lambda a, b: correlated_t_test([0.1, 0.2], test_fraction=0.2, rope=-1), "rope must be"),
    (lambda a, b: correlated_t_test([0.1], test_fraction=0.2), "differences must be .* 2 or more"),
    (lambda a, b: correlated_t_test([0.1, np.nan], test_fraction=0.2), "differences must be"),
    (lambda a, b: correlated_t_test([0.1, 0.2], test_fraction=1.0), "test_fraction must be"),
])
def test_bad_input_is_a_value_error_naming_the_argument(call, message):
    a, b = noisy_predictions(LABELS, 0.7, 17), noisy_predictions(LABELS, 0.6, 18)
    with pytest.raises(ValueError, match=message):
        call(a, b)


def test_figures_have_a_panel_per_comparison():
    a, b = noisy_predictions(LABELS, 0.7, 19), noisy_predictions(LABELS, 0.6, 20)
    bootstrap = paired_bootstrap(LABELS, a, b, n_boot=200)
    assert len(plot_bootstrap({"A - B": bootstrap, "B - A": paired_bootstrap(LABELS, b, a, n_boot=200)}).axes) == 4
    posteriors = {name: bayesian_comparison(LABELS, a, b, draws=500, seed=seed) for seed, name in enumerate("xyzw")}
    figure = plot_posteriors(posteriors, rope=0.02, columns=3)
    assert sum(ax.get_visible() for ax in figure.axes) == 4
    assert len(plot_forest(posteriors).axes) >= 1
