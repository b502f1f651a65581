"""The 2D-CNN with 64x64 against 32x32 scalograms on the real images (issue 13).

Leak-free, 12 leads, 5 folds for each seed given; both sizes on the same folds, weight seeds and
oversampling. Prints one JSON line per run (accuracy, macro F1, seconds, epochs).

    python tools/scalogram_size_experiment.py ../shared/data/mendeley-distinct 0,1 [model]
"""
import sys
import json
import keras
from ecgkeras.experiment import load_data, cv_folds, train_and_evaluate
from ecgkeras.views import make_views
from ecgkeras.train import TrainConfig
folder, seeds = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
model = sys.argv[3] if len(sys.argv) > 3 else "2D-CNN"
ds = load_data(f"mendeley:{folder}", protocol="leak-free")
rows = []
for seed in seeds:
    for splits, report in cv_folds(ds, protocol="leak-free", folds=5, seed=seed):
        fold = report["fold"]
        for size in (64, 32):
            views = {name: make_views(part.signals, fs=part.fs, scalogram=dict(size=(size, size)))
                     for name, part in splits.items()}
            r = train_and_evaluate(model, splits, views, train_config=TrainConfig(verbose=0), seed=1000 * seed + fold)
            rows.append(dict(seed=seed, fold=fold, size=size, accuracy=r.metrics["accuracy"],
                             macro_f1=r.metrics["macro_f1"], seconds=r.seconds, epochs=len(r.history["loss"])))
            print(json.dumps(rows[-1]), flush=True)
            keras.utils.clear_session()
