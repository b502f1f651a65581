"""Chapters 9 and 10 on the output of ``ecgkeras reproduce``: complementarity and "is the gain real?".

:func:`analyze` reads a ``reproduce`` folder (``runs/*.json``, ``predictions/*.npz``, see
``ecgkeras.results``), works on the folds that every model has finished (so a folder still
being filled can be analysed), and writes ``analysis.json`` and three figures to
``folder/analysis``. Nothing here trains a model or imports Keras.
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ecgkeras.complementarity import compare_domains, plot_domain_similarity
from ecgkeras.results import (atomic_file, finished_runs, portable_path, read_predictions, run_name,
                              write_text_atomically)
from ecgkeras.stats import (
    bayesian_comparison,
    classification_metrics,
    correlated_t_test,
    paired_bootstrap,
    plot_bootstrap,
    plot_posteriors,
    posterior_summary,
)

#: The unimodal model that learns each domain's features (names of ``ecgkeras.models.MODEL_SPECS``).
UNIMODAL_MODELS = {"time": "1D-CNN", "scalogram": "2D-CNN", "spectrum": "CNN-Transformer"}
#: The fused model whose three branches are compared as well.
FUSED_MODEL = "Hybrid 2"
#: Every other model is compared with this one (the study's best unimodal model) ...
REFERENCE_MODEL = "2D-CNN"
#: ... and these pairs are compared too: (A, B) asks "is A better than B?".
EXTRA_PAIRS = (("Hybrid 1", "Hybrid 2"),)
#: Each feature-level fusion and the unimodal models of the domains it joins.
FUSION_MEMBERS = {"Hybrid 1": ("1D-CNN", "2D-CNN"), "Hybrid 2": ("1D-CNN", "2D-CNN", "CNN-Transformer")}
#: Metrics of the correlated t-test across folds.
FOLD_METRICS = ("accuracy", "macro_f1")


@dataclass
class SeedPredictions:
    """The test predictions of one seed, folds concatenated: every sample once, for every model.

    Attributes:
        seed: the ``reproduce`` seed.
        folds: the folds used (those finished by every model), in order.
        fold: int (n,), the test fold of each sample.
        labels: int (n,) true classes; groups: int (n,) ECG ids.
        probabilities: model -> float (n, n_classes).
        features: model -> view -> float (n, n_features), each branch's deep features.
        left_out: model -> folds it finished that other models have not (not used).
    """

    seed: int
    folds: list
    fold: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    probabilities: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)
    left_out: dict = field(default_factory=dict)


def load_predictions(folder) -> dict[int, SeedPredictions]:
    """The test predictions of a ``reproduce`` folder, per seed, on the folds every model finished.

    "Every model" means every model of the folder: a seed that a running ``reproduce`` has
    started but that has no fold finished by all models yet is left out, with a warning naming
    it (``analyze`` notes it too).

    Raises:
        FileNotFoundError: no finished run in ``folder/runs``.
        ValueError: no seed has a fold finished by every model; or two models' files of one fold
            hold different samples (labels or ECG ids differ: runs of different data mixed).
    """
    return _load_predictions(Path(folder), finished_runs(folder))


def _finished_folds(runs: list[dict]) -> dict[int, dict[str, set[int]]]:
    """seed -> model -> the folds it finished, from a folder's run files (missing: an empty set)."""
    finished = defaultdict(lambda: defaultdict(set))
    for run in runs:
        finished[run["seed"]][run["model"]].add(run["fold"])
    return finished


def _load_predictions(folder: Path, runs: list[dict]) -> dict[int, SeedPredictions]:
    """:func:`load_predictions` with the folder's run files already read (``analyze`` reads them once)."""
    all_models = sorted({run["model"] for run in runs})
    result, unfinished = {}, {}
    for seed, by_model in sorted(_finished_folds(runs).items()):
        folds = sorted(set.intersection(*(by_model.get(model, set()) for model in all_models)))
        if not folds:
            unfinished[seed] = {model: sorted(by_model.get(model, ())) for model in all_models}
            continue
        arrays = {m: [read_predictions(folder / "predictions" / f"{run_name(m, f, seed)}.npz") for f in folds]
                  for m in by_model}
        # Unimodal models first, then by name.
        models = sorted(arrays, key=lambda m: (sum(key.startswith("features_") for key in arrays[m][0]), m))
        for model in models[1:]:
            for fold, mine, first in zip(folds, arrays[model], arrays[models[0]]):
                if not all(np.array_equal(mine[key], first[key]) for key in ("labels", "groups")):
                    raise ValueError(f"{folder}: test fold {fold} of seed {seed} holds other samples for {model!r} "
                                     f"than for {models[0]!r}; the folder mixes runs of different data or settings")
        first = arrays[models[0]]
        result[seed] = SeedPredictions(
            seed=seed, folds=folds, fold=np.repeat(folds, [len(part["labels"]) for part in first]),
            labels=np.concatenate([part["labels"] for part in first]),
            groups=np.concatenate([part["groups"] for part in first]),
            probabilities={m: np.concatenate([part["probabilities"] for part in arrays[m]]) for m in models},
            features={m: {key.removeprefix("features_"): np.concatenate([part[key] for part in arrays[m]])
                          for key in arrays[m][0] if key.startswith("features_")} for m in models},
            left_out={m: sorted(by_model[m] - set(folds)) for m in models if by_model[m] - set(folds)})
    if not result:
        raise ValueError(f"{folder}: no seed has a fold finished by every model {all_models} (finished folds: "
                         f"{unfinished}); wait for reproduce to finish one")
    if unfinished:
        warnings.warn(f"{folder}: seed(s) {sorted(unfinished)} left out: no fold finished by every model yet "
                      f"(finished folds per model: {unfinished})", stacklevel=3)
    return result


