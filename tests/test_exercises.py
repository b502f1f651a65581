"""The self-checks accept right answers and name the typical mistake in wrong ones."""

import numpy as np
import pytest

from ecgkeras import exercises


def _reference_vertical_average(image):
    dark = np.asarray(image).mean(axis=2) < 128
    rows = np.arange(dark.shape[0])[:, None]
    with np.errstate(invalid="ignore"):
        return -(dark * rows).sum(axis=0) / np.where(dark.sum(axis=0) > 0, dark.sum(axis=0), np.nan)


def test_vertical_average_check(capsys):
    assert exercises.check_vertical_average(_reference_vertical_average)
    assert not exercises.check_vertical_average(lambda image: -_reference_vertical_average(image))
    assert "sign is flipped" in " ".join(capsys.readouterr().out.split())
    assert not exercises.check_vertical_average(lambda image: np.nan_to_num(_reference_vertical_average(image)))
    assert "return NaN" in " ".join(capsys.readouterr().out.split())
    assert not exercises.check_vertical_average(lambda image: 1 / 0)
    assert "ZeroDivisionError" in " ".join(capsys.readouterr().out.split())


def _strip(bpm=75.0, fs=100.0, seconds=10.0):
    t = np.arange(int(fs * seconds)) / fs
    phase = (t * bpm / 60.0) % 1.0
    return np.exp(-((phase - 0.5) ** 2) / (2 * 0.01**2))  # one narrow "R wave" per beat


def test_heart_rate_check(capsys):
    rhythm = _strip(75.0)
    assert exercises.check_heart_rate(75.0, rhythm)
    assert not exercises.check_heart_rate(75.0 / 60.0, rhythm)
    assert "beats per second" in " ".join(capsys.readouterr().out.split())
    assert not exercises.check_heart_rate(40.0, rhythm)
    assert "more than 10 %" in " ".join(capsys.readouterr().out.split())


def test_peak_frequency_check(capsys):
    fs, samples = 100.0, 1000
    signal = np.sin(2 * np.pi * 5.0 * np.arange(samples) / fs) + 3.0
    assert exercises.check_peak_frequency(5.0, signal, fs)
    assert not exercises.check_peak_frequency(50, signal, fs)  # bin index
    assert "bin index" in " ".join(capsys.readouterr().out.split())
    assert not exercises.check_peak_frequency(2 * np.pi * 5.0, signal, fs)
    assert "angular" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    "train, test, message",
    [
        ([0, 1, 2, 3], [4, 5, 6, 7], None),
        ([0, 1, 2, 3, 4], [4, 5, 6, 7], "in both training and test"),
        ([0, 1, 2], [4, 5, 6, 7], "in neither split"),
        ([0, 1, 2, 4], [3, 5, 6, 7], "have copies in training and test"),
    ],
)
def test_group_split_check(capsys, train, test, message):
    groups = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    labels = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    assert exercises.check_group_split(train, test, groups, labels) == (message is None)
    if message:
        assert message in " ".join(capsys.readouterr().out.split())


def test_group_split_check_needs_every_class_in_test(capsys):
    groups = np.arange(4)
    labels = np.array([0, 1, 0, 1])
    assert not exercises.check_group_split([1, 3], [0, 2], groups, labels)
    assert "classes [1] are missing" in " ".join(capsys.readouterr().out.split())


def test_leaked_fraction_check(capsys):
    groups = np.array([0, 0, 1, 2, 3, 3])
    train, test = [0, 2, 4], [1, 3, 5]  # test groups 0, 2, 3: groups 0 and 3 are in training
    assert exercises.check_leaked_fraction(2 / 3, groups, train, test)
    assert not exercises.check_leaked_fraction(200 / 3, groups, train, test)
    assert "percentage" in " ".join(capsys.readouterr().out.split())
    assert not exercises.check_leaked_fraction(2, groups, train, test)
    assert "count" in " ".join(capsys.readouterr().out.split())


