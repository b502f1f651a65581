"""Calibrate DEFAULT_DIFFICULTY: a small 12-lead 1D-CNN trained on make_dataset(2000, seed=0),
tested on make_dataset(1000, seed=1), at several difficulties; plus lead II alone.

Usage: .venv/bin/python tools/calibrate_difficulty.py [difficulty ...] [--lead-ii] [--seeds K]
The README's numbers: calibrate_difficulty.py --seeds 3 (grid) and calibrate_difficulty.py 0.5 --lead-ii --seeds 3.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import keras
from keras import layers
from sklearn.metrics import confusion_matrix

from ecgkeras.data.synthetic import DEFAULT_DIFFICULTY, make_dataset


def standardise(x):
    return (x - x.mean(axis=(1, 2), keepdims=True)) / (x.std(axis=(1, 2), keepdims=True) + 1e-6)


BLOCKS = ((32, 7), (64, 5), (64, 5))


def make_model(input_shape, classes=4):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters, kernel in BLOCKS:
        x = layers.Conv1D(filters, kernel, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling1D(2)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def run(difficulty, leads, epochs, seed=0):
    t0 = time.perf_counter()
    train = make_dataset(2000, seed=0, difficulty=difficulty)
    test = make_dataset(1000, seed=1, difficulty=difficulty)
    t_data = time.perf_counter() - t0
    x_train, x_test = standardise(train.signals[..., leads]), standardise(test.signals[..., leads])
    keras.utils.set_random_seed(seed)
    model = make_model(x_train.shape[1:])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=8, restore_best_weights=True)
    t0 = time.perf_counter()
    history = model.fit(x_train, train.labels, validation_split=0.2, epochs=epochs, batch_size=32,
                        callbacks=[stop], verbose=0)
    t_fit = time.perf_counter() - t0
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    accuracy = float((predicted == test.labels).mean())
    return accuracy, predicted, test.labels, len(history.history["loss"]), t_data, t_fit


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("difficulties", nargs="*", type=float, default=[0.0, 0.25, DEFAULT_DIFFICULTY, 0.75, 1.0])
    parser.add_argument("--lead-ii", action="store_true", help="also train on lead II alone")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=1, help="training seeds 0..k-1 per setting (mean reported)")
    parser.add_argument("--confusion", action="store_true", help="print every confusion matrix")
    args = parser.parse_args()
    for difficulty in args.difficulties:
        setups = [("12 leads", list(range(12)))] + ([("lead II", [1])] if args.lead_ii else [])
        for name, leads in setups:
            scores = []
            for seed in range(args.seeds):
                accuracy, predicted, truth, epochs, t_data, t_fit = run(difficulty, leads, args.epochs, seed)
                scores.append(accuracy)
                print(f"difficulty {difficulty:.2f} {name:8s} seed {seed}: test accuracy {accuracy:.3f} "
                      f"({epochs} epochs, data {t_data:.1f} s, fit {t_fit:.1f} s)", flush=True)
                if args.confusion or (difficulty == DEFAULT_DIFFICULTY and seed == 0):
                    print("confusion (rows true N, HB, MI, PMI; columns predicted):")
                    print(confusion_matrix(truth, predicted), flush=True)
            print(f"==> difficulty {difficulty:.2f} {name:8s}: mean test accuracy {np.mean(scores):.3f} "
                  f"(min {min(scores):.3f}, max {max(scores):.3f}, {len(scores)} seeds)", flush=True)
