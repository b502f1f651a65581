"""The chapter 11 self-checks accept right answers and name the typical mistake in wrong ones."""

import numpy as np
import pytest

from ecgkeras import exercises


def _saliency(f, x, c, eps, central=True, signed=False, scale=1.0, class_shift=0):
    """Finite-difference saliency, right or with one typical mistake."""
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps if central else 0.0
        c_used = (c + class_shift) % 3
        slope = (f(up)[c_used] - f(down)[c_used]) / ((2 if central else 1) * eps)
        out[i] = scale * (slope if signed else abs(slope))
    return out


def _moves_x_in_place(f, x, c, eps):
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        before = f(x)[c]
        x[i] += eps
        out[i] = abs(f(x)[c] - before) / eps
    return out


@pytest.mark.parametrize("function, message", [
    (_saliency, "Correct"),
    (lambda f, x, c, eps: _saliency(f, x, c, eps, central=False), "Correct"),
    (lambda f, x, c, eps: _saliency(f, x, c, eps, signed=True), "absolute value"),
    (lambda f, x, c, eps: _saliency(f, x, c, eps, scale=2.0), "divide by 2 eps"),
    (lambda f, x, c, eps: _saliency(f, x, c, eps, central=False, scale=0.5), "divide by eps"),
    (lambda f, x, c, eps: _saliency(f, x, c, eps, scale=2 * eps), "divide the difference"),
    (lambda f, x, c, eps: _saliency(f, x, c, eps, class_shift=1), "saliency of class 0"),
    (lambda f, x, c, eps: _saliency(f, x, c, eps).ravel(), "shape (6, 2)"),
    (lambda f, x, c, eps: np.full(x.shape, abs(f(x + eps)[c] - f(x)[c]) / eps), "one input value at a time"),
    (_moves_x_in_place, "changed x in place"),
    (lambda f, x, c, eps: np.full(x.shape, np.nan), "NaN"),
    (lambda f, x, c, eps: 1 / 0, "ZeroDivisionError"),
    (lambda f, x, c, eps: None, "placeholder"),
])
def test_finite_difference_saliency_check(capsys, function, message):
    assert exercises.check_finite_difference_saliency(function) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def test_finite_difference_saliency_check_names_the_score_gradient(capsys):
    _, _, score_gradient = exercises._tiny_classifier(seed=11)
    assert not exercises.check_finite_difference_saliency(lambda f, x, c, eps: np.abs(score_gradient(x, c)))
    assert "before the softmax" in " ".join(capsys.readouterr().out.split())


def _integrated_gradients(gradient, x, baseline, steps, rule="midpoint", start=None, times=None, total=False):
    """Riemann-sum integrated gradients, right or with one typical mistake."""
    alphas = {"midpoint": (np.arange(steps) + 0.5) / steps, "left": np.arange(steps) / steps,
              "right": np.arange(1, steps + 1) / steps, "trapezoid": np.linspace(0, 1, steps + 1)}[rule]
    start = baseline if start is None else start
    gradients = np.array([gradient(start + a * (x - start)) for a in alphas])
    if rule == "trapezoid":
        weights = np.full(len(alphas), 1 / steps)
        weights[[0, -1]] /= 2
        mean = np.tensordot(weights, gradients, axes=1)
    else:
        mean = gradients.mean(axis=0)
    if total:
        mean = mean * len(alphas)
    return (x - baseline if times is None else times) * mean


@pytest.mark.parametrize("function, message", [
    (_integrated_gradients, "Correct"),
    (lambda g, x, b, s: _integrated_gradients(g, x, b, s, rule="left"), "Correct"),
    (lambda g, x, b, s: _integrated_gradients(g, x, b, s, rule="right"), "Correct"),
    (lambda g, x, b, s: _integrated_gradients(g, x, b, s, rule="trapezoid"), "Correct"),
    (lambda g, x, b, s: -_integrated_gradients(g, x, b, s), "sign is flipped"),
    (lambda g, x, b, s: _integrated_gradients(g, x, b, s, times=1.0), "multiply it by (x - baseline)"),
    (lambda g, x, b, s: _integrated_gradients(g, x, b, s, times=x), "not by x"),
    (lambda g, x, b, s: _integrated_gradients(g, x, b, s, total=True), "about 100 times too large"),
    (lambda g, x, b, s: _integrated_gradients(g, x, b, s, rule="trapezoid", total=True), "about 100 times too large"),
    (lambda g, x, b, s: (x - b) * g(x), "gradient x input at x alone"),
    (lambda g, x, b, s: _integrated_gradients(g, x, 0 * b, s), "not at 0"),
    (lambda g, x, b, s: _integrated_gradients(g, x, b, s).ravel(), "shape (6, 2)"),
    (lambda g, x, b, s: _integrated_gradients(g, x, b, 2), "add up to"),  # too coarse a sum
    (lambda g, x, b, s: [[np.inf] * 2] * 6, "infinite"),
    (lambda g, x, b, s: g(), "TypeError"),
    (lambda g, x, b, s: ..., "placeholder"),
])
def test_integrated_gradients_check(capsys, function, message):
    assert exercises.check_integrated_gradients(function) == (message == "Correct")
    out = " ".join(capsys.readouterr().out.split())
    assert message in out
    if message == "Correct":
        assert "f(x) - f(baseline)" in out


@pytest.mark.parametrize("check", [exercises.check_finite_difference_saliency, exercises.check_integrated_gradients])
def test_the_placeholder_gets_a_hint_not_an_error(capsys, check):
    assert check(...) is False
    assert "replace the `...` placeholder" in " ".join(capsys.readouterr().out.split())


def test_the_tiny_classifier_gradients_match_finite_differences():
    probabilities, gradient, score_gradient = exercises._tiny_classifier(seed=11)
    x = np.random.default_rng(0).standard_normal((6, 2))
    assert probabilities(x).shape == (3,) and probabilities(x).sum() == pytest.approx(1)
    numeric = _saliency(probabilities, x, 1, 1e-6, signed=True)
    np.testing.assert_allclose(gradient(x, 1), numeric, atol=1e-7)
    assert not np.allclose(score_gradient(x, 1), gradient(x, 1))