def test_placeholder_answer_gets_a_hint_not_an_error(capsys):
    assert not exercises.check_peak_frequency(..., np.sin(np.arange(100.0)))
    assert "placeholder" in " ".join(capsys.readouterr().out.split())
    assert not exercises.check_leaked_fraction(..., [0, 1], [0], [1])
    assert "placeholder" in " ".join(capsys.readouterr().out.split())
    assert not exercises.check_group_split(..., ..., [0, 1], [0, 1])
    assert "placeholder" in " ".join(capsys.readouterr().out.split())


# Chapters 4-8 ------------------------------------------------------------------------------


def _conv_layer(kind, use_bias):
    import keras

    if kind == "1d":
        layer = keras.layers.Conv1D(32, 7, use_bias=use_bias)
        layer.build((None, 250, 12))
    else:
        layer = keras.layers.Conv2D(32, 3, use_bias=use_bias)
        layer.build((None, 32, 32, 16))
    return layer


@pytest.mark.parametrize("kind, use_bias, right", [("1d", False, 7 * 12 * 32), ("1d", True, 7 * 12 * 32 + 32),
                                                   ("2d", False, 3 * 3 * 16 * 32)])
def test_conv_parameters_check_accepts_the_count(capsys, kind, use_bias, right):
    layer = _conv_layer(kind, use_bias)
    assert right == layer.count_params()
    assert exercises.check_conv_parameters(right, layer)
    assert "Correct" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("kind, use_bias, wrong, message", [
    ("1d", False, 7 * 32, "spans all 12 input channels"),
    ("2d", False, 3 * 3 * 32, "spans all 16 input channels"),
    ("1d", False, 7 * 12 * 32 + 32, "use_bias=False"),
    ("1d", True, 7 * 12 * 32, "add one bias per filter"),
    ("1d", False, 7 * 12 * 32 * 250, "does not depend on its length"),
    ("1d", False, 1234, "is not the count"),
])
def test_conv_parameters_check_names_the_mistake(capsys, kind, use_bias, wrong, message):
    assert not exercises.check_conv_parameters(wrong, _conv_layer(kind, use_bias))
    assert message in " ".join(capsys.readouterr().out.split())


def test_conv_parameters_check_needs_a_conv_layer():
    import keras

    with pytest.raises(ValueError, match="Conv1D or Conv2D"):
        exercises.check_conv_parameters(10, keras.layers.Dense(3))


@pytest.mark.parametrize("answer, message", [
    (32, "Correct: 250 -> 125 -> 63 -> 32"),
    (31, "rounds up"),
    (250, "each MaxPooling(2) halves it"),
    (250 / 8, "halve and round up once per block"),
    (63, "the length after 2 blocks; there are 3"),
    (40, "block by block"),
    (..., "replace the `...` placeholder"),
])
def test_output_length_check(capsys, answer, message):
    assert exercises.check_output_length(answer, 250, 3) == message.startswith("Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def test_output_length_check_rejects_bad_arguments():
    with pytest.raises(ValueError, match="input_length"):
        exercises.check_output_length(3, 0, 2)
    with pytest.raises(ValueError, match="blocks"):
        exercises.check_output_length(3, 10, -1)


CONFUSION = np.array([[8, 2, 0], [4, 6, 0], [0, 2, 8]])


@pytest.mark.parametrize("answer, message", [
    ([0.8, 0.6, 0.8], "Correct"),
    ([80, 60, 80], "percentages"),
    ([8 / 12, 6 / 10, 1.0], "that is precision"),
    ([8, 6, 8], "counts of correct predictions"),
    ([0.8, 0.6], "one recall per class"),
    ([0.5, 0.5, 0.5], "rows are the true classes"),
])
def test_recall_check(capsys, answer, message):
    assert exercises.check_recall(answer, CONFUSION) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def _attention(queries, keys, values):
    scores = queries @ keys.T / np.sqrt(queries.shape[1])
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True) @ values


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("function, message", [
    (_attention, "Correct"),
    (lambda q, k, v: (_attention(q, k, v), None), "Correct"),  # (output, weights) is fine too
    (lambda q, k, v: _softmax(q @ k.T, 1) @ v, "divide them by sqrt(d)"),
    (lambda q, k, v: _softmax(q @ k.T / q.shape[1], 1) @ v, "not by d"),
    (lambda q, k, v: _softmax(q @ k.T / 2, 0) @ v, "runs over the keys"),
    (lambda q, k, v: q @ k.T / 2 @ v, "with a softmax"),
    (lambda q, k, v: _softmax(q @ k.T / 2, 1), "expected shape (3, 2)"),
    (lambda q, k, v: None, "returns None"),
    (lambda q, k, v: q @ v, "raised ValueError"),
    (lambda q, k, v: _attention(q, k, v) + 1, "expected softmax("),
])
def test_attention_check(capsys, function, message):
    assert exercises.check_attention(function) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def test_attention_check_accepts_the_placeholder(capsys):
    assert not exercises.check_attention(...)
    assert "placeholder" in " ".join(capsys.readouterr().out.split())


