"""The data every model chapter starts from: the synthetic default, its first leak-free fold, views.

Chapters 4-8 and 11 begin with the same steps, each taught earlier: load the synthetic data set
(chapter 1), split it into five leak-free folds with the training split oversampled (chapter 3),
take the first fold and compute the views its models need (chapter 2). :func:`first_fold` does
them in one place, so the chapters cannot drift apart, and prints what a reader should check.
"""

from __future__ import annotations

import textwrap
import time
from dataclasses import dataclass

import numpy as np

from ecgkeras import config
from ecgkeras.data.dataset import ECGDataset
from ecgkeras.views import VIEW_NAMES, view_names


@dataclass
class ChapterFold:
    """What :func:`first_fold` returns.

    Attributes:
        dataset: the whole synthetic data set, signals float32 (n, samples, leads) in mV.
        splits: ``{"train", "val", "test"}`` datasets of fold 0 (train oversampled).
        report: the fold's report from ``ecgkeras.experiment.cv_folds`` (sizes, leak, oversampling).
        views: ``{split: {view: float32 array}}`` (``ecgkeras.experiment.split_views``); empty when
            no views were asked for.
        class_names: the four class names, in label order.
    """

    dataset: ECGDataset
    splits: dict[str, ECGDataset]
    report: dict
    views: dict[str, dict[str, np.ndarray]]
    class_names: list[str]


def first_fold(views=VIEW_NAMES, *, n: int | None = None, folds: int = 5, seed: int = 0,
               show: bool = True) -> ChapterFold:
    """The synthetic data set, fold 0 of its leak-free cross-validation, and that fold's views.

    Chapters 4-8 and 11 start here. The same as ``load_data("synthetic", n=n)``, then
    ``cv_folds(dataset, protocol="leak-free", folds=folds, seed=seed)[0]`` and
    ``split_views(splits, views)`` (all in ``ecgkeras.experiment``).

    Args:
        views: names of the views to compute ("time", "scalogram", "spectrum"); ``()`` for none.
        n: synthetic ECGs; None takes the mode's size (``ecgkeras.config.SYNTHETIC_SIZE``:
            160 in quick mode, 800 in full mode).
        folds: k of the k-fold split (the study's 5).
        seed: seed of the data and the folds.
        show: print the sizes, the leak check, the oversampling and the views' shapes.

    Returns:
        a :class:`ChapterFold`.
    """
    from ecgkeras.experiment import cv_folds, load_data, split_views

    views = view_names(views)  # checked before the data are made
    dataset = load_data("synthetic", n=n, seed=seed)
    splits, report = cv_folds(dataset, protocol="leak-free", folds=folds, seed=seed)[0]
    start = time.perf_counter()
    inputs = split_views(splits, views=views) if views else {}
    seconds = time.perf_counter() - start
    if show:
        balance = report["oversampling"]
        print(f"{len(dataset)} synthetic ECGs ({config.mode()} mode): signals "
              f"{dataset.signals.shape} (n, samples, leads)")
        print(f"leak-free fold 0 of {folds}: sizes {report['sizes']}")
        print(f"test ECGs also in training: {report['leaked']:.0%}")
        print(textwrap.fill(f"training split: {balance['message']}", 77))
        print("after oversampling, per class:", list(balance["after"].values()))
        for view, array in inputs.get("train", {}).items():
            print(f"{view} view: training inputs {array.shape}")
        if inputs:
            print(f"views computed in {seconds:.1f} s")
    return ChapterFold(dataset=dataset, splits=splits, report=report, views=inputs,
                       class_names=list(dataset.class_names))
