"""ecgkeras.chapter_data.first_fold: the model chapters' shared start is the steps it replaces."""

import numpy as np
import pytest

from ecgkeras.chapter_data import first_fold
from ecgkeras.experiment import cv_folds, load_data, split_views


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setenv("ECGKERAS_QUICK", "1")


def test_first_fold_is_the_steps_it_replaces(capsys):
    fold = first_fold(views=("spectrum",), n=120)
    dataset = load_data("synthetic", n=120)
    splits, report = cv_folds(dataset, protocol="leak-free", folds=5, seed=0)[0]
    views = split_views(splits, views=("spectrum",))
    assert np.array_equal(fold.dataset.signals, dataset.signals)
    for name in ("train", "val", "test"):
        assert np.array_equal(fold.splits[name].signals, splits[name].signals)
        assert np.array_equal(fold.splits[name].labels, splits[name].labels)
        assert np.array_equal(fold.views[name]["spectrum"], views[name]["spectrum"])
    assert list(fold.views["train"]) == ["spectrum"]
    assert fold.report["sizes"] == report["sizes"] and fold.report["leaked"] == 0
    assert fold.class_names == list(dataset.class_names)
    printed = capsys.readouterr().out
    assert "120 synthetic ECGs (quick mode)" in printed and "leak-free fold 0 of 5" in printed
    assert "test ECGs also in training: 0%" in printed
    assert f"spectrum view: training inputs {views['train']['spectrum'].shape}" in printed


def test_the_mode_sets_the_size_and_views_can_be_none(capsys):
    fold = first_fold(views=(), show=False)
    assert len(fold.dataset) == 160 and fold.views == {}  # quick mode's SYNTHETIC_SIZE
    assert capsys.readouterr().out == ""


def test_unknown_views_are_refused():
    with pytest.raises(ValueError, match=r"unknown views \['scalograms'\]"):
        first_fold(views=("scalograms",))
