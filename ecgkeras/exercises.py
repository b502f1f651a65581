"""Self-checks for the chapters' exercises: each says what is wrong, not just that it is.

Every ``check_*`` function prints one line starting with "Correct" or "Not yet:" followed by
the reason, and returns True or False, so a notebook cell never stops on a wrong answer.
"""

from __future__ import annotations

import functools
import textwrap

import numpy as np


#: Characters per line of a printed verdict: what fits the rendered book's output box (1280 px).
VERDICT_WIDTH = 77


def _verdict(problem: str | None, success: str = "Correct.") -> bool:
    message = success if problem is None else f"Not yet: {problem}"
    print("\n".join(textwrap.fill(line, VERDICT_WIDTH, break_long_words=False, break_on_hyphens=False)
                    for line in message.splitlines()))
    return problem is None


class _Unanswered(Exception):
    pass


def _number(answer) -> float:
    """The student's answer as a float; ``...`` (the exercise's placeholder) means not answered yet."""
    if answer is Ellipsis or answer is None:
        raise _Unanswered
    return float(answer)


def _indices(answer) -> np.ndarray:
    """The student's index array; ``...`` means not answered yet."""
    if answer is Ellipsis or answer is None:
        raise _Unanswered
    return np.asarray(answer)


def _unanswered_is_not_an_error(check):
    """Let a check print a hint instead of failing when the placeholder ``...`` is still there."""

    @functools.wraps(check)
    def wrapped(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except _Unanswered:
            return _verdict("replace the `...` placeholder with your answer, then rerun")

    return wrapped


# Chapter 1 ---------------------------------------------------------------------------------


def check_vertical_average(student_function) -> bool:
    """Exercise 1.1: your Algorithm 1 on a small image whose answer is known.

    Your function takes a uint8 RGB image (H, W, 3) and returns float (W,): per pixel column the
    mean row index of the dark pixels, negated so that up is positive, NaN where a column has none.
    (``ecgkeras.data.digitize.vertical_average`` measures from the bottom row instead,
    H - 1 - mean row: the same signal shifted by a constant.)
    """
    image = np.full((40, 6, 3), 255, dtype=np.uint8)
    image[10, 0] = 0  # one dark pixel in row 10
    image[[20, 30], 1] = 0  # two dark pixels: their mean row is 25
    image[5:8, 2] = 0  # rows 5, 6, 7: mean 6
    image[39, 4] = 0  # bottom row
    expected = np.array([-10.0, -25.0, -6.0, np.nan, -39.0, np.nan])
    try:
        answer = student_function(image)
    except Exception as error:  # the student's code may fail in any way: report it
        return _verdict(f"your function raised {type(error).__name__}: {error}")
    if answer is None:
        return _verdict("your function returns None: replace the `...` placeholder")
    answer = np.asarray(answer, dtype=float)
    if answer.shape != expected.shape:
        return _verdict(f"expected one value per pixel column, shape {expected.shape}, got {answer.shape}")
    if not np.isnan(answer[3]):
        return _verdict(f"column 3 has no dark pixels; return NaN there, not {answer[3]} (try np.nanmean)")
    if np.allclose(answer[[0, 1, 2, 4]], -expected[[0, 1, 2, 4]]):
        return _verdict("the sign is flipped: image rows grow downwards, so negate the mean row to make up positive")
    if not np.allclose(answer[[0, 1, 2, 4]], expected[[0, 1, 2, 4]]):
        return _verdict(
            f"for columns 0, 1, 2, 4 expected {expected[[0, 1, 2, 4]].tolist()}, got {answer[[0, 1, 2, 4]].tolist()}"
        )
    return _verdict(None)


@_unanswered_is_not_an_error
def check_heart_rate(answer_bpm: float, rhythm, fs: float = 100.0) -> bool:
    """Exercise 1.2: your heart rate (beats per minute) from a rhythm strip sampled at ``fs`` Hz."""
    from ecgkeras.data.digitize import heart_rate

    truth = heart_rate(rhythm, fs)
    answer = _number(answer_bpm)
    if not np.isfinite(answer) or answer <= 0:
        return _verdict(f"a heart rate is a positive number of beats per minute, got {answer_bpm}")
    if abs(answer - truth / 60.0) < 0.1 * truth / 60.0:
        return _verdict("that is beats per second; multiply by 60 for beats per minute")
    if abs(answer - truth) <= 0.1 * truth:
        return _verdict(None, f"Correct: {answer:.0f} bpm (ecgkeras finds {truth:.0f} bpm).")
    if abs(answer * fs - truth) < 0.15 * truth or abs(answer / fs - truth) < 0.15 * truth:
        return _verdict(f"a factor of fs = {fs} Hz is off: convert the R-R interval from samples to seconds")
    return _verdict(
        f"{answer:.0f} bpm is more than 10 % away from {truth:.0f} bpm: are all R peaks found "
        "(try a height threshold relative to the strip's maximum and a minimum distance of ~0.3 s)?"
    )


# Chapter 2 ---------------------------------------------------------------------------------


@_unanswered_is_not_an_error
def check_peak_frequency(answer_hz: float, signal, fs: float = 100.0) -> bool:
    """Exercise 2.1: the frequency in Hz of the largest non-zero bin of a 1-D signal's rFFT."""
    signal = np.asarray(signal, dtype=float)
    magnitude = np.abs(np.fft.rfft(signal - signal.mean()))
    frequencies = np.fft.rfftfreq(len(signal), d=1.0 / fs)
    peak_bin = int(np.argmax(magnitude))
    truth = frequencies[peak_bin]
    resolution = fs / len(signal)
    answer = _number(answer_hz)
    if abs(answer - truth) <= resolution / 2:
        return _verdict(None, f"Correct: {truth:.2f} Hz (bins are {resolution:.2f} Hz apart).")
    if abs(answer - peak_bin) < 0.5:
        return _verdict(f"{answer:g} is the bin index; multiply by fs / samples = {resolution:.3f} Hz per bin")
    if abs(answer - truth * 2 * np.pi) < resolution * 2 * np.pi:
        return _verdict("that is an angular frequency (rad/s); divide by 2 pi for Hz")
    return _verdict(f"{answer:g} Hz is not the largest bin; did you remove the mean (the 0 Hz bin) first?")


# Chapter 3 ---------------------------------------------------------------------------------


@_unanswered_is_not_an_error
def check_group_split(train_index, test_index, groups, labels) -> bool:
    """Exercise 3.1: a leak-free split keeps every group on one side and every class on both."""
    train_index, test_index = _indices(train_index), _indices(test_index)
    groups, labels = np.asarray(groups), np.asarray(labels)
    both = np.intersect1d(train_index, test_index)
    if both.size:
        return _verdict(f"samples {both[:5].tolist()} are in both training and test")
    missing = np.setdiff1d(np.arange(len(groups)), np.union1d(train_index, test_index))
    if missing.size:
        return _verdict(f"{missing.size} samples are in neither split (e.g. {missing[:5].tolist()})")
    shared = np.intersect1d(groups[train_index], groups[test_index])
    if shared.size:
        return _verdict(
            f"{shared.size} groups (e.g. {shared[:5].tolist()}) have copies in training and test: "
            "split the group ids, then take every sample of a group to its group's side"
        )
    absent = sorted(set(labels.tolist()) - set(labels[test_index].tolist()))
    if absent:
        return _verdict(f"classes {absent} are missing from the test split: stratify by class")
    return _verdict(None)


@_unanswered_is_not_an_error
def check_leaked_fraction(answer: float, groups, train_index, test_index) -> bool:
    """Exercise 3.2: the share of test samples whose group (ECG) also appears in training."""
    from ecgkeras.data.splits import leaked_fraction

    truth = leaked_fraction(groups, train_index, test_index)
    answer = _number(answer)
    if abs(answer - truth) < 1e-9:
        return _verdict(None, f"Correct: {truth:.3f}.")
    if abs(answer - 100 * truth) < 1e-6:
        return _verdict("that is a percentage; give a fraction between 0 and 1")
    if abs(answer - truth * len(test_index)) < 1e-6:
        return _verdict("that is a count of samples; divide by the number of test samples")
    return _verdict(f"expected the fraction of test samples with an ECG seen in training; got {answer:.3f}")


# Chapters 4-8: the models --------------------------------------------------------------------


def _call_student(student_function, *args):
    """Run the student's function; return (answer, None) or (None, a message saying what went wrong)."""
    try:
        answer = student_function(*args)
    except Exception as error:  # the student's code may fail in any way: report it
        return None, f"your function raised {type(error).__name__}: {error}"
    if answer is None or answer is Ellipsis:
        return None, "your function returns None: replace the `...` placeholder"
    return answer, None


def _softmax(scores, axis):
    exponentials = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return exponentials / exponentials.sum(axis=axis, keepdims=True)


@_unanswered_is_not_an_error
def check_conv_parameters(answer, layer) -> bool:
    """Exercises 4.1 and 5.1: the number of weights of a Conv1D or Conv2D layer.

    A convolution learns one kernel per filter; each kernel spans the whole window (``kernel_size``
    samples, or rows x columns) and every input channel, plus one bias per filter when
    ``use_bias=True``. The weights are shared along the signal, so the count does not depend on
    its length. Compare with ``layer.count_params()`` once you have an answer.

    Args:
        answer: your count (an integer).
        layer: a built ``keras.layers.Conv1D`` or ``Conv2D``, e.g. ``encoder.get_layer("time_block1_conv")``.
    """
    import keras

    if not isinstance(layer, (keras.layers.Conv1D, keras.layers.Conv2D)) or not layer.built:
        raise ValueError(f"layer must be a built keras Conv1D or Conv2D layer, got {layer!r}")
    answer = _number(answer)
    *window_shape, channels, filters = layer.kernel.shape
    window = int(np.prod(window_shape))
    biases = filters if layer.use_bias else 0
    truth = window * channels * filters + biases
    formula = f"{' x '.join(map(str, window_shape))} x {channels} channels x {filters} filters"
    if answer == truth:
        return _verdict(None, f"Correct: {formula}{f' + {filters} biases' if biases else ''} = {truth:,}.")
    if answer == window * filters + biases:
        return _verdict(f"each kernel spans all {channels} input channels, not one: multiply by the "
                        "number of input channels")
    if not layer.use_bias and answer == truth + filters:
        return _verdict(f"{layer.name!r} has use_bias=False, so there are no biases to count (in the "
                        "book's encoders the BatchNormalization after each convolution supplies the shift)")
    if layer.use_bias and answer == truth - filters:
        return _verdict("add one bias per filter (use_bias=True)")
    if answer > truth and answer % truth == 0:
        return _verdict("the weights are shared along the signal: the count does not depend on its length")
    return _verdict(f"{answer:g} is not the count; a kernel has kernel_size x input channels weights, "
                    "one kernel per filter (plus one bias per filter if use_bias=True)")


@_unanswered_is_not_an_error
def check_output_length(answer, input_length: int, blocks: int) -> bool:
    """Exercises 4.2 and 6.2: the length left after ``blocks`` of Conv (padding "same") + MaxPooling(2).

    A "same" convolution keeps the length; ``MaxPooling(2, padding="same")`` halves it and keeps a
    last, incomplete window, so an odd length rounds up (125 -> 63).

    Args:
        answer: your length (an integer).
        input_length: samples (or bins) entering the first block, e.g. 250.
        blocks: number of blocks, e.g. 3.
    """
    if not isinstance(input_length, int) or input_length < 1:
        raise ValueError(f"input_length must be a positive integer, got {input_length!r}")
    if not isinstance(blocks, int) or blocks < 0:
        raise ValueError(f"blocks must be an integer >= 0, got {blocks!r}")
    answer = _number(answer)
    rounded_up = rounded_down = input_length
    lengths = [input_length]
    for _ in range(blocks):
        rounded_up = -(-rounded_up // 2)
        rounded_down = rounded_down // 2
        lengths.append(rounded_up)
    if answer == rounded_up:
        return _verdict(None, f"Correct: {' -> '.join(map(str, lengths))}.")
    if answer == rounded_down:
        return _verdict("pooling with padding='same' keeps the last, incomplete window, so an odd "
                        "length rounds up (e.g. 125 -> 63), not down")
    if answer == input_length:
        return _verdict("a 'same' convolution keeps the length, but each MaxPooling(2) halves it")
    if answer == input_length / 2**blocks:
        return _verdict("lengths are whole numbers: halve and round up once per block, not all at once")
    if answer in lengths:
        return _verdict(f"that is the length after {lengths.index(answer)} blocks; there are {blocks}")
    return _verdict(f"{answer:g} is not it: follow the length block by block, halving (rounding up) "
                    "at each pooling layer")


@_unanswered_is_not_an_error
def check_recall(answer, matrix) -> bool:
    """Exercise 5.2: per-class recall from a confusion matrix (rows true class, columns predicted).

    Recall of class c: the share of the samples whose true class is c that the model predicted as c.

    Args:
        answer: float (n_classes,), your recall per class, in 0..1.
        matrix: int (n_classes, n_classes), e.g. ``result.metrics["confusion_matrix"]``.
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square (n_classes, n_classes), got shape {matrix.shape}")
    answer = np.asarray(_indices(answer), dtype=float)
    diagonal = np.diag(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        truth = diagonal / matrix.sum(axis=1)
        precision = diagonal / matrix.sum(axis=0)
    if answer.shape != truth.shape:
        return _verdict(f"expected one recall per class, shape {truth.shape}, got {answer.shape}")
    if np.allclose(answer, truth, atol=1e-3, equal_nan=True):
        return _verdict(None, f"Correct: {np.round(truth, 2).tolist()}.")
    if np.allclose(answer, 100 * truth, atol=0.1, equal_nan=True):
        return _verdict("those are percentages; give shares between 0 and 1")
    if np.allclose(answer, precision, atol=1e-3, equal_nan=True):
        return _verdict("that is precision (divided by the column sums, the predicted counts); recall "
                        "divides the diagonal by the row sums, the true counts")
    if np.allclose(answer, diagonal):
        return _verdict("those are counts of correct predictions; divide each by its row's sum")
    return _verdict("recall of class c = matrix[c, c] / matrix[c].sum() (rows are the true classes)")


@_unanswered_is_not_an_error
def check_attention(student_function) -> bool:
    """Exercise 6.1: scaled dot-product attention in numpy.

    Your function takes ``queries`` (n_queries, d), ``keys`` (n_keys, d) and ``values``
    (n_keys, d_values) and returns float (n_queries, d_values):
    ``softmax(queries @ keys.T / sqrt(d)) @ values``, the softmax running over the keys (each
    row of weights sums to 1). Returning ``(output, weights)`` is fine too.
    """
    if student_function is Ellipsis:
        raise _Unanswered
    rng = np.random.default_rng(0)
    queries, keys = 2 * rng.standard_normal((3, 4)), 2 * rng.standard_normal((5, 4))
    values = rng.standard_normal((5, 2))
    answer, problem = _call_student(student_function, queries, keys, values)
    if problem:
        return _verdict(problem)
    if isinstance(answer, tuple):
        answer = answer[0]
    answer = np.asarray(answer, dtype=float)
    scores = queries @ keys.T
    truth = _softmax(scores / 2, axis=1) @ values
    if answer.shape != truth.shape:
        return _verdict(f"for 3 queries and values with 2 columns expected shape {truth.shape}, got "
                        f"{answer.shape}: weights (n_queries, n_keys) @ values (n_keys, d_values)")
    mistakes = [
        (_softmax(scores, axis=1) @ values, "scale the scores: divide them by sqrt(d) before the softmax"),
        (_softmax(scores / 4, axis=1) @ values, "divide the scores by the square root of d (here 2), not by d"),
        (_softmax(scores / 2, axis=0) @ values, "the softmax runs over the keys (axis 1): each query's "
                                                "weights must sum to 1"),
        (scores / 2 @ values, "turn the scores into weights with a softmax over the keys"),
    ]
    if np.allclose(answer, truth, atol=1e-6):
        return _verdict(None)
    for wrong, message in mistakes:
        if np.allclose(answer, wrong, atol=1e-6):
            return _verdict(message)
    return _verdict("expected softmax(queries @ keys.T / sqrt(d), over the keys) @ values")


def _all_layers(model) -> list:
    """Every layer of ``model``, nested models' layers included (depth first)."""
    import keras

    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found.extend(_all_layers(layer))
    return found


def _count(model, layer_type) -> int:
    return sum(isinstance(layer, layer_type) for layer in _all_layers(model))


def keras_model_problem(model, input_shapes: dict, n_classes: int = 4) -> str | None:
    """What is wrong with a classifier written in an exercise, or None if it is sound.

    For the checkers of the Keras exercises: builds nothing, runs ``model`` once on a small random batch and
    names the usual slips: not a ``keras.Model``, inputs with the wrong names or shapes, the wrong
    number of classes, logits instead of probabilities, an input that does not reach the output.

    Args:
        model: the student's model.
        input_shapes: view name -> input shape without the batch axis, e.g. ``{"time": (250, 12)}``.
        n_classes: number of classes the output must have.
    """
    import keras

    if model is Ellipsis or model is None:
        raise _Unanswered
    if not isinstance(model, keras.Model):
        return f"expected a keras.Model (keras.Model(inputs, outputs)), got {type(model).__name__}"
    names = sorted(tensor.name for tensor in model.inputs)
    if names != sorted(input_shapes):
        return (f"the inputs must be named {sorted(input_shapes)} (keras.Input(shape, name=...)), so that "
                f"a dict of views reaches the right branch; yours are {names}")
    for tensor in model.inputs:
        expected = tuple(input_shapes[tensor.name])
        if tuple(tensor.shape[1:]) != expected:
            return (f"input {tensor.name!r} must have shape {expected} without the batch axis, "
                    f"got {tuple(tensor.shape[1:])}")
    if len(model.outputs) != 1 or tuple(model.outputs[0].shape[1:]) != (n_classes,):
        shapes = [tuple(tensor.shape) for tensor in model.outputs]
        return (f"expected one output of shape (None, {n_classes}), one probability per class "
                f"(the last layer is Dense({n_classes}, ...)); got {shapes}")
    rng = np.random.default_rng(0)
    batch = {name: rng.standard_normal((3, *shape)).astype("float32") for name, shape in input_shapes.items()}
    probabilities = keras.ops.convert_to_numpy(model(batch, training=False))
    if not np.isfinite(probabilities).all():
        return "the model outputs NaN or inf on a random batch"
    if not np.allclose(probabilities.sum(axis=1), 1, atol=1e-4) or (probabilities < 0).any():
        return (f"the outputs are scores (logits), not probabilities: their rows sum to "
                f"{np.round(probabilities.sum(axis=1), 2).tolist()}; end with "
                f"Dense({n_classes}, activation=\"softmax\")")
    for view, shape in input_shapes.items():
        changed = dict(batch, **{view: rng.standard_normal((3, *shape)).astype("float32")})
        if np.allclose(keras.ops.convert_to_numpy(model(changed, training=False)), probabilities, atol=1e-7):
            return (f"the {view!r} input does not reach the output: changing it changes no prediction. "
                    f"Is its branch's output used (e.g. in the Concatenate)?")
    return None


@_unanswered_is_not_an_error
def check_keras_model(model, input_shapes: dict, n_classes: int = 4) -> bool:
    """Any exercise that builds a classifier: see :func:`keras_model_problem` for what is checked."""
    problem = keras_model_problem(model, input_shapes, n_classes)
    return _verdict(problem, None if problem else f"Correct: {model.count_params():,} parameters.")


@_unanswered_is_not_an_error
def check_residual_1d_cnn(model, input_shapes=None, n_classes: int = 4) -> bool:
    """Exercise 4.4: the chapter's 1D-CNN with a residual connection (a shortcut around a block).

    Expected: a sound classifier (:func:`keras_model_problem`) on the "time" view (250, 12) with at
    least one ``layers.Add`` that adds a block's input (through a 1x1 Conv1D where the number of
    filters or the length changes) to its output.
    """
    import keras

    input_shapes = input_shapes or {"time": (250, 12)}
    problem = keras_model_problem(model, input_shapes, n_classes)
    if problem is None and _count(model, keras.layers.Add) == 0:
        problem = ("no residual connection: add a block's input to its output with "
                   "layers.Add()([shortcut, x]) (a 1x1 Conv1D on the shortcut matches the filters)")
    return _verdict(problem, None if problem else
                    f"Correct: {_count(model, keras.layers.Add)} residual connection(s), "
                    f"{model.count_params():,} parameters.")


@_unanswered_is_not_an_error
def check_average_pooling_2d_cnn(model, input_shapes=None, n_classes: int = 4) -> bool:
    """Exercise 5.4: the chapter's 2D-CNN with average pooling instead of max pooling.

    Expected: a sound classifier (:func:`keras_model_problem`) on the "scalogram" view
    (64, 64, 12) whose blocks pool with ``layers.AveragePooling2D`` and no ``MaxPooling2D`` remains.
    """
    import keras

    input_shapes = input_shapes or {"scalogram": (64, 64, 12)}
    problem = keras_model_problem(model, input_shapes, n_classes)
    if problem is None and _count(model, keras.layers.MaxPooling2D):
        problem = (f"{_count(model, keras.layers.MaxPooling2D)} MaxPooling2D layer(s) left: "
                   "replace each with layers.AveragePooling2D(2, padding=\"same\")")
    if problem is None and not _count(model, keras.layers.AveragePooling2D):
        problem = "no AveragePooling2D layer: each block should end with layers.AveragePooling2D(2)"
    return _verdict(problem, None if problem else f"Correct: {model.count_params():,} parameters, "
                    f"{_count(model, keras.layers.AveragePooling2D)} average-pooling layers.")


@_unanswered_is_not_an_error
def check_pre_norm_block(student_function, tokens: int = 32, dim: int = 64) -> bool:
    """Exercise 6.4: a pre-norm Transformer block, ``student_function(x) -> y``.

    Expected, for symbolic tokens ``x`` (batch, tokens, dim): ``y`` of the same shape, built from
    one ``MultiHeadAttention``, two ``LayerNormalization`` and two ``Add`` layers, with each
    normalization *before* its sublayer (``x + attention(norm(x))``, then
    ``x + ffn(norm(x))``): the block ends with an addition, not a normalization.
    """
    import keras

    if student_function is Ellipsis or student_function is None:
        raise _Unanswered
    inputs = keras.Input((tokens, dim), name="tokens")
    try:
        outputs = student_function(inputs)
    except Exception as error:  # noqa: BLE001 - shown to the student
        return _verdict(f"calling your function on keras.Input(({tokens}, {dim})) raised "
                        f"{type(error).__name__}: {error}")
    if outputs is None:
        raise _Unanswered
    if not keras.utils.is_keras_tensor(outputs):
        return _verdict(f"return the block's output tensor (a KerasTensor), got {type(outputs).__name__}")
    if tuple(outputs.shape[1:]) != (tokens, dim):
        return _verdict(f"a Transformer block keeps its input's shape ({tokens}, {dim}); "
                        f"yours returns {tuple(outputs.shape[1:])}")
    block = keras.Model(inputs, outputs)
    counts = {name: _count(block, getattr(keras.layers, name))
              for name in ("MultiHeadAttention", "LayerNormalization", "Add")}
    if counts != {"MultiHeadAttention": 1, "LayerNormalization": 2, "Add": 2}:
        return _verdict(f"expected 1 MultiHeadAttention, 2 LayerNormalization and 2 Add layers, got {counts}")
    if isinstance(block.layers[-1], keras.layers.LayerNormalization):
        return _verdict("your block ends with a LayerNormalization: that is the chapter's post-norm block. "
                        "In a pre-norm block each sublayer normalizes its input, x + attention(norm(x)), "
                        "and the block ends with the residual addition")
    first = block.layers[1] if len(block.layers) > 1 else None
    if not isinstance(first, keras.layers.LayerNormalization):
        return _verdict("the first thing a pre-norm block does with its input is normalize it: "
                        f"layers.LayerNormalization()(x), then attention; yours starts with "
                        f"{type(first).__name__}")
    values = keras.ops.convert_to_numpy(block(np.random.default_rng(0).standard_normal((2, tokens, dim))))
    if not np.isfinite(values).all():
        return _verdict("the block outputs NaN or inf on a random batch")
    return _verdict(None, f"Correct: a pre-norm block with {block.count_params():,} parameters.")


@_unanswered_is_not_an_error
def check_hybrid_model(model, input_shapes=None, n_classes: int = 4) -> bool:
    """Exercise 7.1: your Hybrid 1, built with the functional API.

    Expected: a sound classifier (:func:`keras_model_problem`) with two inputs named "time"
    (250, 12) and "scalogram" (64, 64, 12) (names matter: the book feeds dicts keyed by view), one
    branch per input, their feature vectors joined by a ``Concatenate`` layer, and a softmax over
    ``n_classes`` classes.

    Args:
        model: your model.
        input_shapes: view name -> shape without the batch axis (default: the book's time and
            scalogram shapes).
        n_classes: number of classes.
    """
    import keras

    input_shapes = input_shapes or {"time": (250, 12), "scalogram": (64, 64, 12)}
    problem = keras_model_problem(model, input_shapes, n_classes)
    if problem is None and not _count(model, keras.layers.Concatenate):
        problem = "feature-level fusion joins the branches' feature vectors with layers.Concatenate()"
    return _verdict(problem, None if problem else f"Correct: {model.count_params():,} parameters.")


@_unanswered_is_not_an_error
def check_late_fusion_model(model, input_shapes=None, n_classes: int = 4) -> bool:
    """Exercise 8.4: late fusion of two views written in Keras.

    Expected: a sound classifier (:func:`keras_model_problem`) with inputs "time" (250, 12) and
    "scalogram" (64, 64, 12), one ``Dense(n_classes, activation="softmax")`` per branch, and a
    ``layers.Average`` of the branches' probabilities as the output.
    """
    import keras

    input_shapes = input_shapes or {"time": (250, 12), "scalogram": (64, 64, 12)}
    problem = keras_model_problem(model, input_shapes, n_classes)
    softmax_heads = [layer for layer in _all_layers(model) if isinstance(layer, keras.layers.Dense)
                     and layer.get_config().get("activation") == "softmax"]
    if problem is None and len(softmax_heads) < len(input_shapes):
        problem = (f"late fusion gives every branch its own softmax: expected {len(input_shapes)} "
                   f"Dense({n_classes}, activation=\"softmax\") layers, found {len(softmax_heads)}")
    if problem is None and not isinstance(model.layers[-1], keras.layers.Average):
        problem = ("the output should be the mean of the branches' probabilities: end with "
                   f"layers.Average()([...]), not {type(model.layers[-1]).__name__}")
    return _verdict(problem, None if problem else f"Correct: {model.count_params():,} parameters.")


@_unanswered_is_not_an_error
def check_disagreements(answer, labels, predicted_a, predicted_b) -> bool:
    """Exercise 7.2: on how many test ECGs is model A right and B wrong, and B right and A wrong?

    Only these ECGs separate two models tested on the same samples: the accuracy difference is
    ``(a_only - b_only) / n``, and paired tests (McNemar's, the bootstrap of part III) start here.

    Args:
        answer: ``(a_only, b_only)``, two counts.
        labels: int (n,) true classes.
        predicted_a, predicted_b: int (n,) the classes predicted by models A and B.
    """
    labels, predicted_a, predicted_b = (np.asarray(x) for x in (labels, predicted_a, predicted_b))
    if not labels.ndim == 1 or predicted_a.shape != labels.shape or predicted_b.shape != labels.shape:
        raise ValueError(f"labels, predicted_a and predicted_b must be 1-D arrays of one length, got shapes "
                         f"{labels.shape}, {predicted_a.shape}, {predicted_b.shape}")
    answer = np.asarray(_indices(answer), dtype=float)
    if answer.shape != (2,):
        return _verdict(f"give two counts, (a_only, b_only), got shape {answer.shape}")
    right_a, right_b = predicted_a == labels, predicted_b == labels
    a_only, b_only = int((right_a & ~right_b).sum()), int((right_b & ~right_a).sum())
    if answer.tolist() == [a_only, b_only]:
        difference = (a_only - b_only) / len(labels)
        return _verdict(None, f"Correct: A alone is right on {a_only} ECGs, B alone on {b_only};\n"
                              f"the accuracy difference is ({a_only} - {b_only}) / {len(labels)} = "
                              f"{difference:+.3f}.")
    if answer.tolist() == [b_only, a_only]:
        return _verdict("the order is swapped: first A right and B wrong, then B right and A wrong")
    if answer.tolist() == [int(right_a.sum()), int(right_b.sum())]:
        return _verdict("those are each model's correct predictions; count only the ECGs where exactly one "
                        "of the two is right")
    if int((predicted_a != predicted_b).sum()) in answer.tolist():
        return _verdict("two models can disagree and both be wrong: count the ECGs where exactly one is right")
    return _verdict("a_only = ECGs where A is right and B is wrong; b_only the other way round")


@_unanswered_is_not_an_error
def check_late_fusion(student_function) -> bool:
    """Exercise 8.1: late fusion, the mean of the branches' class probabilities.

    Your function takes a list of float arrays (n, n_classes), one per branch (each row sums to 1),
    and returns the fused probabilities float (n, n_classes), whose rows again sum to 1.
    """
    if student_function is Ellipsis:
        raise _Unanswered
    rng = np.random.default_rng(1)
    branches = [_softmax(2 * rng.standard_normal((6, 4)), axis=1) for _ in range(3)]
    answer, problem = _call_student(student_function, [b.copy() for b in branches])
    if problem:
        return _verdict(problem)
    answer = np.asarray(answer, dtype=float)
    stacked = np.stack(branches)
    truth = stacked.mean(axis=0)
    if answer.shape == (6,):
        return _verdict("return the fused probabilities (n, n_classes), not the predicted labels")
    if answer.shape != truth.shape:
        return _verdict(f"expected shape {truth.shape} (samples, classes), got {answer.shape}: average over "
                        "the branches, i.e. the first axis of np.stack(branch_probabilities)")
    if np.allclose(answer, truth):
        return _verdict(None)
    if np.allclose(answer, stacked.sum(axis=0)):
        return _verdict("the rows must sum to 1: divide the sum by the number of branches (take the mean)")
    votes = np.eye(4)[stacked.argmax(axis=2)].mean(axis=0)
    if np.allclose(answer, votes):
        return _verdict("that is a vote (the share of branches predicting each class); average the "
                        "probabilities themselves, so a confident branch counts more")
    product = stacked.prod(axis=0)
    if np.allclose(answer, product) or np.allclose(answer, product / product.sum(axis=1, keepdims=True)):
        return _verdict("multiplying the probabilities is another rule (a product of experts); the "
                        "book's late fusion takes their mean")
    return _verdict("expected the mean of the branch probabilities, sample by sample and class by class")


@_unanswered_is_not_an_error
def check_attention_fusion(student_function) -> bool:
    """Exercise 8.2: attention fusion's forward pass in numpy.

    Your function takes ``features`` float (n, views, width) (each view's projected feature
    vector), ``score_weights`` float (width,) and ``score_bias`` (a float), and returns
    ``(weights, fused)``: ``weights`` float (n, views), the softmax over the views of
    ``features @ score_weights + score_bias``; ``fused`` float (n, width), the sum of the views'
    features weighted by them. (``ecgkeras.models.fusion`` does the same with Keras layers.)
    """
    if student_function is Ellipsis:
        raise _Unanswered
    rng = np.random.default_rng(2)
    features = rng.standard_normal((5, 3, 4))
    score_weights, score_bias = rng.standard_normal(4), 0.3
    answer, problem = _call_student(student_function, features.copy(), score_weights.copy(), score_bias)
    if problem:
        return _verdict(problem)
    if not isinstance(answer, tuple) or len(answer) != 2:
        return _verdict("return two arrays, (weights, fused)")
    weights, fused = (np.asarray(a, dtype=float) for a in answer)
    scores = features @ score_weights + score_bias  # (n, views)
    truth_weights = _softmax(scores, axis=1)
    if weights.shape != truth_weights.shape:
        return _verdict(f"weights must have one value per sample and view, shape {truth_weights.shape}, "
                        f"got {weights.shape}")
    if np.allclose(weights, _softmax(scores, axis=0)):
        return _verdict("the softmax runs over the views (axis 1): each sample's weights must sum to 1")
    if np.allclose(weights, scores):
        return _verdict("turn the scores into weights with a softmax over the views")
    if not np.allclose(weights, truth_weights):
        return _verdict("weights: score each view with features @ score_weights + score_bias, "
                        "then a softmax over the views")
    truth_fused = np.einsum("nv,nvw->nw", truth_weights, features)
    if fused.shape != truth_fused.shape:
        return _verdict(f"fused must be one feature vector per sample, shape {truth_fused.shape}, got {fused.shape}")
    if np.allclose(fused, features.mean(axis=1)):
        return _verdict("fused is a plain mean of the views: weight each view's features by its attention weight")
    if not np.allclose(fused, truth_fused):
        return _verdict("fused: multiply each view's features by its weight and sum over the views")
    return _verdict(None)


# Chapters 9-10: complementarity and "is the gain real?" -------------------------------------


@_unanswered_is_not_an_error
def check_mean_abs_correlation(student_function) -> bool:
    """Exercise 9.1: mean |r| between two domains' features, by hand.

    Your function takes ``features_a`` float (n, d_a) and ``features_b`` float (n, d_b), the two
    domains' features of the same n ECGs, and returns one float: the mean, over all d_a x d_b
    pairs (feature i of a, feature j of b), of the absolute Pearson correlation of the two
    columns. (``ecgkeras.complementarity.correlation_summary`` computes it as ``"mean_abs_r"``.)
    """
    from ecgkeras.complementarity import correlation_summary

    if student_function is Ellipsis:
        raise _Unanswered
    rng = np.random.default_rng(9)
    shared = rng.standard_normal((200, 1))
    a = np.hstack([shared, rng.standard_normal((200, 2))]) * [1.0, 5.0, 0.2] + [0.0, 3.0, -1.0]
    b = np.hstack([-shared + 0.5 * rng.standard_normal((200, 1)), rng.standard_normal((200, 3))]) * 4.0
    answer, problem = _call_student(student_function, a.copy(), b.copy())
    if problem:
        return _verdict(problem)
    if np.size(answer) != 1:
        return _verdict(f"return one number (the mean over all pairs), got an array of shape {np.shape(answer)}")
    answer, truth = float(np.ravel(answer)[0]), correlation_summary(a, b)
    if np.isclose(answer, truth["mean_abs_r"], atol=1e-3):
        return _verdict(None, f"Correct: mean |r| = {answer:.3f}; the signed mean is {truth['mean_r']:+.3f}, "
                              "pulled towards 0 because the shared feature enters b with a minus sign.")
    if np.isclose(answer, truth["mean_r"], atol=1e-3):
        return _verdict("that is the signed mean: take the absolute value of each correlation before averaging "
                        "(a learned feature's sign is arbitrary)")
    centred_a, centred_b = a - a.mean(axis=0), b - b.mean(axis=0)
    if np.isclose(answer, np.abs(centred_a.T @ centred_b / len(a)).mean(), rtol=1e-2):
        return _verdict("that is the mean |covariance|: divide each covariance by the two standard deviations "
                        "(or standardise the columns first)")
    if np.isclose(answer, np.abs(np.corrcoef(a.T, b.T)).mean(), atol=1e-3):
        return _verdict("np.corrcoef(a.T, b.T) is the (d_a + d_b) x (d_a + d_b) matrix of all features, including "
                        "a with a and b with b: keep only the block [:d_a, d_a:] that pairs a domain with the other")
    return _verdict(f"expected about {truth['mean_abs_r']:.3f}: standardise each column, take the d_a x d_b matrix "
                    "of correlations, then the mean of its absolute values")


@_unanswered_is_not_an_error
def check_gaussian_mutual_information(answer, correlation: float) -> bool:
    """Exercise 9.2: the mutual information of two Gaussian variables with correlation rho, in nats.

    I(X; Y) = -1/2 log(1 - rho^2) (natural logarithm). ``ecgkeras.complementarity.gaussian_mutual_information``
    gives it for blocks of any size.
    """
    if not -1 < correlation < 1:
        raise ValueError(f"correlation must lie strictly between -1 and 1, got {correlation}")
    answer = _number(answer)
    truth = -0.5 * np.log(1 - correlation ** 2)
    if np.isclose(answer, truth, rtol=1e-3):
        return _verdict(None, f"Correct: {truth:.4f} nats.")
    if np.isclose(answer, truth / np.log(2), rtol=1e-3):
        return _verdict("that is in bits (log base 2); the book measures information in nats (natural log)")
    if np.isclose(answer, -truth, rtol=1e-3):
        return _verdict("mutual information is never negative: -1/2 log(1 - rho^2), and log(1 - rho^2) < 0")
    if np.isclose(answer, 2 * truth, rtol=1e-3):
        return _verdict("twice the answer: the formula has a factor 1/2")
    if np.isclose(answer, -0.5 * np.log(1 - abs(correlation)), rtol=1e-3):
        return _verdict("square the correlation: -1/2 log(1 - rho^2)")
    return _verdict(f"for rho = {correlation} use I = -1/2 log(1 - rho^2)")


@_unanswered_is_not_an_error
def check_paired_bootstrap(student_function) -> bool:
    """Exercise 10.1: a paired bootstrap of the accuracy difference, by hand.

    Your function takes ``labels`` int (n,), ``predicted_a`` and ``predicted_b`` int (n,) (two
    models' predicted classes of the same ECGs), ``n_boot`` and ``seed``, and returns float
    (n_boot,): accuracy(A) - accuracy(B) on each of ``n_boot`` resamples of the n ECGs drawn with
    replacement, the same ECGs for both models. (``ecgkeras.stats.paired_bootstrap`` does this
    for four metrics.)
    """
    if student_function is Ellipsis:
        raise _Unanswered
    rng = np.random.default_rng(10)
    labels = rng.integers(0, 4, 120)
    predicted_a = np.where(rng.random(120) < 0.9, labels, (labels + 1) % 4)
    predicted_b = np.where(rng.random(120) < 0.65, labels, (labels + 2) % 4)
    answer, problem = _call_student(student_function, labels.copy(), predicted_a.copy(), predicted_b.copy(), 2000, 0)
    if problem:
        return _verdict(problem)
    answer = np.asarray(answer, dtype=float)
    if answer.shape != (2000,):
        return _verdict(f"return one difference per resample, shape (n_boot,) = (2000,), got {answer.shape}")
    observed = np.mean(predicted_a == labels) - np.mean(predicted_b == labels)
    if np.isclose(answer.mean(), -observed, atol=0.02):  # observed is about +0.2
        return _verdict("the sign is flipped: return accuracy(A) - accuracy(B)")
    if np.allclose(answer, observed):
        return _verdict("every resample gives the observed difference: draw new indices for each resample "
                        "(rng.integers(0, n, size=n) inside the loop)")
    same, problem = _call_student(student_function, labels.copy(), predicted_a.copy(), predicted_a.copy(), 200, 0)
    if problem:
        return _verdict(problem)
    if not np.allclose(np.asarray(same, dtype=float), 0):
        return _verdict("two identical models must differ by exactly 0 on every resample; yours do not, so A and B "
                        "are resampled with different indices: draw one index array per resample and use it for both")
    per_ecg = (predicted_a == labels).astype(float) - (predicted_b == labels)  # +1, 0 or -1 per ECG
    expected_sd = per_ecg.std() / np.sqrt(len(labels))  # the standard error of the mean difference
    if not np.isclose(answer.mean(), observed, atol=0.015):
        return _verdict(f"the resampled differences should centre on the observed one ({observed:+.3f}), yours on "
                        f"{answer.mean():+.3f}: compare the models' accuracies on the same resampled ECGs")
    if not 0.6 * expected_sd < answer.std() < 1.4 * expected_sd:
        return _verdict(f"the spread of your differences ({answer.std():.3f}) is far from what resampling n = "
                        f"{len(labels)} ECGs with replacement gives (about {expected_sd:.3f}): draw n indices per "
                        "resample, with replacement")
    return _verdict(None, f"Correct: mean {answer.mean():+.3f}, 95 % interval "
                          f"[{np.percentile(answer, 2.5):+.3f}, {np.percentile(answer, 97.5):+.3f}].")


@_unanswered_is_not_an_error
def check_posterior_mean(answer, correct: int, n: int) -> bool:
    """Exercise 10.2: the posterior mean of an accuracy with a uniform Beta(1, 1) prior.

    With ``correct`` right answers out of ``n`` test ECGs the posterior is
    Beta(1 + correct, 1 + n - correct), whose mean is (correct + 1) / (n + 2).
    """
    if not 0 <= correct <= n:
        raise ValueError(f"correct must be between 0 and n = {n}, got {correct}")
    answer = _number(answer)
    truth = (correct + 1) / (n + 2)
    if np.isclose(answer, truth, rtol=1e-4):
        return _verdict(None, f"Correct: ({correct} + 1) / ({n} + 2) = {truth:.4f}, a little closer to 1/2 than "
                              f"the observed {correct / n:.4f}.")
    if np.isclose(answer, correct / n, rtol=1e-4):
        return _verdict("that is the observed accuracy; the uniform prior Beta(1, 1) adds one right and one wrong "
                        "answer to the counts")
    if np.isclose(answer, (correct + 1) / (n + 1), rtol=1e-4):
        return _verdict("the posterior is Beta(1 + correct, 1 + n - correct); its mean is alpha / (alpha + beta), "
                        "and alpha + beta = n + 2")
    return _verdict("the mean of Beta(alpha, beta) is alpha / (alpha + beta), with alpha = 1 + correct and "
                    "beta = 1 + n - correct")


# Chapter 11 ---------------------------------------------------------------------------------


def _tiny_classifier(seed: int):
    """A small numpy classifier for the chapter 11 checks, with its exact gradients.

    x float (6, 2) -> flatten -> tanh(W1 x + b1) (5 units) -> scores W2 h + b2 (3 classes) ->
    softmax. Returns ``(probabilities, gradient, score_gradient)``: ``probabilities(x)`` float
    (3,); ``gradient(x, c)`` and ``score_gradient(x, c)`` float (6, 2), the gradients of class c's
    probability and of its score before the softmax.
    """
    rng = np.random.default_rng(seed)
    w1, b1 = rng.standard_normal((5, 12)) / 2, rng.standard_normal(5) / 2
    w2, b2 = rng.standard_normal((3, 5)) * 1.5, rng.standard_normal(3) / 2

    def forward(x):
        hidden = np.tanh(w1 @ np.asarray(x, dtype=float).reshape(12) + b1)
        return hidden, _softmax(w2 @ hidden + b2, axis=0)

    def probabilities(x):
        return forward(x)[1]

    def back(hidden, score_weights):  # d/dx of score_weights . (W2 h + b2)
        return (w1.T @ ((1 - hidden**2) * (w2.T @ score_weights))).reshape(6, 2)

    def gradient(x, c):
        hidden, p = forward(x)
        return back(hidden, p[c] * (np.eye(3)[c] - p))  # softmax: dp_c/dz = p_c (e_c - p)

    def score_gradient(x, c):
        return back(forward(x)[0], np.eye(3)[c])

    return probabilities, gradient, score_gradient


def _close(answer, truth, rtol: float) -> bool:
    return answer.shape == truth.shape and bool(np.all(np.abs(answer - truth) <= rtol * np.abs(truth).max() + 1e-12))


@_unanswered_is_not_an_error
def check_finite_difference_saliency(student_function) -> bool:
    """Exercise 11.1: saliency by finite differences, without any automatic differentiation.

    Your function ``finite_difference_saliency(f, x, class_index, eps)`` takes a model ``f``
    (float array with the shape of ``x`` -> class probabilities (n_classes,)), one input ``x``
    float (samples, leads), a class index and a step ``eps``, and returns float with the shape of
    ``x``: for every input value x_i, |f(x + eps e_i)[c] - f(x - eps e_i)[c]| / (2 eps), where
    e_i changes that one value only (a forward difference, divided by eps, is fine too). The
    check runs it on a small tanh network whose exact gradients it knows.
    """
    if student_function is Ellipsis:
        raise _Unanswered
    probabilities, gradient, score_gradient = _tiny_classifier(seed=11)
    x = np.random.default_rng(1).standard_normal((6, 2))
    given = x.copy()
    c, eps = 2, 1e-5
    answer, problem = _call_student(student_function, probabilities, given, c, eps)
    if problem:
        return _verdict(problem)
    if not np.array_equal(given, x):
        return _verdict("your function changed x in place: perturb a copy (x.copy()), so that every "
                        "difference starts from the same x")
    answer = np.asarray(answer, dtype=float)
    truth = gradient(x, c)
    if answer.shape != x.shape:
        hint = " (reshape it to x.shape)" if answer.size == x.size else ""
        return _verdict(f"expected one value per input value, shape {x.shape}, got {answer.shape}{hint}")
    if not np.isfinite(answer).all():
        return _verdict("your saliency holds NaN or infinite values")
    if _close(answer, np.abs(truth), rtol=1e-3):
        position = tuple(int(i) for i in np.unravel_index(np.abs(truth).argmax(), x.shape))
        return _verdict(None, f"Correct: the largest sensitivity is {np.abs(truth).max():.4f} per input unit, "
                              f"at position {position}.")
    mistakes = [
        (truth, "you return the signed gradient; saliency is its absolute value (np.abs)"),
        (2 * np.abs(truth), "twice too large: a central difference f(x + eps) - f(x - eps) spans 2 eps, "
                            "so divide by 2 eps"),
        (np.abs(truth) / 2, "half too small: a forward difference f(x + eps) - f(x) spans one eps, so "
                            "divide by eps"),
        (eps * np.abs(truth), "divide the difference of the two outputs by the step (eps), to get a "
                              "slope per input unit"),
        (2 * eps * np.abs(truth), "divide the difference of the two outputs by the step (2 eps), to get "
                                  "a slope per input unit"),
        (np.abs(score_gradient(x, c)), "that is the gradient of the score before the softmax; "
                                       "differentiate the probability f(x)[class_index]"),
    ]
    mistakes += [(np.abs(gradient(x, k)), f"that is the saliency of class {k}; use f(...)[class_index] "
                                          f"(here class {c})") for k in range(3) if k != c]
    for wrong, message in mistakes:
        if _close(answer, wrong, rtol=1e-3):
            return _verdict(message)
    if np.allclose(answer, answer.flat[0]):
        return _verdict("every value is the same: change one input value at a time (a copy of x with "
                        "only x[i, j] moved by eps), not the whole x")
    return _verdict("for each position (i, j): copy x, add eps to x[i, j] only, and take "
                    "|f(moved)[c] - f(x)[c]| / eps (or the central difference over 2 eps)")


@_unanswered_is_not_an_error
def check_integrated_gradients(student_function) -> bool:
    """Exercise 11.2: integrated gradients as a Riemann sum, and their completeness.

    Your function ``integrated_gradients(gradient, x, baseline, steps)`` takes ``gradient``
    (float array with the shape of ``x`` -> the gradient of one class probability there, same
    shape), the input ``x`` and the ``baseline`` (float, same shape) and a number of ``steps``,
    and returns float with the shape of ``x``: (x - baseline) times the mean of the gradients at
    the points baseline + alpha (x - baseline) for ``steps`` values of alpha spread over [0, 1]
    (left, right, midpoint or trapezoidal rule: any of them). The check runs it on a small tanh
    network, with a baseline that is not zero, and compares the sum of your attributions with
    f(x) - f(baseline).
    """
    if student_function is Ellipsis:
        raise _Unanswered
    probabilities, gradient, _ = _tiny_classifier(seed=12)
    rng = np.random.default_rng(2)
    x, baseline = rng.standard_normal((6, 2)) * 1.5, np.full((6, 2), 0.3)
    c, steps = 0, 100

    def class_gradient(point):
        return gradient(point, c)

    answer, problem = _call_student(student_function, class_gradient, x.copy(), baseline.copy(), steps)
    if problem:
        return _verdict(problem)
    answer = np.asarray(answer, dtype=float)
    if answer.shape != x.shape:
        hint = " (reshape it to x.shape)" if answer.size == x.size else ""
        return _verdict(f"expected one attribution per input value, shape {x.shape}, got {answer.shape}{hint}")
    if not np.isfinite(answer).all():
        return _verdict("your attributions hold NaN or infinite values")
    alphas = (np.arange(2000) + 0.5) / 2000  # midpoint rule, fine enough to be exact here
    mean_gradient = np.mean([class_gradient(baseline + a * (x - baseline)) for a in alphas], axis=0)
    truth = (x - baseline) * mean_gradient
    difference = probabilities(x)[c] - probabilities(baseline)[c]
    total = answer.sum()
    if _close(answer, truth, rtol=0.03) and abs(total - difference) <= 0.02 * abs(difference) + 1e-3:
        return _verdict(None, f"Correct: your attributions add up to {total:.4f}, and f(x) - f(baseline) = "
                              f"{difference:.4f} (completeness).")
    from_zero = x * np.mean([class_gradient(a * x) for a in alphas], axis=0)
    mistakes = [
        (-truth, "the sign is flipped: multiply by (x - baseline), not (baseline - x)"),
        (mean_gradient, "that is the mean gradient along the path; multiply it by (x - baseline)"),
        (steps * truth, f"about {steps} times too large: average the gradients over the path (divide "
                        "their sum by the number of points), don't just add them up"),
        ((x - baseline) * class_gradient(x), "that is gradient x input at x alone; average the gradients "
                                             "at many points baseline + alpha (x - baseline) between the "
                                             "baseline and x"),
        (x * mean_gradient, "multiply the mean gradient by (x - baseline), not by x"),
        (from_zero, "the path starts at the baseline, not at 0: the points are "
                    "baseline + alpha (x - baseline)"),
    ]
    for wrong, message in mistakes:
        if _close(answer, wrong, rtol=0.03):
            return _verdict(message)
    return _verdict(f"your attributions add up to {total:.4f}, but f(x) - f(baseline) = {difference:.4f}: "
                    "average gradient(baseline + alpha (x - baseline)) over alpha in [0, 1], then "
                    "multiply by (x - baseline)")


# Chapter 12 ---------------------------------------------------------------------------------


@_unanswered_is_not_an_error
def check_mean_accuracy_per_model(student_function) -> bool:
    """Exercise 12.1: mean accuracy per model from the tidy results of a ``reproduce`` run.

    Your function takes the tidy DataFrame (columns "model", "fold", "seed", "metric", "value";
    one row per model, fold, seed and metric) and returns a pandas Series: the mean accuracy over
    folds and seeds, indexed by model. (``ecgkeras.experiment.summarize`` gives it as "accuracy mean".)
    """
    import pandas as pd

    if student_function is Ellipsis:
        raise _Unanswered
    rng = np.random.default_rng(12)
    rows = [{"model": model, "fold": fold, "seed": seed, "metric": metric,
             "value": float(rng.uniform(0.5, 0.9)) if metric != "epochs" else float(rng.integers(5, 40))}
            for model in ("1D-CNN", "2D-CNN", "Hybrid 1") for fold in range(3) for seed in range(2)
            for metric in ("accuracy", "macro_f1", "epochs")]
    results = pd.DataFrame(rows)
    answer, problem = _call_student(student_function, results.copy())
    if problem:
        return _verdict(problem)
    accuracy = results[results["metric"] == "accuracy"]
    truth = accuracy.groupby("model")["value"].mean()
    if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
        answer = answer.iloc[:, 0]
    if not isinstance(answer, pd.Series):
        return _verdict(f"return a pandas Series indexed by model, got {type(answer).__name__}")
    if set(answer.index) != set(truth.index):
        return _verdict(f"the index must be the models {sorted(truth.index)}, got {sorted(map(str, answer.index))}: "
                        "group by the column 'model'")
    answer = answer.loc[truth.index].astype(float)
    if np.allclose(answer, truth):
        return _verdict(None)
    if np.allclose(answer, results.groupby("model")["value"].mean().loc[truth.index]):
        return _verdict("that averages every metric (accuracy, macro F1 and epochs) together: keep the rows whose "
                        "metric is 'accuracy' first")
    first_seed = accuracy[accuracy["seed"] == 0].groupby("model")["value"].mean()
    if np.allclose(answer, first_seed):
        return _verdict("that is the mean of seed 0 only: average over every fold and seed")
    return _verdict("keep the accuracy rows, group them by model and take the mean of 'value'")
