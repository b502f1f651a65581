"""``ecgkeras.results``: the one home of the results folder's names and of its atomic writes."""

from __future__ import annotations

import pytest

import ecgkeras.experiment
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
