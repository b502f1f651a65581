"""``ecgkeras.experiment`` and ``ecgkeras reproduce``: folds, leakage, resumable runs, tables."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
import yaml

from ecgkeras import config
from ecgkeras.cli import main
from ecgkeras.data.dataset import ECGDataset
from ecgkeras.data.synthetic import make_dataset
from ecgkeras.experiment import (
    METRICS,
    PUBLISHED_RUNS,
    branch_features,
    cv_folds,
    finished_runs,
    load_data,
    plot_runs,
    published_analysis,
    published_folder,
    published_results,
    read_results,
    reproduce,
    run_name,
    summarize,
    summary_markdown,
)
from ecgkeras.models import MODEL_SPECS
from ecgkeras.train import TrainConfig

from conftest import REPO

ONE_EPOCH = TrainConfig(epochs=1, patience=0, reduce_lr_patience=0, verbose=0)


def tagged_dataset(n_per_class=(12, 20, 8, 10), copies=1) -> ECGDataset:
    """Sample i carries 1.0 at sample i of lead I and 0 elsewhere there: oversampling's
    interpolations then show which two samples they were made from."""
    labels = np.repeat(np.arange(4), n_per_class)
    n = len(labels)
    rng = np.random.default_rng(0)
    signals = rng.normal(0, 0.1, (n, 250, 12)).astype(np.float32)
    signals[:, :, 0] = 0
    signals[np.arange(n), np.arange(n), 0] = 1.0
    dataset = ECGDataset(signals=signals, labels=labels, groups=np.arange(n))
    return dataset.repeat(np.full(n, copies)) if copies > 1 else dataset


def sources(synthetic_signals: np.ndarray) -> list[set[int]]:
    """For each synthetic sample, the tagged samples it was interpolated from."""
    return [set(np.flatnonzero(np.abs(s[:, 0]) > 1e-6).tolist()) for s in synthetic_signals]


def test_leak_free_folds_keep_every_ecg_on_one_side_and_test_each_once():
    dataset = tagged_dataset(copies=2)
    folds = cv_folds(dataset, protocol="leak-free", folds=4, seed=0)
    tested = np.concatenate([splits["test"].groups for splits, _ in folds])
    assert sorted(tested) == sorted(np.unique(dataset.groups))  # one file per ECG, each tested once
    for splits, report in folds:
        real_train = splits["train"].groups[splits["train"].groups >= 0]
        assert not np.isin(splits["test"].groups, real_train).any()
        assert not np.isin(splits["val"].groups, real_train).any()
        assert not np.isin(splits["test"].groups, splits["val"].groups).any()
        assert report["leaked"] == 0.0
        counts = np.bincount(splits["train"].labels)
        assert counts.max() - counts.min() <= 0.25 * counts.max()  # balanced (ADASYN is approximate)
        assert (splits["val"].groups >= 0).all() and (splits["test"].groups >= 0).all()


def test_leak_free_oversampling_interpolates_training_ecgs_only():
    dataset = tagged_dataset()
    for splits, _ in cv_folds(dataset, protocol="leak-free", folds=3, seed=1):
        train = splits["train"]
        synthetic = train.signals[train.groups < 0]
        assert len(synthetic) > 0
        allowed = set(train.groups[train.groups >= 0].tolist())
        for origin in sources(synthetic):
            assert origin and origin <= allowed, f"synthetic sample made from {origin - allowed}, not training ECGs"


def test_naive_protocol_leaks_copies_and_synthetic_neighbours():
    dataset = tagged_dataset(copies=3)
    folds = cv_folds(dataset, protocol="naive", folds=4, seed=0)
    assert np.mean([report["leaked"] for _, report in folds]) > 0.5
    test_synthetic = np.concatenate([splits["test"].groups for splits, _ in folds])
    assert (test_synthetic < 0).any()  # oversampled before splitting: synthetic samples get tested


def test_folds_are_reproducible_from_the_seed():
    dataset = make_dataset(60, seed=0)
    first = cv_folds(dataset, folds=3, seed=5)
    second = cv_folds(dataset, folds=3, seed=5)
    other = cv_folds(dataset, folds=3, seed=6)
    for (a, _), (b, _) in zip(first, second):
        np.testing.assert_array_equal(a["train"].signals, b["train"].signals)
        np.testing.assert_array_equal(a["test"].groups, b["test"].groups)
    assert any(not np.array_equal(a["test"].groups, c["test"].groups) for (a, _), (c, _) in zip(first, other))


@pytest.mark.parametrize("kwargs, message", [
    (dict(protocol="random"), "protocol must be one of"),
    (dict(folds=1), "folds must be an integer >= 2"),
    (dict(folds=30), "k=30 folds"),
])
def test_cv_folds_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cv_folds(tagged_dataset(), **kwargs)


def test_load_data_names_the_accepted_sources(tmp_path):
    with pytest.raises(ValueError, match="'synthetic' or 'mendeley:PATH'"):
        load_data("ptbxl")
    with pytest.raises(FileNotFoundError, match="no folder"):
        load_data(f"mendeley:{tmp_path / 'missing'}")
    with pytest.raises(ValueError, match="protocol must be one of"):
        load_data("synthetic", protocol="random")
    assert len(load_data("synthetic", n=20)) == 20


def test_load_data_of_an_empty_folder_says_so(tmp_path):
    (tmp_path / "Normal Person ECG Images (284x12=3408)").mkdir()
    with pytest.raises((ValueError, FileNotFoundError), match="(?i)no .*image|empty"):
        load_data(f"mendeley:{tmp_path}")


def test_reproduce_rejects_bad_arguments_before_training(tmp_path):
    with pytest.raises(ValueError, match="models must name"):
        reproduce(models=["ResNet"], out=tmp_path / "a")
    with pytest.raises(ValueError, match="seeds must be"):
        reproduce(seeds=0, out=tmp_path / "b")
    with pytest.raises(ValueError, match="unknown leads"):
        reproduce(leads="V7", models=["1D-CNN"], out=tmp_path / "c", n_synthetic=40, train_config=ONE_EPOCH)


def test_a_folder_spelled_differently_resumes_but_other_settings_are_refused(tmp_path, monkeypatch):
    from ecgkeras.experiment import claim_folder

    data = tmp_path / "images"
    data.mkdir()
    monkeypatch.chdir(tmp_path)
    claim_folder(tmp_path / "out", {"data": f"mendeley:{data}", "folds": 5})
    claim_folder(tmp_path / "out", {"data": "mendeley:images", "folds": 5})  # same folder: accepted
    with pytest.raises(ValueError, match=r"other settings \(folds differ\)"):
        claim_folder(tmp_path / "out", {"data": "mendeley:images", "folds": 3})
    with pytest.raises(ValueError, match=r"data differ"):
        claim_folder(tmp_path / "out", {"data": "mendeley:elsewhere", "folds": 5})


def test_data_is_recorded_without_a_machine_path(tmp_path, monkeypatch):
    from ecgkeras.experiment import portable_data, portable_path

    images = tmp_path / "work" / "shared" / "images"
    images.mkdir(parents=True)
    (tmp_path / "work" / "repo").mkdir()
    monkeypatch.chdir(tmp_path / "work" / "repo")
    monkeypatch.delenv("ECGKERAS_MENDELEY_DIR", raising=False)
    assert portable_data(f"mendeley:{images}") == "mendeley:../shared/images"  # under the parent: relative
    assert portable_data("mendeley:../shared/images") == "mendeley:../shared/images"
    assert portable_data(f"mendeley:{tmp_path / 'far' / 'away' / 'images'}") == "mendeley:images"  # else its name
    assert portable_data("synthetic") == "synthetic"
    assert portable_path(tmp_path / "work" / "repo" / "results" / "run") == "results/run"
    monkeypatch.setenv("ECGKERAS_MENDELEY_DIR", str(images))
    assert portable_data(f"mendeley:{images}") == "mendeley:$ECGKERAS_MENDELEY_DIR"
    assert portable_data("mendeley:../shared/images") == "mendeley:$ECGKERAS_MENDELEY_DIR"
    monkeypatch.setenv("ECGKERAS_MENDELEY_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="no folder .*nowhere"):  # load_data reads the recorded form
        load_data("mendeley:$ECGKERAS_MENDELEY_DIR")


def test_a_folder_recorded_in_the_portable_form_resumes(tmp_path, monkeypatch):
    from ecgkeras.experiment import claim_folder

    images = tmp_path / "shared" / "mendeley-distinct"
    images.mkdir(parents=True)
    (tmp_path / "repo").mkdir()
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("ECGKERAS_MENDELEY_DIR", str(images))
    out = tmp_path / "repo" / "out"
    claim_folder(out, {"data": f"mendeley:{images}", "folds": 5})
    assert json.loads((out / "settings.json").read_text())["data"] == "mendeley:$ECGKERAS_MENDELEY_DIR"
    for spelling in (f"mendeley:{images}", "mendeley:../shared/mendeley-distinct", "mendeley:$ECGKERAS_MENDELEY_DIR"):
        claim_folder(out, {"data": spelling, "folds": 5})  # the same folder: accepted
    monkeypatch.delenv("ECGKERAS_MENDELEY_DIR")
    with pytest.raises(ValueError, match=r"data differ.*ECGKERAS_MENDELEY_DIR, which is not set"):
        claim_folder(out, {"data": f"mendeley:{images}", "folds": 5})

    # An older folder that recorded an absolute path (here: of another machine) resumes, made portable.
    old = tmp_path / "repo" / "old"
    old.mkdir()
    (old / "settings.json").write_text(json.dumps({"data": "mendeley:/elsewhere/shared/mendeley-distinct", "folds": 5}))
    claim_folder(old, {"data": f"mendeley:{images}", "folds": 5})
    assert json.loads((old / "settings.json").read_text()) == {"data": "mendeley:../shared/mendeley-distinct",
                                                               "folds": 5}
    with pytest.raises(ValueError, match=r"data differ"):
        claim_folder(old, {"data": "mendeley:../shared/other", "folds": 5})


def test_predictions_name_files_relative_to_the_data_folder(tmp_path):
    from dataclasses import replace

    from ecgkeras.experiment import _relative_files

    base = make_dataset(8, seed=0)
    root = tmp_path / "images"
    files = tuple(str(root / "Normal" / f"Normal({i}).jpg") for i in range(7)) + ("/elsewhere/HB(1).jpg",)
    dataset = _relative_files(replace(base, files=files, info={"root": str(root)}))
    assert dataset.files == tuple(f"Normal/Normal({i}).jpg" for i in range(7)) + ("HB(1).jpg",)
    assert _relative_files(base) is base  # synthetic data: no files


def _committed_reproduce_commands() -> list[tuple[str, str]]:
    """(folder, command) of every committed ``reproduce`` folder, from the table of results/README.md."""
    return re.findall(r"^\| `([^`]+)` \| `(ecgkeras reproduce [^`]+)` \|$",
                      (REPO / "results" / "README.md").read_text(), flags=re.M)


@pytest.mark.parametrize("folder, command", _committed_reproduce_commands(),
                         ids=[folder for folder, _ in _committed_reproduce_commands()])
def test_a_committed_folder_resumes_with_the_command_the_readme_gives(folder, command, tmp_path, monkeypatch):
    """The command's settings are those its settings.json records (stopped before loading data: no training)."""
    import ecgkeras.experiment

    class Claimed(Exception):
        pass

    def stop(*args, **kwargs):
        raise Claimed

    monkeypatch.setattr(ecgkeras.experiment, "load_data", stop)
    monkeypatch.delenv("ECGKERAS_QUICK", raising=False)  # the committed runs are full mode
    monkeypatch.delenv("ECGKERAS_MENDELEY_DIR", raising=False)
    monkeypatch.chdir(REPO)  # the README's commands run from the repository root
    recorded = (REPO / "results" / folder / "settings.json").read_text()
    copy = tmp_path / folder
    copy.mkdir(parents=True)
    (copy / "settings.json").write_text(recorded)
    args = shlex.split(command)[2:]
    args[args.index("--out") + 1] = str(copy)
    with pytest.raises(Claimed):
        main(["reproduce", *args])
    assert (copy / "settings.json").read_text() == recorded  # already portable: left as it is


