"""Training: one ``fit`` for every model of the book, with the same callbacks and settings.

Chapter 4 (training the models). Every choice made while training (epochs, learning rate, when
to stop) looks at the validation split only; the test split is kept for the reported numbers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import keras
import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from ecgkeras.config import is_quick


@dataclass
class TrainConfig:
    """Settings of :func:`fit`. ``TrainConfig()`` is the full mode; ``TrainConfig.quick()`` the quick one.

    Attributes:
        epochs: most epochs to train (early stopping usually ends sooner).
        batch_size: samples per gradient step.
        learning_rate: Adam's initial learning rate.
        patience: epochs without a lower validation loss before stopping (best weights are restored).
        reduce_lr_patience: epochs without a lower validation loss before the learning rate shrinks.
        reduce_lr_factor: factor (0..1) applied to the learning rate on a plateau.
        min_lr: the learning rate never goes below this.
        class_weight: weight the loss by inverse class frequency ("balanced"), so that rare classes
            count as much as common ones.
        verbose: 0 silent, 1 Keras's progress bar, 2 a compact log: one line every few epochs,
            at most about a dozen in all (:class:`EpochLog`; best in notebooks and on the book's pages).
    """

    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 1e-3
    patience: int = 8
    reduce_lr_patience: int = 4
    reduce_lr_factor: float = 0.5
    min_lr: float = 1e-5
    class_weight: bool = True
    verbose: int = 2

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("patience", "reduce_lr_patience"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {getattr(self, name)!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if not 0 < self.reduce_lr_factor < 1:
            raise ValueError(f"reduce_lr_factor must lie in (0, 1), got {self.reduce_lr_factor!r}")
        if not 0 <= self.min_lr <= self.learning_rate:
            raise ValueError(f"min_lr must lie in [0, learning_rate={self.learning_rate}], got {self.min_lr!r}")
        if self.verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2, got {self.verbose!r}")

    @classmethod
    def full(cls) -> "TrainConfig":
        """Settings for the full chapters: up to 40 epochs, early stopping after 8 without progress."""
        return cls()

    @classmethod
    def quick(cls) -> "TrainConfig":
        """Settings for quick mode (tests, CI): 3 epochs."""
        return cls(epochs=3, patience=2, reduce_lr_patience=1)

    @classmethod
    def from_mode(cls) -> "TrainConfig":
        """``quick()`` when ``ECGKERAS_QUICK`` is set, else ``full()``."""
        return cls.quick() if is_quick() else cls.full()


class EpochLog(keras.callbacks.Callback):
    """Print one short line every few epochs (and the last one), instead of two lines per epoch.

    Chapter 4 (section "Training"). Keras's ``verbose=2`` prints two lines per epoch, 60 lines
    for 30 epochs; this callback keeps a page's training log to about a dozen lines. Use it with
    ``model.fit(..., verbose=0, callbacks=[EpochLog(epochs)])``.

    Args:
        epochs: the ``epochs`` passed to ``fit``; sets how often a line is printed.
        lines: most epoch lines to print; the last epoch and a summary line come on top.
    """

    def __init__(self, epochs: int, lines: int = 10):
        super().__init__()
        self.epochs = epochs
        self.every = max(1, math.ceil(epochs / lines))

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.last_epoch, self.last_printed, self.best = None, None, (math.inf, None)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        self.last_epoch, self.last_logs = epoch, logs
        if logs.get("val_loss", math.inf) < self.best[0]:
            self.best = (logs["val_loss"], epoch)
        if epoch == 0 or (epoch + 1) % self.every == 0:
            self._print(epoch, logs)

    def on_train_end(self, logs=None):
        if self.last_epoch is None:
            return
        if self.last_printed != self.last_epoch:
            self._print(self.last_epoch, self.last_logs)
        stopped = "" if self.last_epoch + 1 == self.epochs else "stopped early; "
        if self.best[1] is not None:
            print(f"{self.last_epoch + 1} epochs, {stopped}lowest val_loss {self.best[0]:.3f} "
                  f"at epoch {self.best[1] + 1}")

    def _print(self, epoch, logs):
        self.last_printed = epoch
        line = f"epoch {epoch + 1:2d}:"
        for prefix, label in (("", ""), ("val_", "| val ")):
            if f"{prefix}loss" in logs:
                line += f" {label}loss {logs[prefix + 'loss']:.3f}"
            if f"{prefix}accuracy" in logs:
                line += f" acc {logs[prefix + 'accuracy']:.3f}"
        if "learning_rate" in logs:
            line += f" | lr {logs['learning_rate']:.0e}"
        print(f"{line} | {time.perf_counter() - self.start:.0f} s")


def check_inputs(model: keras.Model, inputs: dict, labels=None, *, split: str = "inputs") -> int:
    """Check that ``inputs`` (and ``labels``) fit ``model``; return the number of samples.

    Args:
        model: a model with named inputs, e.g. from ``ecgkeras.models.build_model``.
        inputs: view name -> float array (n, *input shape), one entry per model input.
        labels: optional int array (n,) of class indices in 0..n_classes-1.
        split: what the arrays are ("train", "val", ...), used in error messages.

    Raises:
        ValueError: naming the view or labels, what was expected and what was given.
    """
    expected = {tensor.name: tuple(tensor.shape[1:]) for tensor in model.inputs}
    if not isinstance(inputs, dict) or set(inputs) != set(expected):
        given = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
        raise ValueError(f"{split} must be a dict with the model's views {sorted(expected)}, got {given}")
    sizes = set()
    for view, shape in expected.items():
        array = np.asarray(inputs[view])
        if array.ndim != len(shape) + 1 or any(e is not None and e != g for e, g in zip(shape, array.shape[1:])):
            transposed = array.ndim == 3 and tuple(array.shape[:0:-1]) == shape
            raise ValueError(f"{split}[{view!r}] must have shape (n, {', '.join(map(str, shape))}) "
                             f"for model {model.name!r}, got {array.shape}"
                             + ("; it looks leads-first: pass np.swapaxes(x, 1, 2)" if transposed else ""))
        if not np.isfinite(array).all():
            raise ValueError(f"{split}[{view!r}] contains NaN or inf; fix or drop those samples first")
        sizes.add(len(array))
    if len(sizes) > 1:
        raise ValueError(f"the views of {split} hold different numbers of samples: "
                         f"{ {view: len(inputs[view]) for view in expected} }")
    n = sizes.pop()
    if labels is not None:
        labels = np.asarray(labels)
        n_classes = model.outputs[0].shape[-1]
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels of {split} must be integers of shape ({n},), "
                             f"got {labels.dtype} {labels.shape}")
        if n and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"labels of {split} must lie in 0..{n_classes - 1}, "
                             f"got {labels.min()}..{labels.max()}")
    return n


def balanced_class_weights(labels, n_classes: int) -> dict[int, float]:
    """Class index -> loss weight ``n / (classes present * count)`` (scikit-learn's "balanced").

    Classes absent from ``labels`` get weight 1.0 (they never occur in the loss anyway).
    """
    labels = np.asarray(labels)
    present = np.unique(labels)
    weights = compute_class_weight("balanced", classes=present, y=labels)
    return {c: 1.0 for c in range(n_classes)} | dict(zip(present.tolist(), weights.tolist()))


def fit(model: keras.Model, train_inputs: dict, train_labels, val_inputs: dict, val_labels, *,
        config: TrainConfig | None = None, seed: int = 0) -> keras.callbacks.History:
    """Compile and train ``model``; stop early on the validation loss and keep the best weights.

    Adam, sparse categorical cross-entropy, accuracy. The learning rate shrinks by
    ``config.reduce_lr_factor`` on a validation-loss plateau; training stops after
    ``config.patience`` epochs without improvement and restores the best epoch's weights.

    Args:
        model: e.g. from ``ecgkeras.models.build_model`` (compiled here; an old compile is replaced).
        train_inputs, val_inputs: view name -> float32 (n, *input shape), e.g.
            ``{"time": (n, 250, 12)}``.
        train_labels, val_labels: int (n,) class indices.
        config: settings; default ``TrainConfig.from_mode()`` (quick or full).
        seed: seeds shuffling and dropout (``keras.utils.set_random_seed``). For identical runs,
            also build the model with a seed.

    Returns:
        The Keras History: ``history.history`` maps "loss", "accuracy", "val_loss",
        "val_accuracy", "learning_rate" to one value per epoch.
    """
    config = config or TrainConfig.from_mode()
    for split, inputs, labels in (("train_inputs", train_inputs, train_labels),
                                  ("val_inputs", val_inputs, val_labels)):
        if check_inputs(model, inputs, labels, split=split) == 0:
            raise ValueError(f"{split} holds no samples")
    n_classes = model.outputs[0].shape[-1]
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                      restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=config.reduce_lr_factor,
                                          patience=config.reduce_lr_patience, min_lr=config.min_lr),
    ]
    if config.verbose == 2:
        callbacks.append(EpochLog(config.epochs))
    return model.fit(
        {view: np.asarray(x, dtype=np.float32) for view, x in train_inputs.items()},
        np.asarray(train_labels),
        validation_data=({view: np.asarray(x, dtype=np.float32) for view, x in val_inputs.items()},
                         np.asarray(val_labels)),
        epochs=config.epochs,
        batch_size=config.batch_size,
        class_weight=balanced_class_weights(train_labels, n_classes) if config.class_weight else None,
        callbacks=callbacks,
        shuffle=True,
        verbose=1 if config.verbose == 1 else 0,
    )