SMALL_SHAPES = {"time": (32, 2), "scalogram": (8, 8, 2)}


def _hybrid(names=("time", "scalogram"), shapes=None, fuse="concat", classes=4, activation="softmax"):
    import keras
    from keras import layers

    shapes = shapes or SMALL_SHAPES
    time = keras.Input(shapes["time"], name=names[0])
    scalogram = keras.Input(shapes["scalogram"], name=names[1])
    a = layers.Dense(8)(layers.GlobalAveragePooling1D()(time))
    b = layers.Dense(8)(layers.GlobalAveragePooling2D()(scalogram))
    if fuse == "time only":  # the scalogram branch is built but never reaches the output
        fused = layers.Concatenate()([a, a])
    else:
        fused = layers.Concatenate()([a, b]) if fuse == "concat" else layers.Add()([a, b])
    return keras.Model([time, scalogram], layers.Dense(classes, activation=activation)(fused))


@pytest.mark.parametrize("model, message", [
    (lambda: _hybrid(), "Correct"),
    (lambda: _hybrid(names=("signal", "image")), "must be named ['scalogram', 'time']"),
    (lambda: _hybrid(shapes={"time": (32, 1), "scalogram": (8, 8, 2)}), "input 'time' must have shape (32, 2)"),
    (lambda: _hybrid(classes=3), "one output of shape (None, 4)"),
    (lambda: _hybrid(fuse="add"), "layers.Concatenate()"),
    (lambda: _hybrid(activation=None), "logits), not probabilities"),
    (lambda: _hybrid(fuse="time only"), "the 'scalogram' input does not reach the output"),
    (lambda: "a model", "expected a keras.Model"),
    (lambda: ..., "placeholder"),
])
def test_hybrid_model_check(capsys, model, message):
    assert exercises.check_hybrid_model(model(), SMALL_SHAPES) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def test_hybrid_model_check_knows_the_book_shapes(capsys):
    assert exercises.check_hybrid_model(_hybrid(shapes={"time": (250, 12), "scalogram": (64, 64, 12)}))