def feature_sources(predictions: SeedPredictions) -> dict[str, dict[str, np.ndarray]]:
    """Domain features to compare: from the unimodal models, and from the fused model's branches.

    Returns:
        ``{"unimodal models": {"time": ..., "scalogram": ..., "spectrum": ...},
        "Hybrid 2 branches": {...}}``, each float (n, n_features), with only the sources whose
        models are in the folder (two domains at least).
    """
    unimodal = {view: predictions.features[model][view] for view, model in UNIMODAL_MODELS.items()
                if model in predictions.features}
    sources = {"unimodal models": unimodal, f"{FUSED_MODEL} branches": predictions.features.get(FUSED_MODEL, {})}
    return {name: features for name, features in sources.items() if len(features) >= 2}


def complementarity(predictions: SeedPredictions, *, components: int = 2, k: int = 3, shuffles: int = 20,
                    seed: int = 0) -> pd.DataFrame:
    """``ecgkeras.complementarity.compare_domains`` in every test fold, for every feature source.

    Features are compared within one fold at a time and never pooled across folds: each fold
    has its own trained networks, and feature j of one fold's encoder has nothing to do with
    feature j of another's, so pooled columns would mix unrelated units (standardising per
    fold would fix their scales but not their meaning). :func:`fold_means` averages the folds.

    Returns:
        The tidy table of ``compare_domains`` with columns "seed", "fold" and "source" added.
    """
    tables = []
    for source, features in feature_sources(predictions).items():
        for fold in predictions.folds:
            in_fold = predictions.fold == fold
            table = compare_domains({view: f[in_fold] for view, f in features.items()}, components=components,
                                    k=k, shuffles=shuffles, seed=seed)
            tables.append(table.assign(seed=predictions.seed, fold=fold, source=source))
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def fold_means(table: pd.DataFrame) -> pd.DataFrame:
    """Mean of :func:`complementarity` over folds and seeds, weighted by the test fold's size.

    Returns:
        One row per source, pair of domains and measure: "value", "chance", "folds" (how many
        fold-and-seed estimates were averaged) and "n" (their samples in all).
    """
    def weighted(group):
        weights = group["n"] / group["n"].sum()
        return pd.Series({"value": (weights * group["value"]).sum(), "chance": (weights * group["chance"]).sum(),
                          "folds": len(group), "n": group["n"].sum()})

    keys = ["source", "domain_a", "domain_b", "measure"]
    return table.groupby(keys, sort=False)[["value", "chance", "n"]].apply(weighted).reset_index()


def fusion_gains(predictions: SeedPredictions, metric: str = "accuracy") -> pd.DataFrame:
    """Per test fold, what each fusion adds to the best unimodal model of the domains it joins.

    Chapter 9 sets these gains beside the complementarity of the same fold's features: does
    "low correlation, moderate mutual information" predict that fusing helps?

    Args:
        predictions: one seed's predictions (:func:`load_predictions`).
        metric: one of ``ecgkeras.stats.METRICS``.

    Returns:
        One row per fold and fusion of ``FUSION_MEMBERS`` whose models are all present: "seed",
        "fold", "fusion", "fused" (its metric), "best_member" (name), "best" (its metric) and
        "gain" = fused - best (a fraction: 0.02 is 2 points).
    """
    rows = []
    for fusion, members in FUSION_MEMBERS.items():
        if not {fusion, *members} <= set(predictions.probabilities):
            continue
        scores = {model: fold_scores(predictions, model, metric) for model in (fusion, *members)}
        for i, fold in enumerate(predictions.folds):
            best = max(members, key=lambda model: scores[model][i])
            fused, best_score = float(scores[fusion][i]), float(scores[best][i])
            rows.append({"seed": predictions.seed, "fold": fold, "fusion": fusion, "fused": fused,
                         "best_member": best, "best": best_score, "gain": fused - best_score})
    return pd.DataFrame(rows)