#: An absolute path of a machine (not a relative one such as "../shared" or a URL's path).
MACHINE_PATH = re.compile(r"(?<![\w.~/-])/(?:work|tmp|home|root|Users)\b")


def test_committed_results_hold_no_machine_path():
    found = []
    for path in sorted((REPO / "results").rglob("*")):
        if path.suffix in {".md", ".json", ".csv", ".tsv"}:
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if MACHINE_PATH.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}")
        elif path.suffix == ".npz":
            with np.load(path) as arrays:
                files = arrays["files"].tolist() if "files" in arrays.files else []
            found += [f"{path.relative_to(REPO)}: files {name}" for name in files if MACHINE_PATH.search(name)][:1]
    assert found == [], "absolute paths in committed results:\n" + "\n".join(found[:20])


def test_cli_reports_a_missing_path_as_an_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "--data", f"mendeley:{tmp_path / 'nowhere'}", "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert "no folder" in capsys.readouterr().err


def test_summary_of_known_values():
    rows = []
    for fold, (a, b) in enumerate([(0.6, 0.8), (0.8, 0.9)]):
        for model, value in (("1D-CNN", a), ("Hybrid 1", b)):
            for metric in (*METRICS, "majority_baseline"):
                rows.append(dict(data="synthetic", protocol="leak-free", leads="all", model=model, fold=fold,
                                 seed=0, metric=metric, value=0.5 if metric == "majority_baseline" else value))
    results = pd.DataFrame(rows)
    table = summarize(results)
    assert list(table.index) == ["1D-CNN", "Hybrid 1", "Majority class"]
    assert table.loc["1D-CNN", "accuracy mean"] == pytest.approx(0.7)
    assert table.loc["1D-CNN", "accuracy sd"] == pytest.approx(np.std([0.6, 0.8], ddof=1))
    assert table.loc["Majority class", "accuracy mean"] == pytest.approx(0.5)
    assert "| Hybrid 1 | 0.850 ± 0.071" in summary_markdown(results)


