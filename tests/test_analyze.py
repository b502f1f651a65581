"""``ecgkeras.analyze``: chapters 9 and 10 on a ``reproduce`` folder, tested on fake run files in the
exact format of ``ecgkeras.experiment`` (no training), plus one slow test on a real ``reproduce``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ecgkeras.analyze import (
    EXTRA_PAIRS,
    FUSED_MODEL,
    REFERENCE_MODEL,
    STUDY_CLAIMS,
    UNIMODAL_MODELS,
    analysis_markdown,
    analyze,
    claim_verdict,
    claims_table,
    comparison_table,
    fusion_gains,
    load_predictions,
    pair_verdict,
    plot_seed_intervals,
    seed_table,
)
from ecgkeras.experiment import run_name

FOLDS, PER_FOLD = 3, 30
MODEL_VIEWS = {"1D-CNN": ("time",), "2D-CNN": ("scalogram",), "CNN-Transformer": ("spectrum",),
               "Hybrid 1": ("time", "scalogram"), "Hybrid 2": ("time", "scalogram", "spectrum")}


def correct_on(model: str, index: np.ndarray) -> np.ndarray:
    """Which samples each fake model gets right: Hybrid 1 all, Hybrid 2 5/6, 2D-CNN 2/3, others ~1/2."""
    rule = {"Hybrid 1": index >= 0, "Hybrid 2": index % 6 != 0, "2D-CNN": index % 3 != 0}
    return rule.get(model, np.random.default_rng(len(model)).random(len(index)) < 0.5)


def fake_features(view: str, latent: np.ndarray, rng) -> np.ndarray:
    """ReLU-like features: time and scalogram driven by one latent signal, spectrum by noise."""
    n = len(latent)
    driven = latent @ rng.normal(size=(2, 8)) if view != "spectrum" else rng.normal(size=(n, 8))
    features = np.maximum(driven + 0.3 * rng.normal(size=(n, 8)), 0)
    features[:, 0] = 0  # a dead unit, as trained encoders have
    return features.astype(np.float32)


def write_reproduce_folder(folder, models=tuple(MODEL_VIEWS), folds=FOLDS, seed=0):
    """A reproduce folder as ``ecgkeras.experiment.reproduce`` writes it, with known predictions."""
    (folder / "runs").mkdir(parents=True, exist_ok=True)
    (folder / "predictions").mkdir(exist_ok=True)
    (folder / "settings.json").write_text(json.dumps({"data": "synthetic", "protocol": "leak-free", "folds": folds,
                                                      "leads": "all", "n_synthetic": folds * PER_FOLD}))
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(folds * PER_FOLD, 2))
    for fold in range(folds):
        index = np.arange(fold * PER_FOLD, (fold + 1) * PER_FOLD)
        labels = index % 4
        for model in models:
            predicted = np.where(correct_on(model, index), labels, (labels + 1) % 4)
            probabilities = (0.7 * np.eye(4)[predicted] + 0.075).astype(np.float32)
            name = run_name(model, fold, seed)
            np.savez_compressed(folder / "predictions" / f"{name}.npz", labels=labels, probabilities=probabilities,
                                groups=index, files=np.array([f"ecg{i}.jpg" for i in index]),
                                **{f"features_{view}": fake_features(view, latent[index], rng)
                                   for view in MODEL_VIEWS[model]})
            run = {"model": model, "fold": fold, "seed": seed,
                   "values": {"accuracy": float(np.mean(predicted == labels))},
                   "history": {}, "confusion_matrix": [], "class_names": list("ABCD"), "leaked": 0.0,
                   "oversampling": {}}
            (folder / "runs" / f"{name}.json").write_text(json.dumps(run))
    return folder


@pytest.fixture
def reproduce_folder(tmp_path):
    return write_reproduce_folder(tmp_path / "run")


def rows(records, **where):
    return [r for r in records if all(r[key] == value for key, value in where.items())]


def test_analyze_writes_tidy_json_and_figures_with_the_known_answers(reproduce_folder):
    result = analyze(reproduce_folder, n_boot=500, shuffles=3)
    out = reproduce_folder / "analysis"
    assert sorted(path.name for path in out.iterdir()) == ["analysis.json", "bootstrap.png", "complementarity.png",
                                                           "posterior.png"]  # no temporary file left
    assert json.loads((out / "analysis.json").read_text()) == result  # plain JSON types throughout
    assert result["models"] == ["1D-CNN", "2D-CNN", "CNN-Transformer", "Hybrid 1", "Hybrid 2"]
    assert result["folds"] == {"0": [0, 1, 2]} and result["notes"] == []
    assert result["folder"].endswith("run") and not result["folder"].startswith("/")  # no machine path

    pairs = {(r["model_a"], r["model_b"]) for r in result["bootstrap"]}
    assert pairs == {("1D-CNN", "2D-CNN"), ("CNN-Transformer", "2D-CNN"), ("Hybrid 1", "2D-CNN"),
                     ("Hybrid 2", "2D-CNN"), ("Hybrid 1", "Hybrid 2")}
    [gain] = rows(result["bootstrap"], model_a="Hybrid 1", model_b="2D-CNN", metric="accuracy")
    assert (gain["value_a"], gain["difference"], gain["n"]) == pytest.approx((1.0, 1 / 3, 90))
    assert gain["ci_low"] > 0 and gain["p_value"] == pytest.approx(1 / 501)
    [posterior] = rows(result["bayesian"], model_a="Hybrid 1", model_b="Hybrid 2")
    assert posterior["accuracy_a"] == pytest.approx(91 / 92, abs=0.005)  # (s + 1) / (n + 2)
    # 2D-CNN is wrong on exactly 10 of the 30 samples of every fold: the same difference in each fold.
    [t_test] = rows(result["correlated_t_test"], model_a="Hybrid 1", model_b="2D-CNN", metric="accuracy")
    assert (t_test["n"], t_test["mean"], t_test["scale"], t_test["p_above_rope"]) == pytest.approx((3, 1 / 3, 0, 1))
    assert t_test["test_fraction"] == pytest.approx(1 / 3)

    mean = {(r["source"], r["domain_a"], r["domain_b"], r["measure"]): r for r in result["complementarity_mean"]}
    assert {key[0] for key in mean} == {"unimodal models", "Hybrid 2 branches"}
    shared = mean[("unimodal models", "time", "scalogram", "cka")]
    unrelated = mean[("unimodal models", "time", "spectrum", "cka")]
    assert shared["value"] > shared["chance"] + 0.2
    assert unrelated["value"] < shared["value"] and shared["folds"] == 3 and shared["n"] == 90
    assert len(rows(result["complementarity"], source="unimodal models", measure="cka")) == 3 * 3  # pairs x folds
    assert "| Hybrid 1 | 2D-CNN | +0.333 |" in analysis_markdown(result)
    table = comparison_table(result).set_index(["A", "B"])
    assert len(table) == len(pairs)
    assert table.loc[("Hybrid 1", "2D-CNN"), ["A score", "B score", "difference"]].tolist() == pytest.approx(
        [1, 2 / 3, 1 / 3])
    assert table.loc[("Hybrid 1", "2D-CNN"), "t-test P(A>B)"] == pytest.approx(1)
    f1 = comparison_table(result, metric="macro_f1").set_index(["A", "B"])
    assert f1.loc[("Hybrid 1", "2D-CNN"), "A score"] == pytest.approx(1)
    assert f1[["P(A>B)", "P(ROPE)"]].isna().all().all()  # the Bayesian comparison is of accuracy only


def test_claims_table_sets_each_run_beside_the_study(reproduce_folder, tmp_path):
    full = analyze(reproduce_folder, n_boot=2000, shuffles=1)
    partial = analyze(write_reproduce_folder(tmp_path / "partial", models=("1D-CNN", "2D-CNN")), n_boot=50, shuffles=1)
    table = claims_table({"full": full, "two models": partial})
    assert list(table.columns) == ["study", "full", "two models"]
    assert table.loc["Hybrid 1 accuracy", "full"] == "1.000"
    assert table.loc["Hybrid 2 accuracy", "full"] == f"{5 / 6:.3f}"
    # Hybrid 1 is right on every sample of every fold, the 2D-CNN on 2/3: the t-test is sure.
    assert table.loc["Hybrid 1 - 2D-CNN (accuracy)", "full"].startswith(
        "holds (P 1.00; 3 folds x 1 seed); +0.333 [")
    assert "p < 0.001" in table.loc["Hybrid 1 - 2D-CNN (accuracy)", "full"]  # 1 / 2001, the smallest p there is
    assert f"; {1 - 5 / 6:+.3f} [" in table.loc["Hybrid 1 - Hybrid 2 (accuracy)", "full"]
    assert list(table.index) == list(STUDY_CLAIMS)
    assert table.loc["Hybrid 1 accuracy", "two models"] == "-"
    assert table.loc["time / time-frequency features: MI (nats)", "two models"] != "-"
    assert table["study"].notna().all()


def test_claims_table_with_several_seeds_gives_the_spread_over_seeds(tmp_path):
    folder = tmp_path / "seeds"
    for seed in (0, 1, 2):
        write_reproduce_folder(folder, models=("2D-CNN", "Hybrid 1", "Hybrid 2"), seed=seed)
    result = analyze(folder, n_boot=200, shuffles=1)
    cell = claims_table({"run": result}).loc["Hybrid 1 - 2D-CNN (accuracy)", "run"]
    assert cell.startswith("holds (P 1.00; 3 folds x 3 seeds); seed 0: +0.333 [")
    assert cell.endswith("over 3 seeds +0.333 to +0.333")
    table = seed_table(result, "Hybrid 1", "2D-CNN")
    assert table["seed"].tolist() == [0, 1, 2, "all seeds"]
    assert table["difference"].tolist() == pytest.approx([1 / 3] * 4)
    assert table["P(A>B)"].iloc[-1] == 1.0
    assert "Hybrid 1 - 2D-CNN (accuracy): holds (P 1.00)" in analysis_markdown(result)
    with pytest.raises(ValueError, match="1D-CNN vs 2D-CNN .* was not compared"):
        seed_table(result, "1D-CNN", "2D-CNN")
    # the verdict of every pair, in the comparison table and on its own
    table = comparison_table(result).set_index(["A", "B"])
    assert table.loc[("Hybrid 1", "2D-CNN"), "verdict"] == "holds"  # right on every sample, vs 2/3
    assert table.loc[("Hybrid 2", "2D-CNN"), "verdict"] == "holds"  # 5/6 vs 2/3 in every fold
    assert pair_verdict(result, "Hybrid 1", "Hybrid 2", "not worse") == ("holds", 1.0)
    with pytest.raises(ValueError, match="no correlated t-test of 1D-CNN - 2D-CNN"):
        pair_verdict(result, "1D-CNN", "2D-CNN")
    fig = plot_seed_intervals(result, [("Hybrid 1", "2D-CNN"), ("Hybrid 1", "Hybrid 2")])
    labels = [tick.get_text() for tick in fig.axes[0].get_yticklabels()]
    assert labels == ["seed 0", "seed 1", "seed 2", "all seeds\n(t-test)"]
    assert [ax.get_title() for ax in fig.axes] == ["Hybrid 1 - 2D-CNN", "Hybrid 1 - Hybrid 2"]


@pytest.mark.parametrize("probabilities, direction, expected", [
    ((0.01, 0.03, 0.96), "better", ("holds", 0.96)),
    ((0.01, 0.05, 0.94), "better", ("undecided", 0.94)),
    ((0.50, 0.46, 0.04), "better", ("does not hold", 0.04)),  # A no better than B: P 0.96
    ((0.04, 0.90, 0.06), "not worse", ("holds", 0.96)),  # B not practically better than A
    ((0.96, 0.03, 0.01), "not worse", ("does not hold", 0.04)),  # B better than A
    ((0.20, 0.50, 0.30), "not worse", ("undecided", 0.80)),
])
def test_claim_verdict_known_answers(probabilities, direction, expected):
    below, inside, above = probabilities
    verdict, p_holds = claim_verdict({"p_below_rope": below, "p_in_rope": inside, "p_above_rope": above},
                                     direction)
    assert (verdict, p_holds) == (expected[0], pytest.approx(expected[1]))


def test_claim_verdict_bad_direction():
    with pytest.raises(ValueError, match="direction must be"):
        claim_verdict({"p_below_rope": 0, "p_in_rope": 0, "p_above_rope": 1}, "worse")


def test_folds_are_concatenated_so_each_model_predicts_every_sample_once(reproduce_folder):
    [part] = load_predictions(reproduce_folder).values()
    np.testing.assert_array_equal(part.fold, np.repeat([0, 1, 2], PER_FOLD))
    np.testing.assert_array_equal(part.groups, np.arange(FOLDS * PER_FOLD))
    assert part.probabilities["Hybrid 2"].shape == (90, 4)
    assert set(part.features["Hybrid 2"]) == {"time", "scalogram", "spectrum"}
    assert part.features["1D-CNN"]["time"].shape == (90, 8)


def test_fusion_gains_compare_each_fusion_with_its_best_member(reproduce_folder):
    [part] = load_predictions(reproduce_folder).values()
    gains = fusion_gains(part)
    assert len(gains) == 2 * FOLDS  # Hybrid 1 and Hybrid 2, every fold
    hybrid_1 = gains[gains["fusion"] == "Hybrid 1"]
    # Hybrid 1 is right on every sample; the 2D-CNN on 2/3, the fake 1D-CNN on about half.
    assert (hybrid_1["fused"] == 1).all() and (hybrid_1["best_member"] == "2D-CNN").all()
    assert hybrid_1["gain"].tolist() == pytest.approx([1 / 3] * FOLDS)
    hybrid_2 = gains[gains["fusion"] == "Hybrid 2"]
    assert (hybrid_2["gain"] == hybrid_2["fused"] - hybrid_2["best"]).all()
    assert hybrid_2["fused"].tolist() == pytest.approx([5 / 6] * FOLDS)


def test_fusion_gains_skip_a_fusion_whose_models_are_missing(tmp_path):
    folder = write_reproduce_folder(tmp_path / "run", models=("1D-CNN", "2D-CNN", "Hybrid 1"))
    [part] = load_predictions(folder).values()
    assert set(fusion_gains(part, "macro_f1")["fusion"]) == {"Hybrid 1"}


def test_a_partly_finished_folder_uses_the_folds_every_model_finished(tmp_path):
    folder = write_reproduce_folder(tmp_path / "run", models=("1D-CNN", "2D-CNN"))
    for fold in (1, 2):
        (folder / "runs" / f"{run_name('2D-CNN', fold, 0)}.json").unlink()
    [part] = load_predictions(folder).values()
    assert part.folds == [0] and len(part.labels) == PER_FOLD
    assert part.left_out == {"1D-CNN": [1, 2]}
    result = analyze(folder, n_boot=50, shuffles=1)
    assert result["correlated_t_test"] == [] and any("2 or more finished folds" in n for n in result["notes"])
    assert result["left_out"] == {"0": {"1D-CNN": [1, 2]}} and len(result["bootstrap"]) == 4  # 1 pair x 4 metrics


def test_models_without_the_reference_are_analysed_without_comparisons(tmp_path):
    folder = write_reproduce_folder(tmp_path / "run", models=("1D-CNN", "CNN-Transformer"))
    result = analyze(folder, n_boot=50, shuffles=1)
    assert result["bootstrap"] == [] and any("no comparisons" in note for note in result["notes"])
    assert {r["source"] for r in result["complementarity_mean"]} == {"unimodal models"}
    assert not (folder / "analysis" / "bootstrap.png").exists()


def test_folds_holding_other_samples_for_one_model_are_an_error(reproduce_folder):
    path = reproduce_folder / "predictions" / f"{run_name('2D-CNN', 1, 0)}.npz"
    arrays = dict(np.load(path))
    arrays["groups"] = arrays["groups"][::-1]
    np.savez_compressed(path, **arrays)
    with pytest.raises(ValueError, match="test fold 1 of seed 0 holds other samples for '2D-CNN'"):
        load_predictions(reproduce_folder)


def test_a_folder_without_runs_or_settings_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="settings.json is missing"):
        analyze(tmp_path)
    (tmp_path / "settings.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="no finished runs"):
        analyze(tmp_path)


def test_analyze_does_not_import_keras():
    code = "import sys, ecgkeras.analyze; print('keras' in sys.modules or 'tensorflow' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"


def test_model_names_are_those_of_model_specs():
    from ecgkeras.models import MODEL_SPECS  # imports Keras (several seconds)

    assert all(MODEL_SPECS[model] == ((view,), None) for view, model in UNIMODAL_MODELS.items())
    assert MODEL_SPECS[FUSED_MODEL] == (("time", "scalogram", "spectrum"), "concat")
    assert {REFERENCE_MODEL, *(m for pair in EXTRA_PAIRS for m in pair)} <= set(MODEL_SPECS)
    assert set(MODEL_VIEWS) <= set(MODEL_SPECS)


@pytest.mark.slow  # about a minute on a 2-core CPU: two models x 2 folds, one epoch each
def test_analyze_reads_a_real_reproduce_folder(tmp_path):
    from ecgkeras.experiment import reproduce
    from ecgkeras.train import TrainConfig

    out = tmp_path / "run"
    reproduce("synthetic", folds=2, models=["1D-CNN", "2D-CNN"], out=out, n_synthetic=48, progress=False,
              train_config=TrainConfig(epochs=1, patience=0, reduce_lr_patience=0, verbose=0))
    result = analyze(out, n_boot=200, shuffles=2)
    assert result["models"] == ["1D-CNN", "2D-CNN"] and result["folds"] == {"0": [0, 1]}
    assert {r["domain_a"] + "/" + r["domain_b"] for r in result["complementarity_mean"]} == {"time/scalogram"}
    assert {(r["model_a"], r["model_b"]) for r in result["bootstrap"]} == {("1D-CNN", "2D-CNN")}
    assert len(result["correlated_t_test"]) == 2


def test_a_seed_without_a_fold_finished_by_every_model_is_left_out_and_named(tmp_path):
    folder = tmp_path / "running"
    write_reproduce_folder(folder, models=("2D-CNN", "Hybrid 1"), seed=0)
    # seed 1 has started: the 2D-CNN finished its folds, Hybrid 1 nothing yet
    write_reproduce_folder(folder, models=("2D-CNN",), seed=1)
    with pytest.warns(UserWarning, match=r"seed\(s\) \[1\] left out: no fold finished by every model"):
        data = load_predictions(folder)
    assert list(data) == [0]
    with pytest.warns(UserWarning):
        result = analyze(folder, n_boot=50, shuffles=1)
    assert "seed 1 left out: no fold finished by every model yet" in result["notes"]
    assert {row["seed"] for row in result["bootstrap"]} == {0}


def test_a_folder_where_no_seed_has_a_fold_finished_by_every_model_is_refused(tmp_path):
    folder = tmp_path / "started"
    write_reproduce_folder(folder, models=("2D-CNN",), folds=1, seed=0)
    write_reproduce_folder(folder, models=("Hybrid 1",), folds=1, seed=1)
    with pytest.raises(ValueError, match="no seed has a fold finished by every model"):
        load_predictions(folder)


def test_a_partial_run_says_which_models_and_folds_it_lacks(tmp_path):
    folder = tmp_path / "partial"
    write_reproduce_folder(folder, models=("2D-CNN", "Hybrid 1"), seed=0)
    write_reproduce_folder(folder, models=("2D-CNN",), seed=1)  # Hybrid 1 has not started seed 1
    (folder / "runs" / f"{run_name('2D-CNN', 2, 1)}.json").unlink()  # nor the 2D-CNN its fold 2
    with pytest.warns(UserWarning):
        result = analyze(folder, n_boot=50, shuffles=1)
    assert "seed 1 lacks: 2D-CNN folds [2]; Hybrid 1 folds [0, 1, 2]" in result["notes"]
    assert not any(note.startswith("seed 0 lacks") for note in result["notes"])
    assert "note: seed 1 lacks: 2D-CNN folds [2]; Hybrid 1 folds [0, 1, 2]" in analysis_markdown(result)