@pytest.mark.parametrize("function, message", [
    (lambda branches: np.mean(branches, axis=0), "Correct"),
    (lambda branches: np.sum(branches, axis=0), "take the mean"),
    (lambda branches: np.mean(branches, axis=0).argmax(axis=1), "not the predicted labels"),
    (lambda branches: np.eye(4)[np.argmax(branches, axis=2)].mean(axis=0), "that is a vote"),
    (lambda branches: np.prod(branches, axis=0), "product of experts"),
    (lambda branches: np.mean(branches, axis=2), "expected shape (6, 4)"),
    (lambda branches: np.max(branches, axis=0), "expected the mean"),
    (lambda branches: 1 / 0, "ZeroDivisionError"),
    (..., "placeholder"),
])
def test_late_fusion_check(capsys, function, message):
    assert exercises.check_late_fusion(function) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def _attention_fusion(features, score_weights, score_bias, softmax_axis=1, weighted=True):
    weights = _softmax(features @ score_weights + score_bias, softmax_axis)
    fused = (weights[:, :, None] * features).sum(axis=1) if weighted else features.mean(axis=1)
    return weights, fused


@pytest.mark.parametrize("function, message", [
    (_attention_fusion, "Correct"),
    (lambda f, w, b: _attention_fusion(f, w, b, softmax_axis=0), "runs over the views (axis 1)"),
    (lambda f, w, b: (f @ w + b, f.mean(axis=1)), "with a softmax over the views"),
    (lambda f, w, b: _attention_fusion(f, w, b + 5.0), "Correct"),  # a common shift cancels in the softmax
    (lambda f, w, b: (_softmax(f.sum(axis=2), 1), f.mean(axis=1)), "score each view"),
    (lambda f, w, b: _attention_fusion(f, w, b, weighted=False), "plain mean"),
    (lambda f, w, b: (_attention_fusion(f, w, b)[0], f.sum(axis=1)), "multiply each view's features"),
    (lambda f, w, b: (_attention_fusion(f, w, b)[0], f), "one feature vector per sample"),
    (lambda f, w, b: _attention_fusion(f, w, b)[1], "return two arrays"),
])
def test_attention_fusion_check(capsys, function, message):
    assert exercises.check_attention_fusion(function) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def test_disagreements_check(capsys):
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    a = np.array([0, 1, 2, 0, 0, 0, 1, 3])  # right on 0, 1, 2, 4, 7
    b = np.array([0, 2, 2, 3, 1, 0, 0, 3])  # right on 0, 2, 3, 7
    # A alone right on 1, 4; B alone right on 3; both wrong on 5 and 6 (and they disagree on 6)
    assert exercises.check_disagreements((2, 1), labels, a, b)
    assert "(2 - 1) / 8 = +0.125" in " ".join(capsys.readouterr().out.split())
    for answer, message in [((1, 2), "swapped"), ((5, 4), "each model's correct predictions"),
                            ((4, 1), "disagree and both be wrong"), ((0, 0), "a_only = "),
                            ((2,), "two counts"), (..., "placeholder")]:
        assert not exercises.check_disagreements(answer, labels, a, b)
        assert message in " ".join(capsys.readouterr().out.split())
    with pytest.raises(ValueError, match="one length"):
        exercises.check_disagreements((0, 0), labels, a[:3], b)


def _mean_abs_r(a, b, signed=False, block=True):
    matrix = np.corrcoef(a.T, b.T)
    matrix = matrix[:a.shape[1], a.shape[1]:] if block else matrix
    return matrix.mean() if signed else np.abs(matrix).mean()