def fold_scores(predictions: SeedPredictions, model: str, metric: str) -> np.ndarray:
    """``metric`` of ``model`` on each test fold of one seed: float (len(predictions.folds),)."""
    n_classes = predictions.probabilities[model].shape[1]
    predicted = predictions.probabilities[model].argmax(axis=1)
    return np.array([classification_metrics(predictions.labels[predictions.fold == fold],
                                            predicted[predictions.fold == fold], n_classes)[metric]
                     for fold in predictions.folds], dtype=np.float64)


def comparison_pairs(models) -> list[tuple[str, str]]:
    """(A, B) pairs to compare: every model against ``REFERENCE_MODEL``, then ``EXTRA_PAIRS``."""
    pairs = [(model, REFERENCE_MODEL) for model in models if model != REFERENCE_MODEL and REFERENCE_MODEL in models]
    return pairs + [pair for pair in EXTRA_PAIRS if set(pair) <= set(models)]


def compare_models(predictions: SeedPredictions, pairs, *, n_boot: int = 10_000, seed: int = 0) -> dict:
    """Paired bootstrap and Bayesian comparison of every pair, on one seed's concatenated folds.

    Returns:
        ``{(A, B): (paired_bootstrap result, bayesian_comparison InferenceData)}``.
    """
    comparisons = {}
    for a, b in pairs:
        arguments = (predictions.labels, predictions.probabilities[a], predictions.probabilities[b])
        comparisons[a, b] = (paired_bootstrap(*arguments, n_boot=n_boot, seed=seed),
                             bayesian_comparison(*arguments, names=(a, b), seed=seed))
    return comparisons


def fold_differences(data: dict[int, SeedPredictions], model_a: str, model_b: str, metric: str) -> np.ndarray:
    """metric(A) - metric(B) on each test fold of each seed: float (folds x seeds,)."""
    return np.concatenate([fold_scores(part, model_a, metric) - fold_scores(part, model_b, metric)
                           for part in data.values()])


def analyze(folder, out=None, *, n_boot: int = 10_000, rope: float = 0.01, components: int = 2, k: int = 3,
            shuffles: int = 20, seed: int = 0) -> dict:
    """Complementarity of the domains and significance of every model comparison of a ``reproduce`` folder.

    For each seed the test folds are concatenated, so every model has one prediction per
    sample; only folds finished by every model are used. Computed:

    - complementarity (chapter 9): :func:`complementarity` of the unimodal models' features
      (1D-CNN: time, 2D-CNN: scalogram, CNN-Transformer: spectrum) and, for comparison, of
      Hybrid 2's three branches, per fold, and their :func:`fold_means`;
    - for every pair of :func:`comparison_pairs` (chapter 10): the paired bootstrap of all four
      metrics and the Bayesian comparison of accuracy on the concatenated folds (per seed), and
      the correlated t-test of accuracy and macro F1 across folds and seeds, with
      test_fraction = 1 / folds (n_test / n_total of k-fold cross-validation).

    Args:
        folder: a ``reproduce`` output folder.
        out: where to write (default ``folder/analysis``): ``analysis.json`` and the figures
            ``complementarity.png``, ``bootstrap.png`` and ``posterior.png`` (first seed), each
            written to a temporary name and then renamed.
        n_boot: bootstrap resamples; rope: half-width of the ROPE (accuracy, e.g. 0.01);
        components, k, shuffles: of ``ecgkeras.complementarity.compare_domains``; seed: of every
            random draw.

    Returns:
        The content of ``analysis.json``: tidy lists of records (plain JSON types) under
        "complementarity", "complementarity_mean", "bootstrap", "bayesian" and
        "correlated_t_test", plus "settings", "models", "folds", "left_out" and "notes".
    """
    folder = Path(folder)
    settings_file = folder / "settings.json"
    if not settings_file.is_file():
        raise FileNotFoundError(f"{folder} is not a reproduce folder: {settings_file} is missing")
    settings = json.loads(settings_file.read_text())
    runs = finished_runs(folder)
    data = _load_predictions(folder, runs)
    models = list(data[min(data)].probabilities)
    pairs = comparison_pairs(models)
    per_fold = pd.concat([complementarity(part, components=components, k=k, shuffles=shuffles, seed=seed)
                          for part in data.values()], ignore_index=True)
    compared = {run_seed: compare_models(part, pairs, n_boot=n_boot, seed=seed) for run_seed, part in data.items()}
    rows = [({"seed": run_seed, "model_a": a, "model_b": b, "n": len(data[run_seed].labels)}, results, idata)
            for run_seed, comparisons in compared.items() for (a, b), (results, idata) in comparisons.items()]
    n_differences = sum(len(part.folds) for part in data.values())
    t_tests = [{"model_a": a, "model_b": b, "metric": metric} | correlated_t_test(
        fold_differences(data, a, b, metric), test_fraction=1 / settings["folds"], rope=rope)
        for a, b in pairs for metric in FOLD_METRICS] if n_differences >= 2 else []
    result = {
        "folder": portable_path(folder), "settings": settings, "models": models,
        "folds": {str(run_seed): part.folds for run_seed, part in data.items()},
        "left_out": {str(run_seed): part.left_out for run_seed, part in data.items() if part.left_out},
        "complementarity": _records(per_fold),
        "complementarity_mean": _records(fold_means(per_fold)) if len(per_fold) else [],
        "bootstrap": [labels | r.summary() for labels, results, _ in rows for r in results.values()],
        "bayesian": [labels | posterior_summary(idata, rope=rope) for labels, _, idata in rows],
        "correlated_t_test": t_tests,
        "notes": _notes(models, pairs, per_fold, n_differences) + [
            f"seed {run_seed} left out: no fold finished by every model yet"
            for run_seed in sorted({run["seed"] for run in runs} - set(data))]
            + missing_runs(runs, settings["folds"]),
    }
    _write(Path(out) if out is not None else folder / "analysis", result, per_fold, compared[min(compared)], rope)
    return result


