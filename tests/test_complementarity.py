"""``ecgkeras.complementarity``: correlation, mutual information and CKA between domains, on known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecgkeras.complementarity import (
    MEASURES,
    compare_domains,
    correlation_summary,
    cross_correlation,
    gaussian_mutual_information,
    ksg_mutual_information,
    linear_cka,
    mi_estimator_bias,
    mutual_information,
    plot_cross_correlations,
    plot_domain_similarity,
    principal_components,
)


def correlated_gaussians(n, covariance, seed=0):
    return np.random.default_rng(seed).multivariate_normal(np.zeros(len(covariance)), covariance, size=n)


#: A and B two variables each, correlated within and across: exact MI 0.381 nats.
COVARIANCE = np.array([[1.0, 0.3, 0.6, 0.2],
                       [0.3, 1.0, 0.1, 0.5],
                       [0.6, 0.1, 1.0, 0.0],
                       [0.2, 0.5, 0.0, 1.0]])


def test_cross_correlation_is_the_off_diagonal_block_of_numpy_corrcoef():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(50, 4))
    b[:, 0] += a[:, 1]
    expected = np.corrcoef(a, b, rowvar=False)[:3, 3:]
    np.testing.assert_allclose(cross_correlation(a, b), expected, atol=1e-12)


def test_correlation_summary_separates_sign_from_strength():
    z = np.random.default_rng(1).normal(size=200)
    assert correlation_summary(z, 2 * z + 1) == pytest.approx({"mean_r": 1.0, "mean_abs_r": 1.0})
    assert correlation_summary(z, -z) == pytest.approx({"mean_r": -1.0, "mean_abs_r": 1.0})
    # One feature copied, one flipped: the signed mean cancels to 0, the mean |r| sees the link.
    summary = correlation_summary(z, np.column_stack([z, -z]))
    assert summary == pytest.approx({"mean_r": 0.0, "mean_abs_r": 1.0})


def test_constant_features_are_blank_in_the_matrix_and_left_out_of_the_summary():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(40, 2))
    b = np.column_stack([a[:, 0], np.zeros(40)])  # a dead ReLU unit: always 0
    matrix = cross_correlation(a, b)
    assert np.isnan(matrix[:, 1]).all() and not np.isnan(matrix[:, 0]).any()
    assert correlation_summary(a, b)["mean_abs_r"] == pytest.approx(np.abs(matrix[:, 0]).mean())


def test_gaussian_mutual_information_closed_form():
    rho = 0.6
    assert gaussian_mutual_information([[1, rho], [rho, 1]], 1) == pytest.approx(-0.5 * np.log(1 - rho**2))
    assert gaussian_mutual_information(np.eye(4), 2) == pytest.approx(0.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ksg_recovers_the_mutual_information_of_correlated_gaussians(seed):
    truth = gaussian_mutual_information(COVARIANCE, 2)
    assert truth == pytest.approx(0.3814, abs=1e-4)
    sample = correlated_gaussians(2000, COVARIANCE, seed)
    assert ksg_mutual_information(sample[:, :2], sample[:, 2:]) == pytest.approx(truth, abs=0.06)  # sd ~0.02


def test_ksg_is_near_zero_for_independent_variables():
    sample = correlated_gaussians(2000, np.eye(4), seed=3)
    assert abs(ksg_mutual_information(sample[:, :2], sample[:, 2:])) < 0.04


def test_mutual_information_through_pca_keeps_the_known_value():
    # Standardising and rotating each side is invertible, so the MI is unchanged.
    sample = correlated_gaussians(2000, COVARIANCE, seed=4)
    a, b = sample[:, :2] * [10.0, 0.1], sample[:, 2:] + 5
    assert mutual_information(a, b, components=2) == pytest.approx(gaussian_mutual_information(COVARIANCE, 2), abs=0.06)


def test_ksg_bias_is_larger_on_small_samples():
    small = mi_estimator_bias(100, repeats=20, seed=0)
    large = mi_estimator_bias(2000, repeats=5, seed=0)
    assert small["true_mi"] == pytest.approx(-np.log(1 - 0.6**2))  # 2 dims x -1/2 log(1 - rho^2)
    assert small["bias"] < -0.04  # about -0.09 nats at n = 100 (docstring)
    assert abs(large["bias"]) < 0.03
    assert small["sd"] > 2 * large["sd"]


def test_principal_components_are_whitened_and_skip_constant_features():
    rng = np.random.default_rng(5)
    features = np.column_stack([rng.normal(size=(100, 5)), np.zeros(100)])
    reduced = principal_components(features, 3)
    assert reduced.shape == (100, 3)
    np.testing.assert_allclose(np.cov(reduced, rowvar=False), np.eye(3), atol=1e-8)
    with pytest.raises(ValueError, match="components must be an integer between 1 and 5"):
        principal_components(features, 6)


def test_linear_cka_is_one_for_the_same_representation_up_to_rotation_and_scale():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(300, 8))
    rotation, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    y = rng.normal(size=(300, 5)) + x[:, :5]
    assert linear_cka(x, x) == pytest.approx(1.0)
    assert linear_cka(x, 3.7 * x @ rotation) == pytest.approx(1.0)
    assert linear_cka(x @ rotation, 0.2 * y) == pytest.approx(linear_cka(x, y))


def test_linear_cka_of_known_overlap_and_of_independent_data():
    z = np.random.default_rng(7).normal(size=(20000, 3))
    # X = (z1, z2), Y = (z1): ||X'Y||^2 / (||X'X|| ||Y'Y||) -> n^2 / (sqrt(2) n * n) = 1/sqrt(2).
    assert linear_cka(z[:, :2], z[:, :1]) == pytest.approx(1 / np.sqrt(2), abs=0.02)
    assert linear_cka(z[:2000, :2], z[:2000, 2:]) < 0.01


def shared_latent_domains(n=150, seed=8):
    """time and scalogram share a latent signal; spectrum is independent of both."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 2))
    return {"time": latent @ rng.normal(size=(2, 6)) + 0.3 * rng.normal(size=(n, 6)),
            "scalogram": np.tanh(latent @ rng.normal(size=(2, 5))) + 0.3 * rng.normal(size=(n, 5)),
            "spectrum": rng.normal(size=(n, 4))}


