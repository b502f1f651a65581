"""Seconds per epoch of one model under variants of Keras's compile/fit (the profile of issue 13).

Synthetic default data (800 ECGs), fold 0 of 3, seed 0; 5 epochs of each variant, one after
the other in one process; prints the best later epoch, the first epoch (tracing) and the losses,
so that equal results can be checked. Variants (comma-separated): "base" (validation and class
weights, as ecgkeras.train.fit), "spe" (steps_per_execution=32), "jit" (jit_compile=True),
"bf16" (the mixed_bfloat16 dtype policy).

    python tools/profile_fit_variants.py 2D-CNN base,spe,jit,bf16,base
"""
import sys
import time

import keras

from ecgkeras.experiment import cv_folds, input_shapes, load_data, split_views
from ecgkeras.models import MODEL_SPECS, build_model
from ecgkeras.train import balanced_class_weights

model_name, variants = sys.argv[1], sys.argv[2].split(",")
splits, _ = cv_folds(load_data("synthetic", n=800), folds=3, seed=0)[0]
views = split_views(splits)
inputs = {name: {view: views[name][view] for view in MODEL_SPECS[model_name][0]} for name in views}
labels = {name: part.labels for name, part in splits.items()}


class EpochSeconds(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


for variant in variants:
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16" if variant == "bf16" else "float32")
    model = build_model(model_name, input_shapes(views), n_classes=4, seed=0)
    keras.utils.set_random_seed(0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=32 if variant == "spe" else 1,
                  jit_compile=variant == "jit")
    timer = EpochSeconds()
    history = model.fit(inputs["train"], labels["train"], validation_data=(inputs["val"], labels["val"]),
                        epochs=5, batch_size=32, class_weight=balanced_class_weights(labels["train"], 4),
                        callbacks=[timer], verbose=0)
    print(f"{model_name} {variant:5s} best later epoch {min(timer.seconds[1:]):.3f} s, first "
          f"{timer.seconds[0]:.2f} s; loss {[round(v, 5) for v in history.history['loss']]}", flush=True)