def _records(table: pd.DataFrame) -> list[dict]:
    """A DataFrame as a list of dicts of plain JSON types."""
    return json.loads(table.to_json(orient="records"))


def missing_runs(runs: list[dict], folds: int) -> list[str]:
    """What a partial ``reproduce`` folder lacks, one line per seed with missing runs.

    Issue 15: an analysis of a run that is still going says which models and folds it lacks.

    Args:
        runs: the folder's :func:`ecgkeras.experiment.finished_runs`; the models are those with a
            finished run, the folds 0..``folds``-1.

    Returns:
        e.g. ``["seed 3 lacks: Hybrid 2 folds [3, 4]; Late fusion folds [2, 3, 4]"]``; empty when
        every model finished every fold of every seed it started.
    """
    models = sorted({run["model"] for run in runs})
    every_fold = set(range(folds))
    lines = []
    for seed, by_model in sorted(_finished_folds(runs).items()):
        lacking = [f"{model} folds {sorted(every_fold - by_model[model])}" for model in models
                   if every_fold - by_model[model]]
        if lacking:
            lines.append(f"seed {seed} lacks: " + "; ".join(lacking))
    return lines


def _notes(models, pairs, per_fold, n_differences) -> list[str]:
    notes = []
    if not pairs:
        notes.append(f"no comparisons: {REFERENCE_MODEL!r} is not among the models {models}")
    if not len(per_fold):
        notes.append("no complementarity: fewer than two domains' features "
                     f"(unimodal models {list(UNIMODAL_MODELS.values())} or {FUSED_MODEL!r})")
    if n_differences < 2:
        notes.append("no correlated t-test: it needs 2 or more finished folds")
    return notes


def _write(out: Path, result: dict, per_fold: pd.DataFrame, comparisons: dict, rope: float) -> None:
    """analysis.json and the figures (comparisons of one seed), each through ``ecgkeras.results.atomic_file``."""
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    drawn = {}
    if len(per_fold):
        drawn["complementarity.png"] = plot_domain_similarity(fold_means(per_fold))
    if comparisons:
        drawn["bootstrap.png"] = plot_bootstrap({f"{a} - {b}": boot for (a, b), (boot, _) in comparisons.items()})
        drawn["posterior.png"] = plot_posteriors({f"{a} - {b}": idata for (a, b), (_, idata) in comparisons.items()},
                                                 rope=rope)
    for name, figure in drawn.items():
        with atomic_file(out / name) as file:
            figure.savefig(file, format="png", dpi=120, bbox_inches="tight")
        plt.close(figure)
    write_text_atomically(out / "analysis.json", json.dumps(result, indent=1))