@pytest.mark.parametrize("function, message", [
    (_mean_abs_r, "Correct"),
    (lambda a, b: _mean_abs_r(a, b, signed=True), "signed mean"),
    (lambda a, b: np.abs((a - a.mean(0)).T @ (b - b.mean(0)) / len(a)).mean(), "mean |covariance|"),
    (lambda a, b: _mean_abs_r(a, b, block=False), "keep only the block"),
    (lambda a, b: np.abs(np.corrcoef(a.T, b.T)[:a.shape[1], a.shape[1]:]), "return one number"),
    (lambda a, b: 0.5, "expected about"),
    (..., "placeholder"),
])
def test_mean_abs_correlation_check(capsys, function, message):
    assert exercises.check_mean_abs_correlation(function) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("answer, message", [
    (-0.5 * np.log(1 - 0.36), "Correct"),
    (-0.5 * np.log2(1 - 0.36), "in bits"),
    (0.5 * np.log(1 - 0.36), "never negative"),
    (-np.log(1 - 0.36), "factor 1/2"),
    (-0.5 * np.log(1 - 0.6), "square the correlation"),
    (0.6, "use I = "),
    (..., "placeholder"),
])
def test_gaussian_mutual_information_check(capsys, answer, message):
    assert exercises.check_gaussian_mutual_information(answer, 0.6) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def _bootstrap(labels, a, b, n_boot, seed, paired=True, replace=True, sign=1):
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(n_boot):
        index = rng.choice(len(labels), len(labels), replace=replace)
        other = index if paired else rng.choice(len(labels), len(labels), replace=replace)
        differences.append(sign * (np.mean(a[index] == labels[index]) - np.mean(b[other] == labels[other])))
    return np.array(differences)


@pytest.mark.parametrize("function, message", [
    (_bootstrap, "Correct"),
    (lambda *args: _bootstrap(*args, paired=False), "different indices"),
    (lambda *args: _bootstrap(*args, replace=False), "every resample gives the observed difference"),
    (lambda *args: _bootstrap(*args, sign=-1), "sign is flipped"),
    (lambda labels, a, b, n_boot, seed: _bootstrap(labels, a, b, n_boot, seed)[:10], "shape (n_boot,)"),
    (lambda labels, a, b, n_boot, seed: 3 * _bootstrap(labels, a, b, n_boot, seed) - 2 * np.mean(
        _bootstrap(labels, a, b, n_boot, seed)), "spread"),
    (..., "placeholder"),
])
def test_paired_bootstrap_check(capsys, function, message):
    assert exercises.check_paired_bootstrap(function) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("answer, message", [
    (81 / 102, "Correct"), (80 / 100, "observed accuracy"), (81 / 101, "alpha + beta = n + 2"),
    (0.5, "mean of Beta"), (..., "placeholder"),
])
def test_posterior_mean_check(capsys, answer, message):
    assert exercises.check_posterior_mean(answer, 80, 100) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())
    with pytest.raises(ValueError, match="between 0 and n"):
        exercises.check_posterior_mean(0.5, 120, 100)


@pytest.mark.parametrize("function, message", [
    (lambda r: r[r["metric"] == "accuracy"].groupby("model")["value"].mean(), "Correct"),
    (lambda r: r[r["metric"] == "accuracy"].groupby("model")[["value"]].mean(), "Correct"),  # one column is fine
    (lambda r: r.groupby("model")["value"].mean(), "averages every metric"),
    (lambda r: r[(r["metric"] == "accuracy") & (r["seed"] == 0)].groupby("model")["value"].mean(), "seed 0 only"),
    (lambda r: r[r["metric"] == "accuracy"].groupby("fold")["value"].mean(), "group by the column 'model'"),
    (lambda r: r[r["metric"] == "accuracy"]["value"].mean(), "return a pandas Series"),
    (lambda r: r[r["metric"] == "accuracy"].groupby("model")["value"].max(), "keep the accuracy rows"),
    (..., "placeholder"),
])
def test_mean_accuracy_per_model_check(capsys, function, message):
    assert exercises.check_mean_accuracy_per_model(function) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


# Chapters 4-8: exercises in which the student writes layers ------------------------------------


def _time_cnn(residual=True, pooling="max", classes=4, activation="softmax", shape=(250, 12)):
    import keras
    from keras import layers

    inputs = keras.Input(shape, name="time")
    x = layers.Conv1D(8, 5, padding="same")(inputs)
    if residual:
        x = layers.Add()([x, layers.Conv1D(8, 1)(inputs)])
    x = (layers.MaxPooling1D if pooling == "max" else layers.AveragePooling1D)(2)(x)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model({"time": inputs}, layers.Dense(classes, activation=activation)(x))


