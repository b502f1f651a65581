"""Where one fold of `ecgkeras reproduce` spends its time (the profile of issue 13).

Synthetic default data (800 ECGs, 3 folds), fold 0, seed 0, all seven models in full mode;
prints each model's epochs and seconds, then totals in seconds: views, model building, first
epochs (tracing), later epochs, branch features, saving.

    python tools/profile_reproduce_fold.py
"""

import time
import collections
import keras
import ecgkeras.experiment as ex
from ecgkeras.environment import run_provenance
from ecgkeras.results import save_run
from ecgkeras.train import TrainConfig

T = collections.defaultdict(float)


def timed(mod, name, key):
    f = getattr(mod, name)

    def w(*a, **k):
        t = time.perf_counter()
        r = f(*a, **k)
        T[key] += time.perf_counter() - t
        return r

    setattr(mod, name, w)


timed(ex, "split_views", "views")
timed(ex, "branch_features", "branch_features")
import ecgkeras.models as M  # noqa: E402 (after the patches above)

timed(M, "build_model", "build")


class EpochTimes(keras.callbacks.Callback):
    def on_epoch_begin(self, e, logs=None):
        self.t = time.perf_counter()

    def on_epoch_end(self, e, logs=None):
        d = time.perf_counter() - self.t
        T["epoch1" if e == 0 else "epochs2+"] += d
        T["n_epochs"] += 1


orig_fit = keras.Model.fit


def fit(self, *a, callbacks=None, **k):
    t = time.perf_counter()
    r = orig_fit(self, *a, callbacks=(callbacks or []) + [EpochTimes()], **k)
    T["model.fit"] += time.perf_counter() - t
    return r


keras.Model.fit = fit
ds = ex.load_data("synthetic", n=800)
t0 = time.perf_counter()
splits, report = ex.cv_folds(ds, folds=3, seed=0)[0]
T["cv_folds"] = time.perf_counter() - t0
views = ex.split_views(splits)
provenance = run_provenance()
import tempfile  # noqa: E402 (after the patches above)
import pathlib  # noqa: E402 (after the patches above)

out = pathlib.Path(tempfile.mkdtemp())
(out / "predictions").mkdir()
(out / "runs").mkdir()
for name in M.MODEL_SPECS:
    t = time.perf_counter()
    r = ex.train_and_evaluate(name, splits, views, train_config=TrainConfig(verbose=0), seed=0)
    T["train_and_evaluate"] += time.perf_counter() - t
    t = time.perf_counter()
    save_run(out, name, 0, 0, r, splits, ex.branch_features(r.model, views), report, provenance)
    T["save_run"] += time.perf_counter() - t
    print(name, len(r.history["loss"]), "epochs", round(r.seconds, 1), "s", flush=True)
    keras.utils.clear_session()
T["total"] = time.perf_counter() - t0
print({k: round(v, 1) for k, v in T.items()})