def comparison_table(result: dict, metric: str = "accuracy", seed: int | None = None) -> pd.DataFrame:
    """Every comparison of :func:`analyze`'s result as one table (chapters 10 and 12).

    Args:
        result: what :func:`analyze` returns (or its ``analysis.json``).
        metric: one of ``ecgkeras.stats.METRICS``; the Bayesian comparison is of accuracy only,
            so for other metrics its two columns are NaN.
        seed: which ``reproduce`` seed (default: the first).

    Returns:
        One row per pair (A, B): "A", "B", "A score", "B score", "difference" (A - B on the
        concatenated test folds), "ci_low", "ci_high" (bootstrap interval), "p" (bootstrap,
        one-sided), "P(A>B)" and "P(ROPE)" (Bayesian), "t-test P(A>B)" (correlated
        t-test across folds, NaN when it was not run) and "verdict" (:func:`pair_verdict` of
        "A is better than B" from that t-test: "holds", "does not hold", "undecided", or "" when
        it was not run).
    """
    seeds = sorted({row["seed"] for row in result["bootstrap"]})
    seed = seeds[0] if seed is None and seeds else seed
    bayes = {(r["model_a"], r["model_b"]): r for r in result["bayesian"] if r["seed"] == seed}
    t_tests = _t_tests_by_pair(result, metric)
    rows = []
    for row in result["bootstrap"]:
        if row["seed"] != seed or row["metric"] != metric:
            continue
        pair = (row["model_a"], row["model_b"])
        rows.append({"A": pair[0], "B": pair[1], "A score": row["value_a"], "B score": row["value_b"],
                     "difference": row["difference"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                     "p": row["p_value"],
                     "P(A>B)": bayes[pair]["p_a_better"] if metric == "accuracy" else np.nan,
                     "P(ROPE)": bayes[pair]["p_in_rope"] if metric == "accuracy" else np.nan,
                     "t-test P(A>B)": t_tests[pair]["p_a_better"] if pair in t_tests else np.nan,
                     "verdict": claim_verdict(t_tests[pair], "better")[0] if pair in t_tests else ""})
    return pd.DataFrame(rows)


#: The posterior probability at which the seed-aware test decides a claim (chapters 10 and 12).
DECISION_PROBABILITY = 0.95

#: The comparative claims the book decides, as tests on the correlated t-test of accuracy:
#: claim -> (A, B, direction). "better": A beats B by more than the ROPE; "not worse": B does
#: not beat A by more than the ROPE (the study's "the third domain adds nothing"). The first
#: two are the study's, the third the book's (chapter 10). Chapter 12's verdict table and the
#: README's (``tools/readme_results.py``) are :func:`verdicts_table` of these.
CLAIMS = {
    "Hybrid 1 beats the 2D-CNN (study)": ("Hybrid 1", "2D-CNN", "better"),
    "Hybrid 2 adds nothing to Hybrid 1 (study)": ("Hybrid 1", "Hybrid 2", "not worse"),
    "Hybrid 2 beats the 2D-CNN (chapter 10)": ("Hybrid 2", "2D-CNN", "better"),
}

#: The study's two claims as rows of :func:`claims_table`: row -> (A, B, direction).
CLAIM_TESTS = {f"{a} - {b} (accuracy)": (a, b, direction)
               for a, b, direction in list(CLAIMS.values())[:2]}


def claim_verdict(t_test: dict, direction: str) -> tuple[str, float]:
    """Whether a claim about A - B holds, from the correlated t-test across folds and seeds.

    Chapter 10. With the posterior of the mean difference A - B and its ROPE [-r, +r]:

    - "better" (A beats B): holds when P(A - B > r) >= ``DECISION_PROBABILITY``, does not hold
      when P(A - B <= r) >= it;
    - "not worse" (B does not beat A): holds when P(A - B >= -r) >= it, does not hold when
      P(A - B < -r) >= it;
    - otherwise "undecided": at this data size and number of seeds the test cannot tell.

    Args:
        t_test: a result of ``ecgkeras.stats.correlated_t_test`` (A - B).
        direction: "better" or "not worse".

    Returns:
        (verdict, probability): "holds" / "does not hold" / "undecided", and the posterior
        probability that the claim holds.
    """
    if direction == "better":
        p_holds = t_test["p_above_rope"]
    elif direction == "not worse":
        p_holds = t_test["p_above_rope"] + t_test["p_in_rope"]
    else:
        raise ValueError(f"direction must be 'better' or 'not worse', got {direction!r}")
    if p_holds >= DECISION_PROBABILITY:
        return "holds", p_holds
    if 1 - p_holds >= DECISION_PROBABILITY:
        return "does not hold", p_holds
    return "undecided", p_holds


def pair_verdict(result: dict, model_a: str, model_b: str, direction: str = "better",
                 metric: str = "accuracy") -> tuple[str, float]:
    """:func:`claim_verdict` of "A is better than B" (or "A is not worse") in an :func:`analyze` result.

    Chapters 10 and 12. The correlated t-test of ``metric`` across all folds and seeds decides.

    Raises:
        ValueError: the analysis holds no t-test of that pair and metric (fewer than two finished
            folds, or a pair that :func:`comparison_pairs` does not make).
    """
    t_tests = _t_tests_by_pair(result, metric)
    if (model_a, model_b) not in t_tests:
        raise ValueError(f"no correlated t-test of {model_a} - {model_b} ({metric}) in this analysis; "
                         f"tested pairs: {sorted(t_tests)}")
    return claim_verdict(t_tests[model_a, model_b], direction)


def verdict_cell(result: dict, model_a: str, model_b: str, direction: str = "better", *,
                 bootstrap: bool = False) -> str:
    """One claim on one analysed run, a cell of :func:`verdicts_table` and of the README's table.

    "verdict (P p); mean difference, seeds lowest to highest" (or "one seed"): the verdict and P
    (the probability that the claim holds) of :func:`pair_verdict`, the mean over seeds of A - B
    in accuracy and the range of the per-seed differences; with ``bootstrap`` also the range of
    the per-seed bootstrap p values, e.g. "undecided (P 0.60); +0.017, seeds -0.012 to +0.033,
    bootstrap p 0.047 to 0.717".
    """
    verdict, p_holds = pair_verdict(result, model_a, model_b, direction)
    seeds = seed_table(result, model_a, model_b).query("seed != 'all seeds'")
    differences = seeds["difference"]
    cell = f"{verdict} (P {p_holds:.2f}); {differences.mean():+.3f}, "
    cell += f"seeds {differences.min():+.3f} to {differences.max():+.3f}" if len(seeds) > 1 else "one seed"
    if bootstrap:
        low, high = (_p_text(p) for p in (seeds["p"].min(), seeds["p"].max()))
        cell += f", bootstrap p {low}" + (f" to {high}" if len(seeds) > 1 else "")
    return cell


def verdicts_table(results: dict, claims: dict | None = None, *, bootstrap: bool = False) -> pd.DataFrame:
    """Every claim on every analysed run: a DataFrame of :func:`verdict_cell` strings (chapter 12).

    Args:
        results: run title -> :func:`analyze` result (or its ``analysis.json``).
        claims: claim -> (A, B, direction); default :data:`CLAIMS`.
        bootstrap: add the per-seed bootstrap p values to each cell.

    Returns:
        Rows the claims, columns the runs.
    """
    claims = CLAIMS if claims is None else claims
    return pd.DataFrame({title: {claim: verdict_cell(result, *test, bootstrap=bootstrap)
                                 for claim, test in claims.items()}
                         for title, result in results.items()})


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def seed_table(result: dict, model_a: str, model_b: str, metric: str = "accuracy") -> pd.DataFrame:
    """One comparison seed by seed (chapter 10): what a bootstrap over one run's test ECGs says
    for each seed, beside the correlated t-test over all folds and seeds.

    Returns:
        One row per seed ("seed", "difference", "ci_low", "ci_high", "p" of the paired
        bootstrap on that seed's concatenated folds), then a row with seed "all seeds" holding
        the t-test's mean difference and, in "P(A>B)" and "P(ROPE)", its probabilities.
    """
    rows = [{"seed": row["seed"], "difference": row["difference"], "ci_low": row["ci_low"],
             "ci_high": row["ci_high"], "p": row["p_value"]}
            for row in result["bootstrap"]
            if (row["model_a"], row["model_b"], row["metric"]) == (model_a, model_b, metric)]
    if not rows:
        raise ValueError(f"{model_a} vs {model_b} ({metric}) was not compared in this analysis; "
                         f"compared pairs come from comparison_pairs({result['models']})")
    for t_test in result["correlated_t_test"]:
        if (t_test["model_a"], t_test["model_b"], t_test["metric"]) == (model_a, model_b, metric):
            rows.append({"seed": "all seeds", "difference": t_test["mean"], "P(A>B)": t_test["p_a_better"],
                         "P(ROPE)": t_test["p_in_rope"]})
    return pd.DataFrame(rows)


def plot_seed_intervals(result: dict, pairs, metric: str = "accuracy", *, probability: float = 0.95):
    """Each seed's bootstrap interval of A - B beside the correlated t-test over all seeds (chapter 10).

    One panel per pair: a thin line per seed for the 95 % bootstrap interval of that seed's run
    (its dot the difference on the concatenated folds), and a thick line at the bottom for the
    ``probability`` central interval of the t-test's posterior of the mean difference over all
    folds and seeds; the shaded band is the ROPE.

    Args:
        result: what :func:`analyze` returns (or its ``analysis.json``), with a t-test of each pair.
        pairs: (A, B) pairs, e.g. ``[("Hybrid 1", "2D-CNN")]``.
        metric: one of ``ecgkeras.stats.METRICS``.

    Returns:
        The matplotlib Figure.
    """
    from scipy import stats as scipy_stats

    from ecgkeras.plot import PALETTE, REFERENCE_COLOR, book_figure, book_style, enforce_book_fonts

    pairs = list(pairs)
    t_tests = _t_tests_by_pair(result, metric)
    with book_style():
        fig, axes = book_figure(1, len(pairs), height_in=3.0, sharey=True, squeeze=False)
        for ax, (a, b) in zip(axes[0], pairs):
            seeds = seed_table(result, a, b, metric).query("seed != 'all seeds'")
            if (a, b) not in t_tests:
                raise ValueError(f"no correlated t-test of {a} - {b} ({metric}) in this analysis")
            t_test = t_tests[a, b]
            rope = t_test["rope"]
            ax.axvspan(-rope, rope, color=PALETTE[2], alpha=0.25, lw=0)
            ax.axvline(0, color=REFERENCE_COLOR, linestyle="--")
            for y, row in enumerate(seeds.itertuples()):
                ax.hlines(y, row.ci_low, row.ci_high, color=PALETTE[0], lw=1.5)
                ax.plot(row.difference, y, "o", color=PALETTE[0], markersize=5)
            low, high = (scipy_stats.t(df=t_test["df"], loc=t_test["mean"], scale=t_test["scale"])
                         .interval(probability) if t_test["scale"] > 0 else (t_test["mean"],) * 2)
            y = len(seeds)
            ax.hlines(y, low, high, color=PALETTE[3], lw=4)
            ax.plot(t_test["mean"], y, "o", color=PALETTE[3], markerfacecolor="white", markersize=6)
            ax.set(title=f"{a} - {b}", xlabel=f"{metric.replace('_', ' ')} difference")
            ax.set_yticks(range(len(seeds) + 1), [f"seed {s}" for s in seeds["seed"]] + ["all seeds\n(t-test)"])
            ax.set_ylim(len(seeds) + 0.5, -0.5)  # seed 0 on top, the t-test at the bottom
        enforce_book_fonts(fig)
    return fig


#: What the study reports (Oladunni & Wong 2025), as the rows of :func:`claims_table`.
STUDY_CLAIMS = {
    "Hybrid 1 accuracy": "about 0.96",
    "Hybrid 2 accuracy": "about 0.94",
    "Hybrid 1 - 2D-CNN (accuracy)": "> 0 (p < 0.05, P > 0.90)",
    "Hybrid 1 - Hybrid 2 (accuracy)": "about +0.02: the third domain adds nothing",
    "time / time-frequency features: mean r": "+0.07",
    "time / time-frequency features: MI (nats)": "0.37-0.44 (units unstated)",
}


def claims_table(results: dict) -> pd.DataFrame:
    """The study's claims next to what :func:`analyze` measured on each run (chapter 12).

    Args:
        results: title -> the result of :func:`analyze`, e.g.
            ``{"naive, 12 leads": ..., "leak-free, 12 leads": ...}``.

    Returns:
        A DataFrame of strings indexed by the claims of ``STUDY_CLAIMS``, with the column "study"
        and one column per run ("-" where the run lacks the models). Accuracies are means over
        seeds. A comparison reads "verdict (P p; n folds x s seeds)" from :func:`claim_verdict`
        (the correlated t-test across folds and seeds decides), then the first seed's
        "difference [95 % CI], p (bootstrap, one-sided)", and, with several seeds, the
        spread of the per-seed differences.
    """
    columns = {"study": STUDY_CLAIMS}
    for title, result in results.items():
        cells = dict.fromkeys(STUDY_CLAIMS, "-")
        t_tests = _t_tests_by_pair(result, "accuracy")
        for claim, (a, b, direction) in CLAIM_TESTS.items():
            scores = [r for r in result["bootstrap"] if (r["model_a"], r["model_b"], r["metric"]) ==
                      (a, b, "accuracy")]
            if not scores:
                continue
            seeds = seed_table(result, a, b).query("seed != 'all seeds'")
            cells[f"{a} accuracy"] = f"{np.mean([r['value_a'] for r in scores]):.3f}"
            cells[f"{b} accuracy"] = f"{np.mean([r['value_b'] for r in scores]):.3f}"
            first = seeds.iloc[0]
            p_value = "p < 0.001" if first["p"] < 0.001 else f"p {first['p']:.3f}"
            bootstrap = (f"{first['difference']:+.3f} [{first['ci_low']:+.3f}, {first['ci_high']:+.3f}], "
                         f"{p_value}")
            if len(seeds) > 1:
                bootstrap = (f"seed {first['seed']}: {bootstrap}; over {len(seeds)} seeds "
                             f"{seeds['difference'].min():+.3f} to {seeds['difference'].max():+.3f}")
            if (a, b) in t_tests:
                t_test = t_tests[a, b]
                verdict, p_holds = claim_verdict(t_test, direction)
                runs = f"{t_test['n'] // len(seeds)} folds x {len(seeds)} seed{'s' * (len(seeds) > 1)}"
                cells[claim] = f"{verdict} (P {p_holds:.2f}; {runs}); {bootstrap}"
            else:
                cells[claim] = bootstrap
        means = {r["measure"]: r["value"] for r in result["complementarity_mean"]
                 if r["source"] == "unimodal models" and (r["domain_a"], r["domain_b"]) == ("time", "scalogram")}
        if means:
            cells["time / time-frequency features: mean r"] = f"{means['mean_r']:+.3f}"
            cells["time / time-frequency features: MI (nats)"] = f"{means['mutual_information']:.2f}"
        columns[title] = {claim: cells[claim] for claim in STUDY_CLAIMS}
    return pd.DataFrame(columns)


def analysis_markdown(result: dict) -> str:
    """A short text report of :func:`analyze`'s result (first seed), e.g. for the command line."""
    lines = ["Complementarity (mean over folds and seeds; chance in brackets):", "",
             "| source | domains | " + " | ".join(m.replace("_", " ") for m in _measures(result)) + " |",
             "|---|---|" + "---|" * len(_measures(result))]
    table = pd.DataFrame(result["complementarity_mean"])
    if len(table):
        for (source, a, b), rows in table.groupby(["source", "domain_a", "domain_b"], sort=False):
            cells = [f"{r.value:.2f} ({r.chance:.2f})" for r in rows.itertuples()]
            lines.append(f"| {source} | {a} vs {b} | " + " | ".join(cells) + " |")
    seeds = sorted({row["seed"] for row in result["bootstrap"]})
    lines += ["", f"Comparisons (difference A - B in accuracy; bootstrap 95 % CI and p and Bayesian P(A > B), "
              f"P(in ROPE) on the run of seed {seeds[0] if seeds else '-'}; "
              f"correlated t-test P(A > B) across the folds of {len(seeds)} seed(s) and its verdict on "
              "\"A is better\"):", "",
              "| A | B | difference | 95 % CI | p | P(A>B) | P(ROPE) | t-test P(A>B) | A better? |",
              "|---" * 9 + "|"]
    for row in comparison_table(result).to_dict("records"):
        t_test = "-" if np.isnan(row["t-test P(A>B)"]) else f"{row['t-test P(A>B)']:.3f}"
        lines.append(f"| {row['A']} | {row['B']} | {row['difference']:+.3f} | "
                     f"[{row['ci_low']:+.3f}, {row['ci_high']:+.3f}] | {row['p']:.3f} | "
                     f"{row['P(A>B)']:.3f} | {row['P(ROPE)']:.3f} | {t_test} | {row['verdict'] or '-'} |")
    verdicts = claim_verdicts(result)
    if verdicts:
        rope = result["correlated_t_test"][0]["rope"]
        lines += ["", f"The study's claims, decided by the correlated t-test of accuracy across folds and "
                  f"seeds (ROPE +-{rope}, decided at P >= {DECISION_PROBABILITY}):", ""]
        lines += [f"- {claim}: {verdict} (P {p:.2f})" for claim, (verdict, p) in verdicts.items()]
    lines += [f"note: {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def claim_verdicts(result: dict) -> dict[str, tuple[str, float]]:
    """:func:`claim_verdict` of each claim of ``CLAIM_TESTS`` the analysis can test."""
    t_tests = _t_tests_by_pair(result, "accuracy")
    return {claim: claim_verdict(t_tests[a, b], direction)
            for claim, (a, b, direction) in CLAIM_TESTS.items() if (a, b) in t_tests}


def _t_tests_by_pair(result: dict, metric: str) -> dict[tuple[str, str], dict]:
    """The correlated t-tests of one metric in an :func:`analyze` result, keyed by (A, B)."""
    return {(t["model_a"], t["model_b"]): t for t in result["correlated_t_test"] if t["metric"] == metric}


def _measures(result: dict) -> list[str]:
    return list(dict.fromkeys(row["measure"] for row in result["complementarity_mean"]))