def test_plot_runs_shows_every_model_of_every_run():
    import matplotlib

    matplotlib.use("Agg")
    rows = [dict(data="d", protocol=protocol, leads="all", model=model, fold=fold, seed=0, metric=metric,
                 value={"accuracy": 0.6 + 0.1 * fold, "majority_baseline": 0.4}.get(metric, 0.5))
            for protocol in ("naive", "leak-free") for model in ("1D-CNN", "Hybrid 1") for fold in (0, 1)
            for metric in ("accuracy", "macro_f1", "majority_baseline")]
    results = pd.DataFrame(rows)
    runs = {protocol: results[results["protocol"] == protocol] for protocol in ("naive", "leak-free")}
    fig = plot_runs(runs)
    [ax] = fig.axes
    assert [label.get_text() for label in ax.get_yticklabels()] == ["1D-CNN", "Hybrid 1"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["naive", "leak-free"]
    assert len(ax.lines) >= 2  # a majority line per run
    fig.canvas.draw()
    with pytest.raises(ValueError, match="metric must be one of"):
        plot_runs(runs, metric="auc")
    with pytest.raises(ValueError, match="at least one"):
        plot_runs({})


def test_branch_features_are_each_encoders_inference_output():
    from ecgkeras.models import build_model, feature_model

    rng = np.random.default_rng(0)
    test = {"time": rng.normal(size=(300, 250, 12)).astype("float32"),
            "spectrum": rng.normal(size=(300, 126, 12)).astype("float32")}
    model = build_model("1D-CNN", {"time": (250, 12)}, n_classes=4, seed=0)
    features = branch_features(model, {"test": test})  # 300 ECGs: two batches; the spectrum is not its view
    assert list(features) == ["features_time"] and features["features_time"].shape == (300, 64)
    np.testing.assert_allclose(features["features_time"],
                               feature_model(model, "time").predict(test["time"], verbose=0), atol=1e-5)


def test_published_results_says_where_the_command_is(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "repository_root", lambda: tmp_path)
    with pytest.raises(FileNotFoundError, match="results/README.md"):
        published_results("synthetic/never-run")


def test_published_results_reads_a_run_folder_or_a_named_csv(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "repository_root", lambda: tmp_path)
    (tmp_path / "results" / "real" / "run").mkdir(parents=True)
    pd.DataFrame({"model": ["1D-CNN"], "value": [0.5]}).to_csv(tmp_path / "results" / "real" / "run" / "results.csv")
    pd.DataFrame({"variant": ["lead II"]}).to_csv(tmp_path / "results" / "real" / "ablation.csv", index=False)
    assert published_results("real/run")["value"].tolist() == [0.5]
    assert published_results("real/ablation.csv")["variant"].tolist() == ["lead II"]


def test_published_analysis_reads_the_committed_analysis_json(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "repository_root", lambda: tmp_path)
    (tmp_path / "results" / "real" / "run" / "analysis").mkdir(parents=True)
    (tmp_path / "results" / "real" / "run" / "analysis" / "analysis.json").write_text('{"models": ["1D-CNN"]}')
    assert published_analysis("real/run") == {"models": ["1D-CNN"]}
    with pytest.raises(FileNotFoundError, match="results/README.md"):
        published_analysis("real/never-analyzed")


def test_every_committed_analysis_is_one_analyze_wrote():
    """The committed analysis.json files that chapters read in quick mode: complete records."""
    found = sorted((Path(__file__).resolve().parents[1] / "results").glob("*/*/analysis/analysis.json"))
    assert found, "no committed analysis.json under results/"
    for path in found:
        name = f"{path.parents[2].name}/{path.parents[1].name}"
        result = published_analysis(name)
        assert {"settings", "models", "bootstrap", "correlated_t_test", "notes"} <= set(result), name


def test_published_folder_downloads_every_finished_run_outside_a_clone(monkeypatch, tmp_path):
    """Outside a clone (Colab) the folder is fetched file by file from the repository into the cache."""
    import shutil

    import pooch

    from ecgkeras.results import RUN_KEYS

    source = tmp_path / "repository" / "results" / "real" / "run"
    for sub in ("runs", "predictions"):
        (source / sub).mkdir(parents=True)
    (source / "settings.json").write_text("{}")
    rows = [dict(model=m, fold=f, seed=0, metric="accuracy", value=0.5) for m in ("1D-CNN", "Hybrid 1") for f in (0, 1)]
    pd.DataFrame(rows).to_csv(source / "results.csv", index=False)
    for row in rows:
        stem = run_name(row["model"], row["fold"], 0)
        run = dict.fromkeys(RUN_KEYS, 0) | {"model": row["model"], "fold": row["fold"], "seed": 0}
        (source / "runs" / f"{stem}.json").write_text(json.dumps(run))
        np.savez(source / "predictions" / f"{stem}.npz", labels=np.zeros(2))
    fetched = []

    def retrieve(url, known_hash, path, fname, progressbar):
        relative = url.split(f"/raw/{config.BRANCH}/results/")[1]
        fetched.append(relative)
        Path(path).mkdir(parents=True, exist_ok=True)
        return shutil.copy(tmp_path / "repository" / "results" / relative, Path(path) / fname)

    monkeypatch.setattr(config, "repository_root", lambda: None)
    monkeypatch.setenv("ECGKERAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(pooch, "retrieve", retrieve)
    folder = published_folder("real/run")
    assert folder == tmp_path / "cache" / "results" / "real" / "run"
    assert len(fetched) == 2 + 2 * 4  # results.csv, settings.json, a run file and predictions per run
    assert sorted(p.name for p in (folder / "runs").iterdir()) == sorted(
        f"{run_name(m, f, 0)}.json" for m in ("1D-CNN", "Hybrid 1") for f in (0, 1))
    assert len(finished_runs(folder)) == 4


def test_published_folder_in_a_clone_is_the_folder_itself(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "repository_root", lambda: tmp_path)
    folder = tmp_path / "results" / "real" / "run"
    (folder / "runs").mkdir(parents=True)
    (folder / "settings.json").write_text("{}")
    pd.DataFrame([dict(model="1D-CNN", fold=0, seed=0, metric="accuracy", value=0.5)]).to_csv(
        folder / "results.csv", index=False)
    with pytest.raises(FileNotFoundError,
                       match="1d_cnn_fold0_seed0.json not found in this clone; see results/README.md"):
        published_folder("real/run")
    (folder / "runs" / "1d_cnn_fold0_seed0.json").write_text("{}")
    (folder / "predictions").mkdir()
    np.savez(folder / "predictions" / "1d_cnn_fold0_seed0.npz", labels=np.zeros(2))
    assert published_folder("real/run") == folder


def test_repository_url_is_the_one_in_the_book_config():
    book_config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config.REPOSITORY == book_config["repository"]["url"]
    assert config.BRANCH == book_config["repository"]["branch"]


@pytest.mark.slow  # about 2-3 minutes on a 2-core CPU: 7 models x 2 folds, one epoch each
def test_reproduce_trains_all_seven_models_and_resumes(tmp_path):
    out = tmp_path / "run"
    results = reproduce("synthetic", folds=2, out=out, n_synthetic=60, train_config=ONE_EPOCH, progress=False)
    assert set(results["model"]) == set(MODEL_SPECS)
    assert len(results.query("metric == 'accuracy'")) == 7 * 2
    assert results.query("metric in @METRICS")["value"].between(0, 1).all()
    assert (out / "summary.md").read_text().count("\n|") == 2 + 7 + 1  # header, rule, 7 models, baseline
    assert (out / "summary.png").stat().st_size > 0
    stored = pd.read_csv(out / "results.csv")
    assert len(stored) == len(results)
    predictions = np.load(out / "predictions" / "hybrid_2_fold1_seed0.npz")
    n_test = len(predictions["labels"])
    assert predictions["probabilities"].shape == (n_test, 4)
    assert {predictions[f"features_{view}"].shape[0] for view in ("time", "scalogram", "spectrum")} == {n_test}
    run = json.loads((out / "runs" / "1d_cnn_fold0_seed0.json").read_text())
    assert run["leaked"] == 0.0 and len(run["history"]["loss"]) == 1
    # What made the run is in the run file, not in settings.json (which decides resuming).
    environment = run["environment"]
    assert environment["code_version"] == "unknown" or re.fullmatch(
        r"[0-9a-f]{40}(\+modified)?", environment["code_version"])
    assert environment["packages"]["keras"] == keras.__version__
    assert "environment" not in json.loads((out / "settings.json").read_text())

    # A rerun trains nothing: every run file is kept as it was.
    stamps = {path.name: path.stat().st_mtime_ns for path in (out / "runs").iterdir()}
    again = reproduce("synthetic", folds=2, out=out, n_synthetic=60, train_config=ONE_EPOCH, progress=False)
    assert {path.name: path.stat().st_mtime_ns for path in (out / "runs").iterdir()} == stamps
    pd.testing.assert_frame_equal(again.reset_index(drop=True), results.reset_index(drop=True))

    # An interrupted run leaves at most a hidden .partial file, which a rerun ignores and redoes.
    (out / "runs" / "1d_cnn_fold0_seed0.json").rename(out / "runs" / ".1d_cnn_fold0_seed0.json.partial")
    reproduce("synthetic", folds=2, out=out, n_synthetic=60, train_config=ONE_EPOCH, progress=False,
              models=["1D-CNN"])
    assert (out / "runs" / "1d_cnn_fold0_seed0.json").exists()
    assert len(read_results(out).query("metric == 'accuracy'")) == 7 * 2

    # An emptied run file and a cut-short predictions file are named, set aside and redone;
    # the other runs are kept as they were.
    (out / "runs" / "1d_cnn_fold1_seed0.json").write_text("")
    predictions_file = out / "predictions" / "2d_cnn_fold0_seed0.npz"
    predictions_file.write_bytes(predictions_file.read_bytes()[:100])
    stamps = {path.name: path.stat().st_mtime_ns for path in (out / "runs").glob("hybrid_*.json")}
    with pytest.warns(UserWarning, match="1d_cnn_fold1_seed0: redone") as caught:
        reproduce("synthetic", folds=2, out=out, n_synthetic=60, train_config=ONE_EPOCH, progress=False)
    assert any("2d_cnn_fold0_seed0: redone" in str(warning.message) for warning in caught)
    assert (out / "runs" / "1d_cnn_fold1_seed0.json.broken").exists()
    assert (out / "predictions" / "2d_cnn_fold0_seed0.npz.broken").exists()
    assert json.loads((out / "runs" / "1d_cnn_fold1_seed0.json").read_text())["model"] == "1D-CNN"
    assert {path.name: path.stat().st_mtime_ns for path in (out / "runs").glob("hybrid_*.json")} == stamps
    assert len(read_results(out).query("metric == 'accuracy'")) == 7 * 2

    with pytest.raises(ValueError, match="other settings .*folds"):
        reproduce("synthetic", folds=3, out=out, n_synthetic=60, train_config=ONE_EPOCH)


def test_cli_reproduce_prints_the_table_time_and_memory(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ECGKERAS_QUICK", "1")  # restored after the test (--quick sets it too)
    out = tmp_path / "cli"
    assert main(["reproduce", "--quick", "--folds", "2", "--models", "1D-CNN", "--n", "40", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| 1D-CNN |" in printed and "| Majority class |" in printed
    assert "peak memory" in printed and (out / "results.csv").exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "--models", "ResNet", "--out", str(tmp_path / "other")])
    assert exit_info.value.code == 2 and "models must name" in capsys.readouterr().err


def test_published_file_without_clone_or_network_says_what_to_do(monkeypatch, tmp_path):
    from ecgkeras import config
    from ecgkeras.experiment import PublishedResultsUnavailable, published_file

    monkeypatch.setattr(config, "repository_root", lambda: None)
    monkeypatch.setattr(config, "REPOSITORY", "http://127.0.0.1:9/ecgkeras")
    monkeypatch.setenv("ECGKERAS_CACHE_DIR", str(tmp_path))
    with pytest.raises(PublishedResultsUnavailable) as failure:
        published_file("synthetic/leak-free-12-leads/results.csv")
    message = str(failure.value)
    assert isinstance(failure.value, FileNotFoundError)  # chapters 7 and 8 catch FileNotFoundError
    for part in ("results/synthetic/leak-free-12-leads/results.csv", "clone", "ECGKERAS_CACHE_DIR",
                 "http://127.0.0.1:9/ecgkeras/raw/main/results/"):
        assert part in message
    cached = tmp_path / "results" / "synthetic" / "leak-free-12-leads" / "results.csv"
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text("model,fold\n")
    assert published_file("synthetic/leak-free-12-leads/results.csv") == cached  # no download needed


def test_train_and_evaluate_trains_a_model_built_on_the_page(tmp_path):
    """Chapters 5-8 pass the model their cells built; its inputs must be named after views."""
    import keras

    from ecgkeras.experiment import split_views, train_and_evaluate
    from ecgkeras.models import build_model

    (splits, _), *_ = cv_folds(make_dataset(80, seed=0), protocol="leak-free", folds=3, seed=0)
    views = split_views(splits, views=("time",))
    model = build_model("1D-CNN", {"time": views["train"]["time"].shape[1:]}, seed=0)
    result = train_and_evaluate(model, splits, views, train_config=ONE_EPOCH, seed=0)
    assert result.model is model and result.probabilities.shape == (len(splits["test"]), 4)
    with pytest.raises(ValueError, match="apply only when a model name is given"):
        train_and_evaluate(model, splits, views, train_config=ONE_EPOCH, dropout=0.5)
    signal = keras.Input((250, 12), name="signal")
    pooled = keras.layers.GlobalAveragePooling1D()(signal)
    unnamed = keras.Model(signal, keras.layers.Dense(4, activation="softmax")(pooled))
    with pytest.raises(ValueError, match=r"inputs \['signal'\] that are not views"):
        train_and_evaluate(unnamed, splits, views, train_config=ONE_EPOCH)


def test_the_runs_the_chapters_read_are_committed_complete_and_listed():
    """PUBLISHED_RUNS, the registry the chapters read, and the committed folders agree both ways."""
    listed = dict(_committed_reproduce_commands())
    for title, name in PUBLISHED_RUNS.items():
        folder = REPO / "results" / name
        assert name in listed, f"{title!r}: {name} has no command in results/README.md"
        for part in ("settings.json", "results.csv", "analysis/analysis.json"):
            assert (folder / part).is_file(), f"{title!r}: results/{name}/{part} is not committed"
        command = shlex.split(listed[name])
        folds, seeds = (int(command[command.index(option) + 1]) for option in ("--folds", "--seeds"))
        finished = {(run["model"], run["fold"], run["seed"]) for run in finished_runs(folder)}
        assert len(finished) == len(MODEL_SPECS) * folds * seeds, \
            f"{title!r}: results/{name} is not finished ({len(finished)} runs)"
        assert len(published_results(name).drop_duplicates(["model", "fold", "seed"])) == len(finished), \
            f"{title!r}: results/{name}/results.csv does not hold every finished run"
        analysed = published_analysis(name)
        assert sorted(analysed["folds"]) == [str(seed) for seed in range(seeds)], \
            f"{title!r}: the analysis.json of results/{name} does not cover every seed; rerun ecgkeras analyze"
    committed = {f"{path.parent.parent.name}/{path.parent.name}"
                 for path in (REPO / "results").glob("*/*/settings.json")}
    assert committed <= set(PUBLISHED_RUNS.values()) | set(listed), \
        "a committed folder has no command in results/README.md"


def test_readme_result_tables_are_those_of_the_committed_runs():
    """README.md's tables of the real-image runs are printed from the folders, never typed."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(REPO / "tools" / "readme_results.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("bad", [{"leads": "V7"}, {"leads": "lead II"}])
def test_bad_arguments_do_not_claim_the_folder(tmp_path, bad):
    """Issue 15: a failed input check used to write settings.json first, so the corrected command was refused."""
    arguments = {"data": "synthetic", "leads": "all"} | bad
    with pytest.raises((ValueError, FileNotFoundError), match="unknown leads|no folder|data must be"):
        reproduce(arguments["data"], leads=arguments["leads"], folds=2, out=tmp_path / "run")
    assert not (tmp_path / "run" / "settings.json").exists()
