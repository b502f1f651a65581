"""Figures of part II (chapters 4-8): what they draw, that they never stop a notebook, bad input."""

from __future__ import annotations

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ecgkeras import plot  # noqa: E402
from ecgkeras.models import build_model  # noqa: E402

CLASSES = ("Normal", "Abnormal heartbeat", "Myocardial infarction", "History of MI")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def small_model():
    return build_model("Hybrid 1", {"time": (32, 2), "scalogram": (8, 8, 2)}, seed=0)


def test_model_figure_returns_a_png_image(small_model):
    if not plot.graphviz_available():
        pytest.skip("Graphviz is not installed here")
    image = plot.model_figure(small_model, expand_nested=True, rankdir="LR")
    assert image.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_model_figure_without_graphviz_prints_how_to_install_it(small_model, monkeypatch, capsys):
    monkeypatch.setattr(plot, "graphviz_available", lambda: False)
    assert plot.model_figure(small_model) is None
    output = capsys.readouterr().out
    assert output.count("\n") == 1 and "graphviz" in output.lower() and "pip install pydot" in output


def test_model_figure_never_fails_a_notebook(small_model, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise OSError("dot crashed")

    monkeypatch.setattr(plot, "graphviz_available", lambda: True)
    monkeypatch.setattr(keras.utils, "plot_model", broken)
    assert plot.model_figure(small_model) is None
    assert "OSError: dot crashed" in capsys.readouterr().out


@pytest.mark.parametrize("arguments, message", [
    (dict(model="not a model"), "model must be a keras.Model"),
    (dict(rankdir="BT"), "rankdir"),
    (dict(dpi=0), "dpi"),
])
def test_model_figure_rejects_bad_arguments(small_model, arguments, message):
    arguments = {"model": small_model} | arguments
    with pytest.raises(ValueError, match=message):
        plot.model_figure(**arguments)


HISTORY = {"loss": [1.2, 0.8, 0.6, 0.5], "val_loss": [1.1, 0.7, 0.75, 0.9],
           "accuracy": [0.4, 0.6, 0.7, 0.8], "val_accuracy": [0.45, 0.65, 0.6, 0.55]}


def test_history_plots_both_splits_and_marks_the_restored_epoch():
    fig = plot.plot_history(HISTORY, title="run")
    loss_axes, accuracy_axes = fig.axes
    train, validation = loss_axes.lines[:2]
    assert list(train.get_xdata()) == [1, 2, 3, 4] and list(validation.get_ydata()) == HISTORY["val_loss"]
    best = loss_axes.lines[2]
    assert list(best.get_xdata()) == [2, 2]  # lowest validation loss at epoch 2
    assert "best epoch (2)" in best.get_label()
    assert list(accuracy_axes.lines[0].get_ydata()) == HISTORY["accuracy"]


def test_history_accepts_a_keras_history_and_training_only_curves():
    history = keras.callbacks.History()
    history.history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]}
    fig = plot.plot_history(history)
    assert len(fig.axes[0].lines) == 1  # no validation curve, no best-epoch line


@pytest.mark.parametrize("history, message", [
    ({}, "non-empty 'loss'"),
    ([1.0, 0.5], "keras History or a dict"),
    ({"loss": [1.0, 0.5], "val_loss": [1.0]}, r"history\['val_loss'\] has 1 values for 2 epochs"),
])
def test_history_rejects_bad_input(history, message):
    with pytest.raises(ValueError, match=message):
        plot.plot_history(history)


MATRIX = np.array([[8, 2, 0, 0], [1, 9, 0, 0], [0, 0, 5, 5], [0, 0, 0, 0]])


def test_confusion_matrix_shows_counts_and_row_shares():
    fig = plot.plot_confusion_matrix(MATRIX, CLASSES)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 16
    assert texts[0] == "8\n80%" and texts[10] == "5\n50%"
    assert texts[15] == "0\n0%"  # a class absent from the test set: no division by zero
    image = ax.images[0].get_array()
    assert image[0, 0] == pytest.approx(0.8) and image[1, 1] == pytest.approx(0.9)
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"


def test_confusion_matrix_of_counts():
    fig = plot.plot_confusion_matrix(MATRIX, CLASSES, normalize=False)
    assert fig.axes[0].texts[0].get_text() == "8"
    assert fig.axes[0].images[0].get_array()[1, 1] == 9


@pytest.mark.parametrize("matrix, names, message", [
    (np.ones((2, 3), int), CLASSES[:2], "must be square"),
    (MATRIX, CLASSES[:3], "class_names has 3 names for a 4-class matrix"),
    (-MATRIX, CLASSES, "counts >= 0"),
])
def test_confusion_matrix_rejects_bad_input(matrix, names, message):
    with pytest.raises(ValueError, match=message):
        plot.plot_confusion_matrix(matrix, names)