def test_compare_domains_finds_the_shared_pair_above_chance():
    table = compare_domains(shared_latent_domains(), shuffles=10)
    assert list(table.columns) == ["domain_a", "domain_b", "measure", "value", "chance", "n"]
    assert len(table) == 3 * len(MEASURES)
    rows = table.set_index(["domain_a", "domain_b", "measure"])
    for measure in ("mean_abs_r", "mutual_information", "cka"):
        shared = rows.loc[("time", "scalogram", measure)]
        unrelated = rows.loc[("time", "spectrum", measure)]
        assert shared["value"] > shared["chance"] + 0.2, measure
        assert abs(unrelated["value"] - unrelated["chance"]) < 0.1, measure
    assert (table["n"] == 150).all()


def test_compare_domains_is_reproducible_from_the_seed():
    features = shared_latent_domains(n=60)
    pd.testing.assert_frame_equal(compare_domains(features, shuffles=3, seed=1),
                                  compare_domains(features, shuffles=3, seed=1))


@pytest.mark.parametrize("call, message", [
    (lambda a: cross_correlation(a, a[:-1]), "features_a and features_b must describe the same samples"),
    (lambda a: cross_correlation(np.where(a > 2, np.nan, a), a), "features_a holds NaN"),
    (lambda a: cross_correlation(a, np.ones_like(a)), "features_b: every feature is constant"),
    (lambda a: linear_cka(np.ones_like(a), a), "features_a: every feature is constant"),
    (lambda a: ksg_mutual_information(a[:3], a[:3], k=3), "k must be an integer between 1 and n_samples - 1 = 2"),
    (lambda a: ksg_mutual_information(a, a[:-1]), "x and y must describe the same samples"),
    (lambda a: mutual_information(a[:5], a[:5], k=5), "k must be"),
    (lambda a: mutual_information(a, a, components=9), "components must be"),
    (lambda a: cross_correlation(a[:2], a[:2]), "features_a needs at least 3 samples"),
    (lambda a: compare_domains({"time": a, "spectrum": a[:-1]}), "same samples in every domain"),
    (lambda a: compare_domains({"time": a}), "two or more domains"),
])
def test_bad_input_is_a_value_error_naming_the_argument(call, message):
    a = np.random.default_rng(9).normal(size=(50, 4))
    with pytest.raises(ValueError, match=message):
        call(a)


def test_figures_have_one_panel_per_pair_and_per_source_and_measure():
    features = shared_latent_domains(n=60)
    correlations = plot_cross_correlations(features)
    assert len(correlations.axes) == 3 + 1  # three heatmaps and a colour bar
    correlations.canvas.draw()  # the layout can be solved
    table = compare_domains(features, shuffles=2)
    both = pd.concat([table.assign(source="unimodal"), table.assign(source="fused")])
    assert len(plot_domain_similarity(both).axes) == 2 * len(MEASURES)
    negative = plot_domain_similarity(table.assign(value=-0.02), measures=("mutual_information",))
    assert len(negative.axes) == 1
    negative.canvas.draw()  # MI < 0 everywhere still gets a valid colour scale


def test_the_old_module_name_still_imports():
    """Readers' notebooks import ``ecgkeras.analysis`` (the module's name before issue 14)."""
    import ecgkeras.analysis as old
    import ecgkeras.complementarity as new

    functions = [name for name, value in vars(new).items() if not name.startswith("_")
                 and getattr(value, "__module__", None) == "ecgkeras.complementarity"]
    constants = [name for name in vars(new) if name.isupper() and name != "PCA"]  # PCA: imported from sklearn
    assert len(functions) >= 10 and constants == ["MEASURES", "COLOR_RANGES"]
    missing = [name for name in functions + constants if getattr(old, name, None) is not getattr(new, name)]
    assert not missing, f"ecgkeras.analysis lacks {missing}"
