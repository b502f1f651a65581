"""Where does the 1D-CNN's score on the real images come from? One change at a time, leak-free.

The same 5 group-aware folds (seed 0) of the distinct images, the 1D-CNN, full training settings;
one row per input or training choice. Writes a tidy CSV and a markdown table.

Usage (a few minutes on a 2-core CPU):
    .venv/bin/python tools/ablation_time_model.py ../shared/data/mendeley-distinct \
        results/mendeley-distinct/ablation-1d-cnn
"""

import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from ecgkeras.data.digitize import study_signal
from ecgkeras.evaluate import evaluate_predictions
from ecgkeras.experiment import cv_folds, load_data, split_views, train_and_evaluate
from ecgkeras.train import TrainConfig

CONFIG = TrainConfig(verbose=0)


def page_dataset(dataset):
    """The study's signal (vertical average of the whole page, 1000 points) in place of the leads."""
    signals = np.stack([study_signal(path) for path in dataset.files])[:, :, None]
    return replace(dataset, signals=signals, rhythm=None, lead_names=("page",))


def scores(dataset, *, balance="adasyn", seeds=(0,), **model_options):
    """Accuracy and macro F1 per fold; with several seeds, their averaged probabilities are scored."""
    rows = []
    for splits, report in cv_folds(dataset, protocol="leak-free", folds=5, seed=0, balance=balance):
        views = split_views(splits, views=("time",))
        probabilities = np.mean([
            train_and_evaluate("1D-CNN", splits, views, train_config=CONFIG, seed=100 * seed + report["fold"],
                               **model_options).probabilities
            for seed in seeds], axis=0)
        metrics = evaluate_predictions(splits["test"].labels, probabilities, splits["test"].class_names)
        rows.append({"fold": report["fold"], "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"]})
        print(f"  fold {report['fold']}: accuracy {metrics['accuracy']:.3f}, macro F1 {metrics['macro_f1']:.3f}",
              flush=True)
    return rows


def main(data_dir: str, out: str) -> None:
    dataset = load_data(f"mendeley:{data_dir}")
    variants = {
        "study's signal: vertical average of the page": (page_dataset(dataset), {}),
        "lead II (2.5 s)": (dataset.select_leads(("II",)), {}),
        "12 leads, no oversampling (class-weighted loss only)": (dataset, {"balance": None}),
        "12 leads (the book's 1D-CNN)": (dataset, {}),
        "12 leads, dropout 0.5": (dataset, {"dropout": 0.5}),
        "12 leads, mean of 3 seeds (ensemble)": (dataset, {"seeds": (0, 1, 2)}),
    }
    rows = []
    for name, (data, options) in variants.items():
        print(name, flush=True)
        rows += [{"variant": name, **row} for row in scores(data, **options)]
    table = pd.DataFrame(rows)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(f"{out}.csv", index=False)
    summary = table.groupby("variant", sort=False)[["accuracy", "macro_f1"]].agg(["mean", "std"])
    lines = ["| 1D-CNN input or training choice (leak-free, 5 folds) | accuracy | macro F1 |", "|---|---|---|"]
    for name, row in summary.iterrows():
        lines.append(f"| {name} | {row[('accuracy', 'mean')]:.3f} ± {row[('accuracy', 'std')]:.3f} "
                     f"| {row[('macro_f1', 'mean')]:.3f} ± {row[('macro_f1', 'std')]:.3f} |")
    Path(f"{out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:3])