def test_attention_weights_are_averaged_per_class_and_view():
    weights = np.array([[0.6, 0.2, 0.2], [0.4, 0.4, 0.2], [0.1, 0.1, 0.8]])
    labels = np.array([0, 0, 2])
    fig = plot.plot_attention_weights(weights, labels, CLASSES)
    ax = fig.axes[0]
    heights = [patch.get_height() for patch in ax.patches]
    # classes 0 and 2 are present (1 and 3 are left out); bars grouped by view: time, scalogram, spectrum
    assert heights == pytest.approx([0.5, 0.1, 0.3, 0.1, 0.2, 0.8])
    assert [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()] == ["Normal", "Myocardial infarction"]
    assert ax.lines[-1].get_ydata()[0] == pytest.approx(1 / 3)  # the equal-weights line
    errorbars = [c for c in ax.containers if isinstance(c, matplotlib.container.ErrorbarContainer)]
    time_bars = errorbars[0].lines[2][0].get_segments()  # the time view's bars
    assert time_bars[0][:, 1] == pytest.approx([0.45, 0.55])  # class 0: quartiles of 0.6 and 0.4


@pytest.mark.parametrize("weights, labels, message", [
    (np.full((2, 2), 0.5), [0, 1], r"weights must be \(n, 3\)"),
    (np.full((2, 3), 0.5), [0, 1], "rows summing to 1"),
    (np.full((2, 3), 1 / 3), [0, 1, 2], "labels must be integers of shape"),
    (np.full((2, 3), 1 / 3), [0, 7], "labels must lie in 0..3"),
])
def test_attention_weights_reject_bad_input(weights, labels, message):
    with pytest.raises(ValueError, match=message):
        plot.plot_attention_weights(weights, np.asarray(labels), CLASSES)


def test_prediction_draws_every_lead_and_the_probabilities():
    signal = np.random.default_rng(0).standard_normal((250, 12))
    fig = plot.plot_prediction(signal, [0.1, 0.2, 0.6, 0.1], 3, CLASSES)
    assert len(fig.axes) == 13
    bars = fig.axes[-1].patches
    assert [bar.get_width() for bar in bars] == pytest.approx([0.1, 0.2, 0.6, 0.1])
    assert bars[3].get_facecolor() != bars[2].get_facecolor()  # true vs wrong prediction (also hatched)
    assert [t.get_text() for t in fig.axes[-1].texts] == ["10%", "20%", "60%", "10%"]
    assert fig._suptitle.get_text() == "true: History of MI, predicted: Myocardial infarction (60%)"
    assert [ax.get_title(loc="left") for ax in fig.axes[:4]] == ["I", "aVR", "V1", "V4"]  # report layout


def test_prediction_of_a_single_lead():
    fig = plot.plot_prediction(np.zeros((1000, 1)), [0.5, 0.5, 0, 0], 0, CLASSES, lead_names=["II"])
    assert len(fig.axes) == 2


@pytest.mark.parametrize("signal, probabilities, label, message", [
    (np.zeros(250), [1, 0, 0, 0], 0, r"signal must be \(samples, 12 leads\)"),
    (np.zeros((250, 12)), [1, 0, 0], 0, "one value per class"),
    (np.zeros((250, 12)), [1, 0, 0, 0], 4, "label must be a class index"),
])
def test_prediction_rejects_bad_input(signal, probabilities, label, message):
    with pytest.raises(ValueError, match=message):
        plot.plot_prediction(signal, probabilities, label, CLASSES)


def test_attention_map_labels_tokens_with_frequencies():
    scores = np.full((6, 6), 1 / 6)
    fig = plot.plot_attention_map(scores, token_hz=np.arange(6) * 1.6)
    ax = fig.axes[0]
    assert ax.images[0].get_array().shape == (6, 6)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "2", "3", "5", "6", "8"]
    assert ax.get_ylabel() == "query token (Hz)"
    shared = plot.plot_attention_map(scores, vmin=0, vmax=0.5).axes[0].images[0]
    assert shared.get_clim() == (0, 0.5)


@pytest.mark.parametrize("scores, token_hz, message", [
    (np.full((3, 4), 0.25), None, "must be square"),
    (np.full((3, 3), 0.5), None, "rows summing to 1"),
    (np.full((3, 3), 1 / 3), [1.0, 2.0], "one frequency per token"),
])
def test_attention_map_rejects_bad_input(scores, token_hz, message):
    with pytest.raises(ValueError, match=message):
        plot.plot_attention_map(scores, token_hz)
