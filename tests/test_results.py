"""``ecgkeras.results``: the one home of the results folder's names and of its atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ecgkeras.results import atomic_file, model_slug, run_name, write_text_atomically


def test_a_run_is_named_after_the_model_slug():
    assert model_slug("Hybrid 1") == "hybrid_1"
    assert model_slug("CNN-Transformer") == "cnn_transformer"
    assert run_name("Attention fusion", 2, 3) == "attention_fusion_fold2_seed3"


def test_an_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "settings.json"
    write_text_atomically(path, "old ±")
    write_text_atomically(path, "new ±")
    assert path.read_text(encoding="utf-8") == "new ±"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]  # no temporary file is left


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "summary.png"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_file(path) as file:
        file.write(b"half")
        raise RuntimeError("interrupted")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.png"]


def test_two_writers_of_one_file_use_different_temporary_files(tmp_path):
    path = tmp_path / "analysis.json"
    with atomic_file(path) as first, atomic_file(path) as second:
        assert first.name != second.name
        first.write(b"first")
        second.write(b"second")
    assert path.read_bytes() in (b"first", b"second")


def test_the_results_names_stay_importable_from_experiment():
    """Readers' notebooks import these from ``ecgkeras.experiment``."""
    import ecgkeras.plot
    import ecgkeras.results

    for name in ("PUBLISHED_RUNS", "PublishedResultsUnavailable", "published_file", "published_results",
                 "published_folder", "published_analysis", "portable_path", "portable_data", "finished_runs",
                 "read_results", "summarize", "summary_markdown", "run_name", "METRICS"):
        assert getattr(ecgkeras.experiment, name) is getattr(ecgkeras.results, name), name
    for name in ("plot_summary", "plot_runs"):
        assert getattr(ecgkeras.experiment, name) is getattr(ecgkeras.plot, name), name


# --- broken run and predictions files (issue 15) ----------------------------------------------

def _finished_run(out, name="1d_cnn_fold0_seed0"):
    from ecgkeras.results import RUN_KEYS
    (out / "runs").mkdir(parents=True)
    (out / "predictions").mkdir()
    (out / "runs" / f"{name}.json").write_text(json.dumps(dict.fromkeys(RUN_KEYS, 0)))
    np.savez(out / "predictions" / f"{name}.npz", labels=np.zeros(3, int), probabilities=np.ones((3, 4)) / 4,
             groups=np.arange(3))


@pytest.mark.parametrize("text, problem", [("", "not a readable run file"), ('{"model": "1D-CNN"', "not a readable"),
                                           ('{"model": "1D-CNN"}', "run file without")])
def test_a_broken_run_file_is_named(tmp_path, text, problem):
    from ecgkeras.results import BrokenRunFile, finished_runs, read_run
    _finished_run(tmp_path)
    path = tmp_path / "runs" / "1d_cnn_fold0_seed0.json"
    path.write_text(text)
    with pytest.raises(BrokenRunFile, match=f"1d_cnn_fold0_seed0.json: {problem}.*rerun the same"):
        read_run(path)
    with pytest.raises(BrokenRunFile, match="1d_cnn_fold0_seed0.json"):
        finished_runs(tmp_path)


def test_a_broken_predictions_file_is_named(tmp_path):
    from ecgkeras.results import BrokenRunFile, read_predictions
    _finished_run(tmp_path)
    path = tmp_path / "predictions" / "1d_cnn_fold0_seed0.npz"
    assert set(read_predictions(path)) == {"labels", "probabilities", "groups"}
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(BrokenRunFile, match="1d_cnn_fold0_seed0.npz: not a readable predictions file"):
        read_predictions(path)
    np.savez(path, labels=np.zeros(3, int))
    with pytest.raises(BrokenRunFile, match=r"without \['probabilities', 'groups'\]"):
        read_predictions(path)


def test_run_is_finished_sets_broken_files_aside(tmp_path):
    from ecgkeras.results import run_is_finished
    _finished_run(tmp_path)
    assert run_is_finished(tmp_path, "1D-CNN", 0, 0)
    assert not run_is_finished(tmp_path, "2D-CNN", 0, 0)  # never started
    (tmp_path / "predictions" / "1d_cnn_fold0_seed0.npz").unlink()
    with pytest.warns(UserWarning, match="1d_cnn_fold0_seed0: redone"):
        assert not run_is_finished(tmp_path, "1D-CNN", 0, 0)
    assert (tmp_path / "runs" / "1d_cnn_fold0_seed0.json.broken").exists()
    assert not (tmp_path / "runs" / "1d_cnn_fold0_seed0.json").exists()
