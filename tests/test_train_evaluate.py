"""Training (fit, TrainConfig, class weights) and evaluation (probabilities, metrics)."""

from __future__ import annotations

import numpy as np
import pytest

from ecgkeras.evaluate import evaluate_predictions, predict_proba
from ecgkeras.models import build_model
from ecgkeras.train import TrainConfig, balanced_class_weights, fit

FREQUENCIES_HZ = (1.0, 2.0, 4.0, 8.0)


def sine_toy(n, seed, samples=250, fs=100.0):
    """An easy 4-class problem: class c is a sine of FREQUENCIES_HZ[c] with random phase and noise.

    Returns float32 (n, samples, 1) and int (n,).
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(FREQUENCIES_HZ), n)
    t = np.arange(samples) / fs
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    x = np.sin(2 * np.pi * np.asarray(FREQUENCIES_HZ)[labels][:, None] * t + phase)
    x += 0.3 * rng.standard_normal((n, samples))
    return x[:, :, None].astype("float32"), labels


@pytest.fixture(scope="module")
def toy():
    (x_train, y_train), (x_val, y_val) = sine_toy(400, seed=0), sine_toy(200, seed=1)
    return {"time": x_train}, y_train, {"time": x_val}, y_val


def small_model(seed=0):
    return build_model("1D-CNN", {"time": (250, 1)}, features=16, seed=seed)


def test_fit_learns_an_easy_problem(toy):
    train_x, train_y, val_x, val_y = toy
    model = build_model("1D-CNN", {"time": (250, 1)}, seed=0)
    history = fit(model, train_x, train_y, val_x, val_y, seed=0, config=TrainConfig(epochs=5, verbose=0))
    assert max(history.history["val_accuracy"]) > 0.9
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(history.history)
    result = evaluate_predictions(val_y, predict_proba(model, val_x), ["1 Hz", "2 Hz", "4 Hz", "8 Hz"])
    assert result["accuracy"] > 0.9  # best weights restored
    assert result["accuracy"] > result["majority_baseline"]


def test_fit_with_the_same_seed_gives_identical_losses(toy):
    train_x, train_y, val_x, val_y = toy
    subset = {"time": train_x["time"][:96]}, train_y[:96], {"time": val_x["time"][:32]}, val_y[:32]
    config = TrainConfig(epochs=2, verbose=0)
    first = fit(small_model(seed=1), *subset, seed=5, config=config).history
    second = fit(small_model(seed=1), *subset, seed=5, config=config).history
    assert first["loss"] == second["loss"]
    assert first["val_loss"] == second["val_loss"]


def test_early_stopping_ends_training_and_lr_shrinks_on_plateau(toy):
    train_x, train_y, val_x, val_y = toy
    # Labels that cannot be learned: the validation loss stops improving quickly.
    rng = np.random.default_rng(0)
    subset = ({"time": train_x["time"][:64]}, rng.integers(0, 4, 64),
              {"time": val_x["time"][:32]}, rng.integers(0, 4, 32))
    config = TrainConfig(epochs=30, patience=1, reduce_lr_patience=0, learning_rate=1e-2, verbose=0)
    history = fit(small_model(), *subset, config=config).history
    assert len(history["loss"]) < 30
    assert min(history["learning_rate"]) < 1e-2


def test_predict_proba_returns_probabilities(toy):
    _, _, val_x, _ = toy
    probabilities = predict_proba(small_model(), {"time": val_x["time"][:10]}, batch_size=4)
    assert probabilities.shape == (10, 4) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_balanced_class_weights_known_answer():
    weights = balanced_class_weights([0, 0, 0, 1], n_classes=3)
    assert weights == pytest.approx({0: 4 / (2 * 3), 1: 4 / (2 * 1), 2: 1.0})


def test_train_config_modes(monkeypatch):
    monkeypatch.setenv("ECGKERAS_QUICK", "1")
    assert TrainConfig.from_mode() == TrainConfig.quick()
    monkeypatch.delenv("ECGKERAS_QUICK")
    assert TrainConfig.from_mode() == TrainConfig.full() == TrainConfig()
    assert TrainConfig.quick().epochs < TrainConfig.full().epochs


@pytest.mark.parametrize(
    ("options", "message"),
    [({"epochs": 0}, "epochs"), ({"batch_size": 2.5}, "batch_size"), ({"patience": -1}, "patience"),
     ({"learning_rate": 0}, "learning_rate"), ({"reduce_lr_factor": 1.0}, "reduce_lr_factor"),
     ({"min_lr": 1.0}, "min_lr"), ({"verbose": 3}, "verbose")],
)
def test_train_config_rejects_bad_values(options, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**options)


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    return small_model(), rng.standard_normal((8, 250, 1)).astype("float32"), np.arange(8) % 4


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing view", r"train_inputs must be a dict with the model's views \['time'\], got \['spectrum'\]"),
        ("not a dict", "train_inputs must be a dict"),
        ("wrong shape", r"train_inputs\['time'\] must have shape \(n, 250, 1\).*got \(8, 250, 12\)"),
        ("2-D input", r"train_inputs\['time'\] must have shape"),
        ("leads-first", r"must have shape \(n, 250, 1\).*got \(8, 1, 250\); it looks leads-first: pass "
                        r"np\.swapaxes\(x, 1, 2\)"),
        ("label count", r"labels of train_inputs must be integers of shape \(8,\)"),
        ("float labels", "labels of train_inputs must be integers"),
        ("label range", r"labels of train_inputs must lie in 0..3, got 0..4"),
        ("nan", r"train_inputs\['time'\] contains NaN"),
        ("empty", "train_inputs holds no samples"),
        ("val shape", r"val_inputs\['time'\] must have shape"),
    ],
)
def test_fit_rejects_bad_input(tiny, case, message):
    model, x, y = tiny
    train_x, train_y, val_x = {"time": x}, y, {"time": x}
    if case == "missing view":
        train_x = {"spectrum": x}
    elif case == "not a dict":
        train_x = x
    elif case == "wrong shape":
        train_x = {"time": np.repeat(x, 12, axis=2)}
    elif case == "2-D input":
        train_x = {"time": x[:, :, 0]}
    elif case == "leads-first":
        train_x = {"time": np.swapaxes(x, 1, 2)}
    elif case == "label count":
        train_y = y[:5]
    elif case == "float labels":
        train_y = y.astype(float)
    elif case == "label range":
        train_y = np.where(y == 3, 4, y)
    elif case == "nan":
        train_x = {"time": np.where(np.arange(250)[None, :, None] == 7, np.nan, x)}
    elif case == "empty":
        train_x, train_y = {"time": x[:0]}, y[:0]
    elif case == "val shape":
        val_x = {"time": x[:, :100]}
    with pytest.raises(ValueError, match=message):
        fit(model, train_x, train_y, val_x, y, config=TrainConfig(epochs=1, verbose=0))


def test_predict_proba_rejects_bad_input(tiny):
    model, x, _ = tiny
    with pytest.raises(ValueError, match=r"inputs\['time'\] must have shape"):
        predict_proba(model, {"time": x[:, :, 0]})
    with pytest.raises(ValueError, match="inputs hold no samples"):
        predict_proba(model, {"time": x[:0]})


def one_hot(predictions, n_classes):
    return np.eye(n_classes)[predictions]


def test_evaluate_perfect_predictions():
    labels = np.array([0, 1, 2, 3, 3, 2])
    result = evaluate_predictions(labels, one_hot(labels, 4), ["a", "b", "c", "d"])
    for key in ("accuracy", "macro_precision", "macro_recall", "macro_f1"):
        assert result[key] == 1.0
    np.testing.assert_array_equal(result["confusion_matrix"], np.diag([1, 1, 2, 2]))
    assert result["majority_baseline"] == pytest.approx(2 / 6)
    assert result["per_class"]["d"]["support"] == 2


def test_evaluate_hand_computed_two_class_case():
    # true 0 0 0 1 1, predicted 0 0 1 1 0.
    # class 0: TP 2, FP 1, FN 1 -> precision = recall = F1 = 2/3; class 1: TP 1, FP 1, FN 1 -> 1/2.
    labels = np.array([0, 0, 0, 1, 1])
    probabilities = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8], [0.51, 0.49]])
    result = evaluate_predictions(labels, probabilities, ["neg", "pos"])
    assert result["n"] == 5
    assert result["accuracy"] == pytest.approx(3 / 5)
    assert result["macro_precision"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert result["macro_recall"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert result["macro_f1"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert result["per_class"]["neg"]["precision"] == pytest.approx(2 / 3)
    assert result["per_class"]["pos"]["recall"] == pytest.approx(1 / 2)
    np.testing.assert_array_equal(result["confusion_matrix"], [[2, 1], [1, 1]])
    assert result["majority_baseline"] == pytest.approx(3 / 5)


@pytest.mark.parametrize(
    ("labels", "probabilities", "names", "message"),
    [
        ([0, 1, 1], one_hot([0, 1], 2), "ab", r"probabilities must have shape \(n, n_classes\) = \(3, 2\)"),
        ([0, 1], one_hot([0, 1], 3), "ab", r"= \(2, 2\).*got \(2, 3\)"),
        ([0, 1], [0.5, 0.5], "ab", "probabilities must have shape"),
        ([[0, 1]], one_hot([0, 1], 2), "ab", "labels must be a non-empty 1-D integer array"),
        ([], np.zeros((0, 2)), "ab", "labels must be a non-empty"),
        ([0.0, 1.0], one_hot([0, 1], 2), "ab", "integer"),
        ([0, 2], one_hot([0, 1], 2), "ab", r"labels must lie in 0..1"),
        ([0, 1], [[2.0, -1.0], [0.0, 1.0]], "ab", "apply a softmax"),
        ([0, 1], [[3.0, 1.0], [0.0, 1.0]], "ab", "sum to 1"),
        ([0, 1], [[np.nan, 1.0], [0.0, 1.0]], "ab", "finite"),
        ([0, 0], one_hot([0, 0], 1), "a", "at least 2 classes"),
    ],
)
def test_evaluate_predictions_rejects_bad_input(labels, probabilities, names, message):
    with pytest.raises(ValueError, match=message):
        evaluate_predictions(np.asarray(labels), probabilities, list(names))


def test_predict_in_batches_gives_what_predict_gives():
    from ecgkeras.evaluate import predict_in_batches
    from ecgkeras.models import build_model, feature_model

    rng = np.random.default_rng(0)
    inputs = {"time": rng.normal(size=(70, 250, 12)).astype("float32"),
              "spectrum": rng.normal(size=(70, 126, 12)).astype("float32")}
    model = build_model("CNN-Transformer", {"spectrum": (126, 12)}, n_classes=4, seed=0)
    expected = model.predict({"spectrum": inputs["spectrum"]}, verbose=0)
    np.testing.assert_allclose(predict_in_batches(model, {"spectrum": inputs["spectrum"]}, batch_size=32), expected,
                               atol=1e-5)  # 70 samples: batches of 32, 32 and 6
    encoder = feature_model(build_model("1D-CNN", {"time": (250, 12)}, n_classes=4, seed=0), "time")
    np.testing.assert_allclose(predict_in_batches(encoder, inputs["time"], batch_size=50),
                               encoder.predict(inputs["time"], verbose=0), atol=1e-5)


def test_epoch_log_prints_a_dozen_lines_for_thirty_epochs(capsys):
    """Chapter 4: one short line every few epochs, the last epoch, and a summary line."""
    from ecgkeras.train import EpochLog

    log = EpochLog(30)
    log.on_train_begin()
    losses = [1.0 - 0.01 * epoch for epoch in range(30)]
    losses[20] = 0.1  # the lowest validation loss, at epoch 21
    for epoch, loss in enumerate(losses):
        log.on_epoch_end(epoch, {"loss": loss, "accuracy": 0.5, "val_loss": loss, "val_accuracy": 0.5,
                                 "learning_rate": 1e-3})
    log.on_train_end()
    lines = capsys.readouterr().out.splitlines()
    epoch_lines = [line for line in lines if line.startswith("epoch")]
    assert [int(line.split()[1].rstrip(":")) for line in epoch_lines] == [1, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    assert lines[-1] == "30 epochs, lowest val_loss 0.100 at epoch 21"
    assert all(len(line) <= 77 for line in lines)


def test_epoch_log_says_when_training_stopped_early(capsys):
    from ecgkeras.train import EpochLog

    log = EpochLog(40)
    log.on_train_begin()
    for epoch in range(5):
        log.on_epoch_end(epoch, {"loss": 1.0, "val_loss": 1.0 + epoch})
    log.on_train_end()
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith("epoch  5:")  # the last epoch is always shown
    assert lines[-1] == "5 epochs, stopped early; lowest val_loss 1.000 at epoch 1"