@pytest.mark.parametrize("model, message", [
    (lambda: _time_cnn(), "Correct: 1 residual connection"),
    (lambda: _time_cnn(residual=False), "no residual connection"),
    (lambda: _time_cnn(shape=(250, 1)), "input 'time' must have shape (250, 12)"),
    (lambda: _time_cnn(classes=3), "one output of shape (None, 4)"),
    (lambda: _time_cnn(activation=None), "not probabilities"),
    (lambda: None, "placeholder"),
])
def test_residual_check(capsys, model, message):
    assert exercises.check_residual_1d_cnn(model()) == message.startswith("Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def _scalogram_cnn(pooling):
    import keras
    from keras import layers

    inputs = keras.Input((64, 64, 12), name="scalogram")
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    for kind in pooling:
        x = (layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D)(2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model({"scalogram": inputs}, layers.Dense(4, activation="softmax")(x))


@pytest.mark.parametrize("pooling, message", [
    (("average", "average"), "Correct"),
    (("average", "max"), "1 MaxPooling2D layer(s) left"),
    ((), "no AveragePooling2D layer"),
])
def test_average_pooling_check(capsys, pooling, message):
    assert exercises.check_average_pooling_2d_cnn(_scalogram_cnn(pooling)) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def _block(pre_norm=True, heads=2, keep_shape=True):
    from keras import layers

    def block(x):
        dim = x.shape[-1]
        if pre_norm:
            normed = layers.LayerNormalization()(x)
            x = layers.Add()([x, layers.MultiHeadAttention(heads, key_dim=dim // heads)(normed, normed)])
            hidden = layers.Dense(2 * dim, activation="relu")(layers.LayerNormalization()(x))
            return layers.Add()([x, layers.Dense(dim if keep_shape else dim // 2)(hidden)])
        x = layers.LayerNormalization()(layers.Add()([x, layers.MultiHeadAttention(heads, key_dim=dim // heads)(x, x)]))
        hidden = layers.Dense(dim)(layers.Dense(2 * dim, activation="relu")(x))
        return layers.LayerNormalization()(layers.Add()([x, hidden]))

    return block


@pytest.mark.parametrize("function, message", [
    (_block(), "Correct: a pre-norm block"),
    (_block(pre_norm=False), "that is the chapter's post-norm block"),
    (_block(keep_shape=False), "raised ValueError"),
    (lambda x: x + 1, "expected 1 MultiHeadAttention"),
    (lambda x: None, "placeholder"),
    (..., "placeholder"),
])
def test_pre_norm_block_check(capsys, function, message):
    assert exercises.check_pre_norm_block(function) == message.startswith("Correct")
    assert message in " ".join(capsys.readouterr().out.split())


def _late(average=True, heads=2):
    import keras
    from keras import layers

    time = keras.Input((250, 12), name="time")
    scalogram = keras.Input((64, 64, 12), name="scalogram")
    branches = [layers.GlobalAveragePooling1D()(time), layers.GlobalAveragePooling2D()(scalogram)]
    if heads == 2:
        outputs = [layers.Dense(4, activation="softmax")(b) for b in branches]
    else:
        outputs = [layers.Dense(4)(b) for b in branches]
    fused = layers.Average()(outputs) if average else layers.Concatenate()(outputs)
    if not average or heads != 2:
        fused = layers.Dense(4, activation="softmax")(fused)
    return keras.Model({"time": time, "scalogram": scalogram}, fused)


@pytest.mark.parametrize("model, message", [
    (lambda: _late(), "Correct"),
    (lambda: _late(heads=0), "expected 2 Dense(4, activation=\"softmax\") layers, found 1"),
    (lambda: _late(average=False), "end with layers.Average()"),
])
def test_late_fusion_model_check(capsys, model, message):
    assert exercises.check_late_fusion_model(model()) == (message == "Correct")
    assert message in " ".join(capsys.readouterr().out.split())
