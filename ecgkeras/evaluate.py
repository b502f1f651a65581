"""Evaluation: class probabilities, metrics, per-class report and confusion matrix.

Chapter 4 (evaluating the models). Accuracy alone hides a model that ignores a rare class, so
every result also carries macro-averaged precision, recall and F1 (each class counts the same),
the per-class report, the confusion matrix, and the accuracy of always predicting the largest
class (on the real images about 0.47): a model is only useful above that baseline.
"""

from __future__ import annotations

import keras
import numpy as np
from sklearn.metrics import classification_report, confusion_matrix, precision_recall_fscore_support

from ecgkeras.train import check_inputs


def predict_proba(model: keras.Model, inputs: dict, batch_size: int = 128) -> np.ndarray:
    """Class probabilities of ``model`` for ``inputs`` (inference mode: no dropout).

    Args:
        model: a trained model with dict inputs keyed by view.
        inputs: view name -> float32 (n, *input shape), e.g. ``{"time": (n, 250, 12)}``.
        batch_size: samples per forward pass (only memory and speed depend on it).

    Returns:
        float32 (n, n_classes); each row sums to 1.
    """
    n = check_inputs(model, inputs)
    if n == 0:
        raise ValueError("inputs hold no samples")
    arrays = {view: np.asarray(x, dtype=np.float32) for view, x in inputs.items()}
    return predict_in_batches(model, arrays, batch_size)


def predict_in_batches(model: keras.Model, inputs, batch_size: int = 128) -> np.ndarray:
    """``model(batch, training=False)`` over ``inputs`` in batches, as one numpy array.

    The same numbers as ``model.predict``, without compiling a predict function for each new
    model: a study that trains many models would otherwise make TensorFlow warn about
    "retracing" after the fifth.

    Args:
        model: any Keras model.
        inputs: one array (n, ...) or a dict name -> array (n, ...), as the model takes them.
        batch_size: samples per forward pass.

    Returns:
        float32 (n, ...): the model's outputs, batches concatenated.
    """
    n = len(next(iter(inputs.values()))) if isinstance(inputs, dict) else len(inputs)
    outputs = []
    for start in range(0, n, batch_size):
        batch = ({name: x[start:start + batch_size] for name, x in inputs.items()} if isinstance(inputs, dict)
                 else inputs[start:start + batch_size])
        outputs.append(keras.ops.convert_to_numpy(model(batch, training=False)))
    return np.concatenate(outputs).astype(np.float32)


def evaluate_predictions(labels, probabilities, class_names) -> dict:
    """Metrics of predicted class probabilities against the true labels.

    Args:
        labels: int (n,) true class indices in 0..n_classes-1.
        probabilities: float (n, n_classes), rows summing to 1 (e.g. from :func:`predict_proba`);
            the predicted class is the most probable one.
        class_names: n_classes names, in label order.

    Returns:
        A dict with "n" (samples), "accuracy", "macro_precision", "macro_recall", "macro_f1"
        (floats in 0..1, averaged over all n_classes classes; a class never predicted has
        precision 0), "per_class" (scikit-learn's
        classification report as a dict: class name -> precision, recall, f1-score, support),
        "confusion_matrix" (int (n_classes, n_classes), rows true class, columns predicted) and
        "majority_baseline" (accuracy of always predicting the most frequent class in ``labels``).
    """
    labels = np.asarray(labels)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    class_names = [str(name) for name in class_names]
    n_classes = len(class_names)
    if n_classes < 2:
        raise ValueError(f"class_names must name at least 2 classes, got {class_names}")
    if labels.ndim != 1 or len(labels) == 0 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a non-empty 1-D integer array, got {labels.dtype} {labels.shape}")
    if probabilities.shape != (len(labels), n_classes):
        raise ValueError(f"probabilities must have shape (n, n_classes) = ({len(labels)}, {n_classes}) "
                         f"for {len(labels)} labels and {n_classes} class_names, got {probabilities.shape}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
    if not np.isfinite(probabilities).all() or (probabilities < 0).any() or not np.allclose(
            probabilities.sum(axis=1), 1, atol=1e-3):
        raise ValueError("probabilities must be finite, >= 0 and sum to 1 per row; "
                         "if they are logits, apply a softmax first")
    predictions = probabilities.argmax(axis=1)
    classes = np.arange(n_classes)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predictions, labels=classes, average="macro", zero_division=0)
    return {
        "n": len(labels),
        "accuracy": float(np.mean(predictions == labels)),
        "macro_precision": float(precision),
        "macro_recall": float(recall),
        "macro_f1": float(f1),
        "per_class": classification_report(labels, predictions, labels=classes, target_names=class_names,
                                           output_dict=True, zero_division=0),
        "confusion_matrix": confusion_matrix(labels, predictions, labels=classes),
        "majority_baseline": float(np.bincount(labels, minlength=n_classes).max() / len(labels)),
    }
