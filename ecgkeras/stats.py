"""Is the gain real? Paired bootstrap, Bayesian comparison and the correlated t-test.

Chapter 10 (is the gain real). Two models tested on the same ECGs differ by a few points of
accuracy: is that more than the luck of which ECGs ended up in the test set? Three answers:

- :func:`paired_bootstrap` (Efron & Tibshirani 1993): resample the test ECGs with replacement,
  the same ECGs for both models, and see how the difference in accuracy and macro
  precision / recall / F1 varies: a confidence interval and a one-sided p-value.
- :func:`bayesian_comparison`: a Beta-Binomial posterior of each model's accuracy, the
  posterior of their difference, P(A > B) and a region of practical equivalence (ROPE), as an
  arviz ``InferenceData`` for ``az.plot_posterior``, ``az.hdi`` and ``az.plot_forest``.
- :func:`correlated_t_test` (Benavoli et al. 2017): the same question across the folds of
  cross-validation, whose training sets overlap, with the correction of Nadeau & Bengio (2003).

Predictions are given either as predicted classes, int (n,), or as class probabilities,
float (n, n_classes) with rows summing to 1 (the most probable class is the prediction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

#: The book's metrics (fractions in 0..1), in the order of every table: those of
#: :func:`classification_metrics` and :func:`paired_bootstrap`, and the ones ``reproduce`` writes
#: per run (``ecgkeras.results`` imports them from here).
METRICS = ("accuracy", "macro_f1", "macro_precision", "macro_recall")


def _labels(labels) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0 or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError(f"labels must be a non-empty 1-D array of class indices >= 0, got {labels.dtype} "
                         f"{labels.shape}")
    return labels


def predicted_classes(predictions, n_samples: int, name: str = "predictions") -> np.ndarray:
    """Predicted classes, int (n,), from classes (n,) or class probabilities (n, n_classes).

    Args:
        predictions: int (n,) class indices, or float (n, n_classes) probabilities whose rows sum
            to 1 (argmax taken).
        n_samples: the number of labels, which ``predictions`` must match.
        name: the argument's name in error messages.
    """
    predictions = np.asarray(predictions)
    if len(predictions) != n_samples:
        raise ValueError(f"{name} must hold one prediction per label: {n_samples} labels, got {len(predictions)}")
    if predictions.ndim == 2:
        if not np.isfinite(predictions).all() or (predictions < 0).any() or not np.allclose(
                predictions.sum(axis=1), 1, atol=1e-3):
            raise ValueError(f"{name} as probabilities must be finite, >= 0 and sum to 1 in every row; "
                             "if they are logits, apply a softmax first")
        return predictions.argmax(axis=1)
    if predictions.ndim != 1 or not np.issubdtype(predictions.dtype, np.integer) or predictions.min() < 0:
        raise ValueError(f"{name} must be int (n,) class indices >= 0 or float (n, n_classes) probabilities, "
                         f"got {predictions.dtype} {predictions.shape}")
    return predictions


def _ratio(numerator, denominator) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def classification_metrics(labels, predicted, n_classes: int) -> dict:
    """Accuracy and macro precision, recall and F1, for one or many sets of predictions at once.

    Macro averages count every one of the ``n_classes`` classes equally; a class that is never
    predicted has precision 0, one absent from ``labels`` recall 0 (as
    ``ecgkeras.evaluate.evaluate_predictions`` and scikit-learn with ``zero_division=0``).

    Args:
        labels: int (..., n) true classes; predicted: int (..., n) predicted classes. Leading
            axes are kept, so (n_boot, n) arrays give (n_boot,) metrics.
        n_classes: number of classes.

    Returns:
        ``{metric: float array (...)}`` for every metric of ``METRICS``.
    """
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    per_class = {"precision": [], "recall": [], "f1": []}
    for c in range(n_classes):
        is_true, is_predicted = labels == c, predicted == c
        hits = (is_true & is_predicted).sum(axis=-1)
        per_class["precision"].append(_ratio(hits, is_predicted.sum(axis=-1)))
        per_class["recall"].append(_ratio(hits, is_true.sum(axis=-1)))
        per_class["f1"].append(_ratio(2 * hits, is_predicted.sum(axis=-1) + is_true.sum(axis=-1)))
    return {"accuracy": (labels == predicted).mean(axis=-1)} | {
        f"macro_{name}": np.mean(values, axis=0) for name, values in per_class.items()}


@dataclass
class BootstrapResult:
    """A paired bootstrap of one metric: model A minus model B (fractions, e.g. 0.03 = 3 points).

    Attributes:
        metric: one of ``METRICS``.
        value_a, value_b: the metric of each model on the test samples.
        difference: value_a - value_b, the observed difference.
        distribution: float (n_boot,), the difference on every bootstrap resample.
        ci_low, ci_high: percentile confidence interval of the difference.
        confidence: its level, e.g. 0.95.
        p_value: one-sided, for "A is not better than B": (1 + #{resampled difference <= 0}) /
            (n_boot + 1). The +1 counts the observed sample as one more resample, so p is never
            0 (with 10,000 resamples the smallest is 1/10,001).
    """

    metric: str
    value_a: float
    value_b: float
    difference: float
    distribution: np.ndarray
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float

    def summary(self) -> dict:
        """Every attribute but the distribution, as plain Python numbers (for JSON)."""
        return {"metric": self.metric, "value_a": self.value_a, "value_b": self.value_b,
                "difference": self.difference, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "confidence": self.confidence, "p_value": self.p_value, "n_boot": len(self.distribution)}


def paired_bootstrap(labels, predictions_a, predictions_b, *, metrics=METRICS, n_boot: int = 10_000,
                     confidence: float = 0.95, n_classes: int | None = None, seed: int = 0) -> dict:
    """Paired bootstrap of the difference between two models tested on the same samples.

    Each resample draws n sample indices with replacement, the same indices for both models,
    and computes metric(A) - metric(B) on them. Pairing matters: most of the luck of the test
    set (easy or hard ECGs) is shared by the two models and cancels in the difference.

    Args:
        labels: int (n,) true classes of the test samples.
        predictions_a, predictions_b: each model's predictions of the same samples in the same
            order: int (n,) classes or float (n, n_classes) probabilities.
        metrics: which of ``METRICS`` to compare.
        n_boot: number of resamples (>= 1; 10,000 gives p-values to about +-0.005).
        confidence: level of the percentile interval, in (0, 1).
        n_classes: number of classes (default: the probabilities' width, else the largest class
            index seen + 1).
        seed: seed of the resampling.

    Returns:
        ``{metric: BootstrapResult}``.
    """
    labels = _labels(labels)
    a = predicted_classes(predictions_a, len(labels), "predictions_a")
    b = predicted_classes(predictions_b, len(labels), "predictions_b")
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(f"metrics must name some of {METRICS}, got {list(metrics)}")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be an integer >= 1 (e.g. 10_000), got {n_boot!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1 (e.g. 0.95), got {confidence!r}")
    if n_classes is None:
        widths = [np.shape(p)[1] for p in (predictions_a, predictions_b) if np.ndim(p) == 2]
        n_classes = widths[0] if widths else int(max(labels.max(), a.max(), b.max())) + 1
    if max(labels.max(), a.max(), b.max()) >= n_classes:
        raise ValueError(f"n_classes={n_classes} is too small for the class indices in labels and predictions")
    rng = np.random.default_rng(seed)
    differences = {metric: np.empty(n_boot) for metric in metrics}
    chunk = max(1, 2_000_000 // len(labels))  # resamples per step, to bound memory
    for start in range(0, n_boot, chunk):
        index = rng.integers(0, len(labels), size=(min(chunk, n_boot - start), len(labels)))
        on_a = classification_metrics(labels[index], a[index], n_classes)
        on_b = classification_metrics(labels[index], b[index], n_classes)
        for metric in metrics:
            differences[metric][start:start + len(index)] = on_a[metric] - on_b[metric]
    observed_a = classification_metrics(labels, a, n_classes)
    observed_b = classification_metrics(labels, b, n_classes)
    tail = 100 * (1 - confidence) / 2
    results = {}
    for metric, distribution in differences.items():
        low, high = np.percentile(distribution, [tail, 100 - tail])
        results[metric] = BootstrapResult(
            metric=metric, value_a=float(observed_a[metric]), value_b=float(observed_b[metric]),
            difference=float(observed_a[metric] - observed_b[metric]), distribution=distribution,
            ci_low=float(low), ci_high=float(high), confidence=float(confidence),
            p_value=float((1 + np.sum(distribution <= 0)) / (n_boot + 1)))
    return results


def bayesian_comparison(labels, predictions_a, predictions_b, *, names=("A", "B"), prior=(1.0, 1.0),
                        draws: int = 10_000, seed: int = 0):
    """Posterior of two models' accuracies and of their difference, as arviz ``InferenceData``.

    Each model's accuracy gets a Beta(prior) prior; with s correct out of n test samples its
    posterior is Beta(prior[0] + s, prior[1] + n - s) (mean (s + 1) / (n + 2) for the default
    uniform Beta(1, 1)). The difference A - B is drawn by Monte Carlo from the two posteriors.
    This treats the two accuracies as independent, although both models saw the same samples:
    when they agree on most samples (the usual case) the real difference is less uncertain
    than this posterior says, so P(A > B) is conservative (closer to 0.5); the paired
    bootstrap takes the pairing into account.

    Read the result with :func:`posterior_summary`, ``az.plot_posterior(idata,
    var_names=["difference"], ref_val=0, rope=(-0.01, 0.01))``, ``az.hdi(idata, hdi_prob=0.95)``
    or ``az.plot_forest([idata1, idata2], model_names=[...], var_names=["difference"])``.

    Args:
        labels: int (n,) true classes.
        predictions_a, predictions_b: int (n,) classes or float (n, n_classes) probabilities.
        names: the two models' names (coordinates of the "model" dimension).
        prior: (alpha, beta) of the Beta prior, both > 0.
        draws: Monte Carlo draws (one chain).
        seed: seed of the draws.

    Returns:
        ``arviz.InferenceData`` whose posterior holds "accuracy" (dims chain, draw, model) and
        "difference" (chain, draw); ``idata.attrs`` holds "n", "correct_a", "correct_b", "prior_alpha",
        "prior_beta".
    """
    import arviz as az

    labels = _labels(labels)
    a = predicted_classes(predictions_a, len(labels), "predictions_a")
    b = predicted_classes(predictions_b, len(labels), "predictions_b")
    if len(prior) != 2 or min(prior) <= 0:
        raise ValueError(f"prior must be (alpha, beta) of a Beta prior, both > 0, got {prior!r}")
    if len(names) != 2 or names[0] == names[1]:
        raise ValueError(f"names must be two different model names, got {names!r}")
    if not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ValueError(f"draws must be an integer >= 1, got {draws!r}")
    rng = np.random.default_rng(seed)
    correct = [int(np.sum(a == labels)), int(np.sum(b == labels))]
    accuracy = np.stack([rng.beta(prior[0] + s, prior[1] + len(labels) - s, size=draws) for s in correct], axis=-1)
    return az.from_dict(
        posterior={"accuracy": accuracy[None], "difference": (accuracy[:, 0] - accuracy[:, 1])[None]},
        coords={"model": list(names)}, dims={"accuracy": ["model"]},
        attrs={"n": len(labels), "correct_a": correct[0], "correct_b": correct[1],
               "prior_alpha": float(prior[0]), "prior_beta": float(prior[1])})


def _check_rope(rope) -> float:
    if not np.isscalar(rope) or not np.isfinite(rope) or rope < 0:
        raise ValueError(f"rope must be a half-width >= 0 (e.g. 0.01 for +-1 point of accuracy), got {rope!r}")
    return float(rope)


def posterior_summary(idata, *, rope: float = 0.01, hdi_prob: float = 0.95) -> dict:
    """What :func:`bayesian_comparison` says, as plain numbers.

    Args:
        idata: the ``InferenceData`` of :func:`bayesian_comparison`.
        rope: half-width of the region of practical equivalence: differences in [-rope, rope]
            count as "no difference that matters" (0.01 = one point of accuracy).
        hdi_prob: probability mass of the highest-density interval.

    Returns:
        ``{"accuracy_a", "accuracy_b", "difference"}`` (posterior means), ``"hdi_low"``,
        ``"hdi_high"`` (of the difference), ``"p_a_better"`` = P(A - B > 0), and
        ``"p_below_rope"``, ``"p_in_rope"``, ``"p_above_rope"`` (sum to 1): P(A worse by more
        than the rope), P(practically equivalent), P(A better by more than the rope).
    """
    import arviz as az

    rope = _check_rope(rope)
    if not 0 < hdi_prob < 1:
        raise ValueError(f"hdi_prob must lie strictly between 0 and 1, got {hdi_prob!r}")
    posterior = idata.posterior
    difference = posterior["difference"].values.ravel()
    low, high = az.hdi(difference, hdi_prob=hdi_prob)
    accuracy = posterior["accuracy"].mean(dim=("chain", "draw")).values
    return {"accuracy_a": float(accuracy[0]), "accuracy_b": float(accuracy[1]),
            "difference": float(difference.mean()), "hdi_low": float(low), "hdi_high": float(high),
            "hdi_prob": hdi_prob, "rope": rope, "p_a_better": float(np.mean(difference > 0)),
            "p_below_rope": float(np.mean(difference < -rope)),
            "p_in_rope": float(np.mean(np.abs(difference) <= rope)),
            "p_above_rope": float(np.mean(difference > rope))}


def correlated_t_test(differences, *, test_fraction: float, rope: float = 0.01) -> dict:
    """Bayesian correlated t-test of per-fold differences (Benavoli et al. 2017).

    The k folds of cross-validation share most of their training data, so their scores are
    correlated and a plain t-test over folds is overconfident. With per-fold differences x
    (A - B; r repetitions of k-fold give r*k values), the posterior of the mean difference is a
    Student t with n - 1 degrees of freedom, location mean(x) and scale

        sqrt( (1/n + rho / (1 - rho)) * var(x) ),   rho = n_test / n_total,

    var with ddof=1 and rho the correlation between folds that Nadeau & Bengio (2003) propose
    (1/k for k-fold). When every difference is equal the posterior is a point mass at it.

    Args:
        differences: float (n,), n >= 2: metric of A minus metric of B on each fold (and seed).
        test_fraction: rho = n_test / n_total, in (0, 1); 1/k for k-fold cross-validation.
        rope: half-width of the region of practical equivalence (>= 0).

    Returns:
        ``{"n", "mean", "scale", "df", "test_fraction", "rope", "p_a_better", "p_below_rope",
        "p_in_rope", "p_above_rope"}`` (probabilities exact, from the t distribution).
    """
    x = np.asarray(differences, dtype=np.float64)
    if x.ndim != 1 or len(x) < 2 or not np.isfinite(x).all():
        raise ValueError(f"differences must be a 1-D array of 2 or more finite per-fold differences, got {x!r}")
    if not np.isscalar(test_fraction) or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be n_test / n_total, strictly between 0 and 1 (1/k for k folds), "
                         f"got {test_fraction!r}")
    rope = _check_rope(rope)
    n, mean = len(x), float(x.mean())
    scale = float(np.sqrt((1 / n + test_fraction / (1 - test_fraction)) * x.var(ddof=1)))
    if scale > 0:
        posterior = scipy_stats.t(df=n - 1, loc=mean, scale=scale)
        p_a_better, p_below, p_above = posterior.sf(0), posterior.cdf(-rope), posterior.sf(rope)
    else:
        p_a_better, p_below, p_above = mean > 0, mean < -rope, mean > rope
    return {"n": n, "mean": mean, "scale": scale, "df": n - 1, "test_fraction": float(test_fraction),
            "rope": rope, "p_a_better": float(p_a_better), "p_below_rope": float(p_below),
            "p_in_rope": float(1 - p_below - p_above), "p_above_rope": float(p_above)}


def plot_bootstrap(comparisons: dict, metrics=("accuracy", "macro_f1")):
    """Densities of bootstrap differences: one row per comparison, one column per metric.

    Args:
        comparisons: label -> the dict of :func:`paired_bootstrap`, e.g.
            ``{"Hybrid 1 - 2D-CNN": paired_bootstrap(labels, p1, p2)}``.
        metrics: which metrics to show (each must be in every comparison).

    Returns:
        The matplotlib Figure: each panel shows 0 (dashed), the observed difference (solid),
        the confidence interval (shaded), and above it the difference, the interval and the
        p-value; the comparison names the row (left), the metric the column (below).
    """
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ecgkeras.plot import PALETTE, REFERENCE_COLOR, book_figure, book_style, enforce_book_fonts, wrap_label

    blue, vermillion = PALETTE[0], PALETTE[3]
    with book_style():
        fig, axes = book_figure(len(comparisons), len(metrics), height_in=1.75 * len(comparisons) + 0.9,
                                squeeze=False, sharex="col")
        for row, (label, results) in zip(axes, comparisons.items()):
            for ax, metric in zip(row, metrics):
                result = results[metric]
                # A smoothed density: accuracy differences are multiples of 1/n, which would make a histogram comb-like.
                sns.kdeplot(result.distribution, fill=True, color=blue, warn_singular=False, ax=ax)
                ax.axvspan(result.ci_low, result.ci_high, color=blue, alpha=0.12)
                ax.axvline(0, color=REFERENCE_COLOR, linestyle="--")
                ax.axvline(result.difference, color=vermillion)
                ax.set(ylabel="", yticks=[])
                ax.set_title(f"{result.difference:+.3f} [{result.ci_low:+.3f}, {result.ci_high:+.3f}], "
                             f"p = {result.p_value:.3f}", fontsize=9.5)
                ax.xaxis.set_major_locator(plt.MaxNLocator(5))
            row[0].set_ylabel(wrap_label(label, 20))
        for ax, metric in zip(axes[-1], metrics):
            ax.set_xlabel(f"difference in {metric.replace('_', ' ')}")
        confidence = next(iter(next(iter(comparisons.values())).values())).confidence if comparisons else 0.95
        handles = [Line2D([], [], color=vermillion, label="observed difference"),
                   Patch(color=blue, alpha=0.3, label=f"{confidence:.0%} interval"),
                   Line2D([], [], color=REFERENCE_COLOR, linestyle="--", label="no difference")]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        enforce_book_fonts(fig)
    return fig


def plot_posteriors(comparisons: dict, *, rope: float = 0.01, hdi_prob: float = 0.95, columns: int = 1):
    """``az.plot_posterior`` of the accuracy difference of each comparison, with 0 and the ROPE.

    arviz prints its numbers inside the plot, where they overlap the density and each other at
    the book's width; here they are moved into each panel's title instead (the posterior mean,
    the HDI, P(A > B) and the share of the posterior in the ROPE, as :func:`posterior_summary`),
    and one legend below the panels names the HDI bar, the ROPE and the line at 0.

    Args:
        comparisons: label -> ``InferenceData`` of :func:`bayesian_comparison`.
        rope: half-width of the ROPE drawn around 0.
        hdi_prob: mass of the drawn highest-density interval.
        columns: panels per row: 1 (default) or 2; more would not fit the book's width, so
            larger values count as 2.

    Returns:
        The matplotlib Figure: one panel per comparison.
    """
    import arviz as az
    from matplotlib.lines import Line2D

    from ecgkeras.plot import MIN_FONT_PT, PALETTE, book_figure, book_style, enforce_book_fonts

    rope = _check_rope(rope)
    columns = max(1, min(int(columns), 2, len(comparisons)))
    rows = -(-len(comparisons) // columns)
    colours = {"ref": PALETTE[3], "rope": PALETTE[2], "line": PALETTE[0]}
    with book_style():
        fig, axes = book_figure(rows, columns, height_in=(2.2 if columns == 1 else 2.5) * rows + 0.4, squeeze=False)
        for ax, (label, idata) in zip(axes.ravel(), comparisons.items()):
            az.plot_posterior(idata, var_names=["difference"], ref_val=0, rope=(-rope, rope), hdi_prob=hdi_prob,
                              ax=ax, textsize=MIN_FONT_PT, point_estimate="mean", ref_val_color=colours["ref"],
                              rope_color=colours["rope"], color=colours["line"])
            for text in list(ax.texts):  # arviz's in-plot numbers: in the title instead
                text.remove()
            summary = posterior_summary(idata, rope=rope, hdi_prob=hdi_prob)
            numbers = (f"mean {summary['difference']:+.3f}, {hdi_prob:.0%} HDI [{summary['hdi_low']:+.3f}, "
                       f"{summary['hdi_high']:+.3f}]", f"P(A > B) {summary['p_a_better']:.0%}, "
                       f"in ROPE {summary['p_in_rope']:.0%}")
            ax.set_title(f"{label}\n" + (", " if columns == 1 else "\n").join(numbers), fontsize=9.5)
            ax.set_xlabel("accuracy difference (A - B)")
        for ax in axes.ravel()[len(comparisons):]:
            ax.set_visible(False)
        handles = [Line2D([], [], color="black", lw=3, label=f"{hdi_prob:.0%} HDI"),
                   Line2D([], [], color=colours["rope"], lw=3, label=f"ROPE ±{rope:g}"),
                   Line2D([], [], color=colours["ref"], label="0 (no difference)")]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        enforce_book_fonts(fig)
    return fig


def plot_forest(comparisons: dict, *, rope: float = 0.01, hdi_prob: float = 0.95):
    """Forest plot of the accuracy difference of several comparisons, one line each, named on the axis.

    Drawn as ``az.plot_forest(..., combined=True)`` draws it: per comparison, a thin line for
    the ``hdi_prob`` highest-density interval, a thick line from the 25th to the 75th
    percentile and a circle at the median; the comparison's label is its y tick label.

    Args:
        comparisons: label -> ``InferenceData`` of :func:`bayesian_comparison`.
        rope, hdi_prob: as for :func:`plot_posteriors`.

    Returns:
        The matplotlib Figure.
    """
    import arviz as az
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ecgkeras.plot import PALETTE, REFERENCE_COLOR, book_figure, book_style, enforce_book_fonts

    rope = _check_rope(rope)
    if not 0 < hdi_prob < 1:
        raise ValueError(f"hdi_prob must lie strictly between 0 and 1, got {hdi_prob!r}")
    with book_style():
        fig, ax = book_figure(1, 1, height_in=1.5 + 0.4 * len(comparisons))
        ax.axvspan(-rope, rope, color=PALETTE[2], alpha=0.25, lw=0)
        ax.axvline(0, color=REFERENCE_COLOR, linestyle="--")
        for y, idata in enumerate(comparisons.values()):
            difference = idata.posterior["difference"].values.ravel()
            low, high = az.hdi(difference, hdi_prob=hdi_prob)
            q25, median, q75 = np.percentile(difference, [25, 50, 75])
            ax.hlines(y, low, high, color=PALETTE[0], lw=1.5)
            ax.hlines(y, q25, q75, color=PALETTE[0], lw=4)
            ax.plot(median, y, "o", color=PALETTE[0], markerfacecolor="white", markersize=6)
        ax.set_yticks(range(len(comparisons)), [str(label) for label in comparisons])
        ax.set_ylim(len(comparisons) - 0.5, -0.5)  # the first comparison on top
        ax.set(xlabel="accuracy difference (A - B)",
               title=f"accuracy difference: {hdi_prob:.0%} HDI, ROPE ±{rope:g}")
        handles = [Line2D([], [], color=PALETTE[0], lw=1.5, label=f"{hdi_prob:.0%} HDI"),
                   Line2D([], [], color=PALETTE[0], lw=4, label="middle 50 %"),
                   Line2D([], [], color=PALETTE[0], marker="o", markerfacecolor="white", lw=0, label="median"),
                   Patch(color=PALETTE[2], alpha=0.25, label="ROPE")]
        fig.legend(handles=handles, loc="outside lower center", ncols=4)
        enforce_book_fonts(fig)
    return fig
