"""Do the three domains see different things? Correlation, mutual information and CKA of features.

Chapter 9 (complementarity of learned features). Fusion can only help when the branches carry
information the others miss. Each branch of a model turns a test ECG into a feature vector, so a
domain is described by a feature matrix float (n_samples, n_features), one row per ECG in the
same order for every domain. Three ways to ask how much two domains overlap:

- Pearson correlation of every feature of one domain with every feature of the other
  (:func:`cross_correlation`), summarised by :func:`correlation_summary`;
- mutual information in nats (:func:`mutual_information`), which also sees non-linear
  dependence: the k-nearest-neighbour estimator of Kraskov, Stögbauer and Grassberger (2004)
  on a few principal components of each domain;
- linear CKA (:func:`linear_cka`, Kornblith et al. 2019), one similarity of the two whole
  representations that ignores rotations and scale.

None of the three is 0 for unrelated features measured on a finite sample, so
:func:`compare_domains` reports each next to its "chance" value: the same measure after the
rows of one domain are shuffled, which breaks the pairing of ECGs and keeps everything else.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.special import digamma
from sklearn.decomposition import PCA

#: Measures of :func:`compare_domains`, in the order of its table and figure.
MEASURES = ("mean_r", "mean_abs_r", "mutual_information", "cka")

#: Colour scale of each measure in :func:`plot_domain_similarity` (None: up to the largest value).
COLOR_RANGES = {"mean_r": (-1, 1), "mean_abs_r": (0, 1), "mutual_information": (0, None), "cka": (0, 1)}


def _as_matrix(features, name: str, min_rows: int = 3) -> np.ndarray:
    """float64 (n, d) from a (n, d) or (n,) array; a clear error for anything else."""
    matrix = np.asarray(features, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got shape {matrix.shape}")
    if len(matrix) < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} samples (rows), got {len(matrix)}")
    if not np.isfinite(matrix).all():
        raise ValueError(f"{name} holds NaN or infinite values; drop those samples from every domain first")
    return matrix


def _as_pair(features_a, features_b, names=("features_a", "features_b"), min_rows: int = 3):
    """Both matrices, checked, with the same number of rows."""
    a = _as_matrix(features_a, names[0], min_rows)
    b = _as_matrix(features_b, names[1], min_rows)
    if len(a) != len(b):
        raise ValueError(f"{names[0]} and {names[1]} must describe the same samples (one row per ECG, same "
                         f"order), got {len(a)} and {len(b)} rows")
    return a, b


def _standardize(matrix: np.ndarray, name: str) -> np.ndarray:
    """Each column to mean 0, sd 1; constant columns become NaN. Raises if every column is constant."""
    sd = matrix.std(axis=0)
    if not (sd > 0).any():
        raise ValueError(f"{name}: every feature is constant (zero variance), so it carries no information "
                         "about the samples; check that the encoder was trained and its features are not all 0")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sd > 0, (matrix - matrix.mean(axis=0)) / sd, np.nan)


def cross_correlation(features_a, features_b) -> np.ndarray:
    """Pearson correlation of every feature of one domain with every feature of the other.

    Args:
        features_a: float (n_samples, d_a), one domain's features (or (n,) for one feature).
        features_b: float (n_samples, d_b), another domain's features of the same samples.

    Returns:
        float (d_a, d_b): entry (i, j) is the correlation of feature i of a with feature j of b.
        A constant feature (zero variance, e.g. a ReLU unit that never fires, common in trained
        encoders) has no correlation: its row or column is NaN (blank in a heatmap).

    Raises:
        ValueError: different numbers of rows, NaNs, fewer than 3 samples, or every feature of a
            matrix constant (the message names the argument).
    """
    a, b = _as_pair(features_a, features_b)
    za, zb = _standardize(a, "features_a"), _standardize(b, "features_b")
    return za.T @ zb / len(a)


def correlation_summary(features_a, features_b) -> dict:
    """Two numbers drawn from the cross-correlation block of :func:`cross_correlation`.

    - ``"mean_r"``: the mean of all d_a x d_b correlations (constant features left out). Signed,
      like the numbers the study reports (+0.07 time vs time-frequency, +0.18 and -0.30 with
      the frequency features). Easy to state but weak: positive and negative correlations
      cancel, and which sign a learned feature takes is arbitrary, so strongly related
      domains can give a mean near 0.
    - ``"mean_abs_r"``: the mean of their absolute values, the typical strength of a link
      between one feature of each domain whatever its sign. This is the number to read. For
      unrelated features it is not 0 but about sqrt(2 / (pi * n)) (0.08 for n = 100), so
      compare it with its chance value (:func:`compare_domains`).

    The first canonical correlation, another common choice, is left out: with 64 + 64 features
    and a hundred or so test ECGs per fold it is 1 (or close to it) for any data; linear CKA
    (:func:`linear_cka`) is the whole-representation similarity instead.

    Args:
        features_a, features_b: float (n_samples, d_a) and (n_samples, d_b), as in
            :func:`cross_correlation`.

    Returns:
        ``{"mean_r": float, "mean_abs_r": float}``, both in [-1, 1] and [0, 1].
    """
    matrix = cross_correlation(features_a, features_b)
    return {"mean_r": float(np.nanmean(matrix)), "mean_abs_r": float(np.nanmean(np.abs(matrix)))}


def gaussian_mutual_information(covariance, dims_a: int) -> float:
    """Exact mutual information (nats) between the two blocks of a joint Gaussian.

    I(A; B) = -1/2 log( det(C) / (det(C_aa) det(C_bb)) ), where C is the joint covariance and
    C_aa, C_bb its diagonal blocks. Chapter 9 uses it to test :func:`ksg_mutual_information`.

    Args:
        covariance: float (d_a + d_b, d_a + d_b), symmetric positive definite.
        dims_a: d_a, the number of leading variables that form A.
    """
    covariance = np.asarray(covariance, dtype=np.float64)
    if covariance.ndim != 2 or covariance.shape[0] != covariance.shape[1]:
        raise ValueError(f"covariance must be a square matrix, got shape {covariance.shape}")
    if not 0 < dims_a < len(covariance):
        raise ValueError(f"dims_a must be between 1 and {len(covariance) - 1}, got {dims_a}")
    _, log_det = np.linalg.slogdet(covariance)
    _, log_det_a = np.linalg.slogdet(covariance[:dims_a, :dims_a])
    _, log_det_b = np.linalg.slogdet(covariance[dims_a:, dims_a:])
    return float(-0.5 * (log_det - log_det_a - log_det_b))


def ksg_mutual_information(x, y, *, k: int = 3, seed: int = 0) -> float:
    """Mutual information in nats by the k-nearest-neighbour estimator (KSG, algorithm 1).

    Kraskov, Stögbauer & Grassberger (2004): for each sample i, eps_i is the distance to its
    k-th nearest neighbour in the joint space (x, y) under the max (Chebyshev) norm; n_x(i) and
    n_y(i) count the samples closer than eps_i in x alone and in y alone. Then

        I = psi(k) + psi(n) - mean_i[ psi(n_x(i) + 1) + psi(n_y(i) + 1) ]

    with psi the digamma function. No binning, no density model, and little bias when the
    dimension is low. Duplicate samples would make eps_i = 0, so noise of 1e-10 standard
    deviations is added first (as scikit-learn does), which is why there is a ``seed``.

    Bias on small samples, measured with :func:`mi_estimator_bias` (k = 3, Gaussians, 20
    repeats): in 2 + 2 dimensions (true MI 0.45 nats) the mean estimate is 0.09 nats low at
    n = 100 (sd 0.10 over repeats), 0.02 low at n = 300-500 and unbiased at n = 2000 (sd
    0.02); in 1 + 1 dimensions it is within 0.01 at every n; in 3 + 3 dimensions (true 0.67)
    it is 0.22 low at n = 100 and 0.04 low at n = 2000. Independent variables give values
    scattered around 0 (sd 0.07 at n = 100), negative ones included. So keep the dimension
    low, and compare domains measured on the same number of samples.

    Args:
        x: float (n, d_x) or (n,): one variable (e.g. a few principal components of a domain).
        y: float (n, d_y) or (n,): the other, same samples in the same order.
        k: neighbours (1 <= k < n); 3 is Kraskov's usual choice (larger k: less variance,
            more bias).
        seed: seed of the tie-breaking noise.

    Returns:
        The estimate in nats (can be slightly negative when the true value is near 0).
    """
    x, y = _as_pair(x, y, names=("x", "y"), min_rows=2)
    if not isinstance(k, (int, np.integer)) or not 1 <= k < len(x):
        raise ValueError(f"k must be an integer between 1 and n_samples - 1 = {len(x) - 1}, got {k!r}; "
                         "use a smaller k or more samples")
    rng = np.random.default_rng(seed)
    x = x + 1e-10 * x.std(axis=0) * rng.standard_normal(x.shape)
    y = y + 1e-10 * y.std(axis=0) * rng.standard_normal(y.shape)
    joint = np.hstack([x, y])
    # k + 1 neighbours because the nearest one of each sample is the sample itself.
    eps = cKDTree(joint).query(joint, k=k + 1, p=np.inf)[0][:, -1]
    strictly_inside = np.nextafter(eps, 0)
    n_x = cKDTree(x).query_ball_point(x, strictly_inside, p=np.inf, return_length=True) - 1
    n_y = cKDTree(y).query_ball_point(y, strictly_inside, p=np.inf, return_length=True) - 1
    n = len(x)
    return float(digamma(k) + digamma(n) - np.mean(digamma(n_x + 1) + digamma(n_y + 1)))


def principal_components(features, components: int = 2, name: str = "features") -> np.ndarray:
    """A domain's features reduced to a few whitened principal components.

    Constant features are dropped, the others standardised (so no feature dominates by its
    scale), then projected on the ``components`` leading principal components, each scaled to
    variance 1 (the KSG estimator measures distances, so every axis should count the same).

    Args:
        features: float (n_samples, n_features).
        components: how many components to keep (1 <= components <= min(n_samples, features)).
        name: the argument's name in error messages.

    Returns:
        float (n_samples, components).
    """
    matrix = _as_matrix(features, name)
    standardized = _standardize(matrix, name)
    standardized = standardized[:, ~np.isnan(standardized).any(axis=0)]
    limit = min(standardized.shape)
    if not isinstance(components, (int, np.integer)) or not 1 <= components <= limit:
        raise ValueError(f"components must be an integer between 1 and {limit} (samples and non-constant "
                         f"features of {name}), got {components!r}")
    return PCA(n_components=components, whiten=True, svd_solver="full").fit_transform(standardized)


def mutual_information(features_a, features_b, *, components: int = 2, k: int = 3, seed: int = 0) -> float:
    """Mutual information (nats) between two domains: KSG on a few principal components of each.

    Sixty-four features per domain are far too many for any estimator on a few hundred ECGs,
    so each domain is first reduced by :func:`principal_components`. What is measured is the
    information shared by the domains' main directions of variation; by the data-processing
    inequality it cannot exceed the information shared by the full feature vectors.

    Args:
        features_a: float (n_samples, d_a); features_b: float (n_samples, d_b), same samples.
        components: principal components kept per domain (2 by default: 4 dimensions in all;
            with about 100 ECGs per test fold the estimate is then about 0.1 nats low, with 3
            per domain 0.2, see :func:`ksg_mutual_information`).
        k: neighbours of the KSG estimator.
        seed: seed of the estimator's tie-breaking noise.
    """
    a, b = _as_pair(features_a, features_b)
    return ksg_mutual_information(principal_components(a, components, "features_a"),
                                  principal_components(b, components, "features_b"), k=k, seed=seed)


def mi_estimator_bias(n_samples: int, *, dims: int = 2, correlation: float = 0.6, k: int = 3,
                      repeats: int = 20, seed: int = 0) -> dict:
    """How far :func:`ksg_mutual_information` lands from the truth on Gaussians of ``n_samples``.

    A and B have ``dims`` standard normal variables each; variable i of A and variable i of B
    have correlation ``correlation``, all other pairs 0, so the true MI is
    -dims/2 * log(1 - correlation**2) nats (0.45 for the defaults).

    Args:
        n_samples: samples per estimate.
        dims, correlation: the Gaussians (variables per side, correlation of each pair).
        k: neighbours of the estimator.
        repeats: independent samples drawn (>= 2).
        seed: seed of the samples.

    Returns:
        ``{"n_samples", "true_mi", "mean", "sd", "bias"}``: the exact MI, the mean and standard
        deviation of ``repeats`` estimates on fresh samples, and mean - true (nats).
    """
    if not isinstance(repeats, int) or repeats < 2:
        raise ValueError(f"repeats must be an integer >= 2, got {repeats!r}")
    if not -1 < correlation < 1:
        raise ValueError(f"correlation must lie strictly between -1 and 1, got {correlation}")
    covariance = np.block([[np.eye(dims), correlation * np.eye(dims)],
                           [correlation * np.eye(dims), np.eye(dims)]])
    rng = np.random.default_rng(seed)
    estimates = []
    for repeat in range(repeats):
        sample = rng.multivariate_normal(np.zeros(2 * dims), covariance, size=n_samples)
        estimates.append(ksg_mutual_information(sample[:, :dims], sample[:, dims:], k=k, seed=repeat))
    true_mi = gaussian_mutual_information(covariance, dims) + 0.0  # + 0.0 turns -0.0 into 0.0
    return {"n_samples": n_samples, "true_mi": true_mi, "mean": float(np.mean(estimates)),
            "sd": float(np.std(estimates, ddof=1)), "bias": float(np.mean(estimates) - true_mi)}


def linear_cka(features_a, features_b) -> float:
    """Linear centred kernel alignment (Kornblith et al. 2019) of two representations.

    With the columns centred, CKA = ||A^T B||_F^2 / (||A^T A||_F ||B^T B||_F): 1 when B is a
    rotation or a uniform rescaling of A (whatever the number of features), near 0 when the
    two are unrelated and n_samples is much larger than the number of features. With few
    samples and many features, unrelated representations still score well above 0 (the
    chance value of :func:`compare_domains` shows how far).

    Args:
        features_a: float (n_samples, d_a); features_b: float (n_samples, d_b), same samples.

    Returns:
        CKA in [0, 1].
    """
    a, b = _as_pair(features_a, features_b)
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    for matrix, name in ((a, "features_a"), (b, "features_b")):
        if not matrix.any():
            raise ValueError(f"{name}: every feature is constant (zero variance); CKA is undefined")
    cross = np.linalg.norm(a.T @ b) ** 2
    return float(cross / (np.linalg.norm(a.T @ a) * np.linalg.norm(b.T @ b)))


def _measures(a, b, reduced_a, reduced_b, k: int, seed: int) -> dict:
    """Every measure of ``MEASURES`` for one pairing of rows (features and their PCA reductions)."""
    information = ksg_mutual_information(reduced_a, reduced_b, k=k, seed=seed)
    return correlation_summary(a, b) | {"mutual_information": information, "cka": linear_cka(a, b)}


def compare_domains(features: dict, *, components: int = 2, k: int = 3, shuffles: int = 20,
                    seed: int = 0) -> pd.DataFrame:
    """Every measure for every pair of domains, each next to its chance value.

    Args:
        features: domain name -> float (n_samples, n_features), rows the same ECGs in the same
            order, e.g. ``{"time": F1, "scalogram": F2, "spectrum": F3}``.
        components, k: of :func:`mutual_information`.
        shuffles: how many random re-pairings of the rows give the chance value.
        seed: seed of the shuffles (and of the MI estimator's noise).

    Returns:
        A tidy DataFrame, one row per pair of domains and measure, with columns "domain_a",
        "domain_b", "measure" (``MEASURES``), "value" (the measure on the real pairing),
        "chance" (its mean after shuffling the rows of domain b) and "n" (samples).
    """
    if not isinstance(features, dict) or len(features) < 2:
        raise ValueError("features must be a dict of two or more domains: name -> (n_samples, n_features)")
    if not isinstance(shuffles, int) or shuffles < 1:
        raise ValueError(f"shuffles must be an integer >= 1, got {shuffles!r}")
    matrices = {name: _as_matrix(value, f"features[{name!r}]") for name, value in features.items()}
    sizes = {name: len(matrix) for name, matrix in matrices.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"features must hold the same samples in every domain, got rows {sizes}")
    n = len(next(iter(matrices.values())))
    reduced = {name: principal_components(matrix, components, f"features[{name!r}]")
               for name, matrix in matrices.items()}
    rng = np.random.default_rng(seed)
    rows = []
    for name_a, name_b in combinations(matrices, 2):
        a, b = matrices[name_a], matrices[name_b]
        real = _measures(a, b, reduced[name_a], reduced[name_b], k, seed)
        shuffled = []
        for _ in range(shuffles):
            order = rng.permutation(n)
            shuffled.append(_measures(a, b[order], reduced[name_a], reduced[name_b][order], k, seed))
        for measure in MEASURES:
            rows.append({"domain_a": name_a, "domain_b": name_b, "measure": measure, "value": real[measure],
                         "chance": float(np.mean([s[measure] for s in shuffled])), "n": n})
    return pd.DataFrame(rows)


def plot_cross_correlations(features: dict):
    """One heatmap of :func:`cross_correlation` per pair of domains, all on one colour scale.

    Red +1, blue -1, white 0 (``ecgkeras.plot.DIVERGING_CMAP``); blank: a constant feature. Every
    panel uses the same scale, -1 to +1, shown by the figure's one colour bar, so the panels can
    be compared. At most three panels per row (the book's width).

    Args:
        features: domain name -> float (n_samples, n_features), as for :func:`compare_domains`.

    Returns:
        The matplotlib Figure.
    """
    from matplotlib.colors import Normalize

    from ecgkeras.plot import DIVERGING_CMAP, book_figure, book_style, enforce_book_fonts

    pairs = list(combinations(features, 2))
    columns = min(3, len(pairs))
    rows = -(-len(pairs) // columns)
    norm = Normalize(vmin=-1, vmax=1)  # one scale, one object, for every panel
    with book_style():
        fig, axes = book_figure(rows, columns, height_in=2.9 * rows, squeeze=False)
        for ax, (name_a, name_b) in zip(axes.flat, pairs):
            matrix = cross_correlation(features[name_a], features[name_b])
            image = ax.imshow(matrix, cmap=DIVERGING_CMAP, norm=norm, aspect="auto", interpolation="nearest")
            ax.set(xticks=[], yticks=[], xlabel=f"{name_b} features", ylabel=f"{name_a} features",
                   title=f"mean r {np.nanmean(matrix):+.2f}\nmean |r| {np.nanmean(np.abs(matrix)):.2f}")
        for ax in axes.flat[len(pairs):]:
            ax.set_visible(False)
        fig.colorbar(image, ax=axes, label="Pearson r", shrink=0.9)
        enforce_book_fonts(fig)
    return fig


def plot_domain_similarity(table: pd.DataFrame, measures=MEASURES):
    """Domain x domain heatmaps of :func:`compare_domains`, one per measure, chance in brackets.

    Each cell prints the value and, in brackets, its chance value. Panels of the same measure
    share one colour scale (``COLOR_RANGES``; ``ecgkeras.plot.DIVERGING_CMAP`` for signed
    measures, ``SEQUENTIAL_CMAP`` otherwise), so the sources can be compared.

    Args:
        table: the DataFrame of :func:`compare_domains` (one row per pair and measure). With a
            "source" column (e.g. unimodal models vs the branches of one fused model), one column
            of panels per source and one row per measure; with one source, two measures per row.
        measures: which measures to show, one panel each.

    Returns:
        The matplotlib Figure (one axes per source and measure).
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    from ecgkeras.plot import (DIVERGING_CMAP, SEQUENTIAL_CMAP, book_figure, book_style, enforce_book_fonts,
                               text_color_on)

    table = table if "source" in table else table.assign(source="")
    sources = list(dict.fromkeys(table["source"]))
    measures = list(measures)
    if len(sources) > 1:  # one row per measure: the sources side by side on one scale
        rows, columns = len(measures), len(sources)
        panels = [(source, measure) for measure in measures for source in sources]
    else:
        columns = min(2, len(measures))
        rows = -(-len(measures) // columns)
        panels = [(sources[0], measure) for measure in measures]
    with book_style():
        fig, axes = book_figure(rows, columns, height_in=2.7 * rows + 0.3, squeeze=False)
        for ax, (source, measure) in zip(axes.flat, panels):
            part = table[table["source"] == source]
            domains = list(dict.fromkeys([*part["domain_a"], *part["domain_b"]]))
            cells = [(a, b, item) for item in part[part["measure"] == measure].itertuples()
                     for a, b in ((item.domain_a, item.domain_b), (item.domain_b, item.domain_a))]
            values = np.full((len(domains), len(domains)), np.nan)
            for a, b, item in cells:
                values[domains.index(a), domains.index(b)] = item.value
            low, high = COLOR_RANGES.get(measure, (0, None))
            high = high if high is not None else max(0.1, table.loc[table["measure"] == measure, "value"].max())
            cmap, norm = plt.get_cmap(DIVERGING_CMAP if low < 0 else SEQUENTIAL_CMAP), Normalize(low, high)
            ax.imshow(values, cmap=cmap, norm=norm, interpolation="nearest")  # NaN (the diagonal): blank
            for a, b, item in cells:
                ax.text(domains.index(b), domains.index(a), f"{item.value:.2f}\n({item.chance:.2f})",
                        ha="center", va="center", fontsize=9.5, color=text_color_on(cmap(norm(item.value))))
            ax.set_xticks(range(len(domains)), domains)
            ax.set_yticks(range(len(domains)), domains, rotation=90, va="center")
            ax.tick_params(length=0)
            ax.set_title(f"{source}: {measure.replace('_', ' ')}" if source else measure.replace("_", " "))
        for ax in axes.flat[len(panels):]:
            ax.set_visible(False)
        fig.suptitle("value (chance: rows of one domain shuffled)")
        enforce_book_fonts(fig)
    return fig
