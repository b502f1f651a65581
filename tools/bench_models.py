"""Seconds per epoch of the seven models: 2000 random samples, batch 32, this CPU (2nd epoch timed).

Usage: .venv/bin/python tools/bench_models.py
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import keras
from ecgkeras.models import MODEL_SPECS, build_model

SHAPES = {"time": (250, 12), "scalogram": (64, 64, 12), "spectrum": (126, 12)}
rng = np.random.default_rng(0)
X = {v: rng.standard_normal((2000, *s)).astype("float32") for v, s in SHAPES.items()}
y = rng.integers(0, 4, 2000)
Xv = {v: x[:200] for v, x in X.items()}


class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.t)


for name, (views, _) in MODEL_SPECS.items():
    m = build_model(name, SHAPES, seed=0)
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = Timer()
    timer.times = []
    m.fit({v: X[v] for v in views}, y, batch_size=32, epochs=2, verbose=0, callbacks=[timer])
    print(
        f"{name:18s} params {m.count_params():>8,d}  epoch1 {timer.times[0]:5.1f} s  epoch2 {timer.times[1]:5.1f} s",
        flush=True,
    )
print("load average", os.getloadavg())
