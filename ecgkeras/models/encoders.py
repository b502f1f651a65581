"""One encoder per signal domain: each turns one view of an ECG into a deep feature vector.

Chapters 4-6 write each encoder out on the page with ``keras.layers`` (``make_time_encoder``,
``make_scalogram_encoder``, ``make_spectrum_encoder``); the builders here are the same models,
packaged for the later chapters and ``ecgkeras reproduce``. ``tests/test_book_keras.py`` runs the
chapters' cells and checks that both build identical models (layers, settings, shapes, parameters,
initial weights). The study (Oladunni & Wong, 2025) uses a 1D-CNN for the time
signal, a 2D-CNN for the time-frequency scalogram and a 1D-CNN followed by Transformer encoder
blocks for the frequency spectrum. It does not publish layer sizes: the sizes here are the book's
choice, small enough to train in seconds per epoch on a 2-core CPU and on a Colab GPU alike.

Every encoder is a ``keras.Model`` with one input named after its view and one output, the
feature vector float32 (batch, features), from a layer named ``f"{name}_features"``.
Parameter counts with the defaults (features=64): time (250, 12) 46,656; scalogram
(64, 64, 12) 29,376; spectrum (126, 12) 86,464 (``model.count_params()``).

Only Keras layers and ``keras.ops`` are used, so the encoders run on any Keras 3 backend.
Weights are drawn from Keras's global random state: call ``keras.utils.set_random_seed`` first
(``build_classifier(..., seed=0)`` does) for reproducible weights.
"""

from __future__ import annotations

import numbers

import keras
from keras import layers, ops

from ecgkeras.views import VIEW_LAYOUTS  # view name -> the axes of its input (channels-last)

#: Batch-normalization momentum. Keras's default (0.99) adapts too slowly with ~20 steps per
#: epoch: the running statistics stayed far from the batch statistics and models predicted one
#: class at test time (the 2D-CNN and the hybrids, in a first experiment on the real images);
#: 0.9 fixed it.
BATCHNORM_MOMENTUM = 0.9

#: Filters of the three convolution blocks of the time and scalogram encoders.
TIME_FILTERS = (32, 64, 128)
SCALOGRAM_FILTERS = (16, 32, 64)


@keras.saving.register_keras_serializable(package="ecgkeras")
class PositionEmbedding(layers.Layer):
    """Adds a learned vector per position, so that attention knows where each token sits.

    Chapter 6 (the position embedding, written on the page as the same class).

    Input and output: float32 (batch, positions, dim). One trainable weight (positions, dim).
    Written with ``keras.ops`` only, so it runs on every Keras backend.
    """

    def build(self, input_shape):
        self.positions = self.add_weight(
            shape=(input_shape[1], input_shape[2]),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="positions",
        )

    def call(self, inputs):
        return inputs + ops.expand_dims(self.positions, 0)


def check_input_shape(input_shape, view: str, argument: str = "input_shape") -> tuple[int, ...]:
    """Return ``input_shape`` as a tuple of ints, or raise ValueError naming ``argument``.

    A valid shape has one positive integer per axis of ``VIEW_LAYOUTS[view]``, e.g. (250, 12)
    for "time"; the batch axis is left out.
    """
    layout = VIEW_LAYOUTS[view]
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else (input_shape,)
    if len(shape) != len(layout) or not all(
        isinstance(size, numbers.Integral) and size > 0 for size in shape
    ):
        raise ValueError(
            f"{argument} must be ({', '.join(layout)}) for the {view} view, without the batch axis "
            f"({len(layout)} positive integers), got {input_shape!r}"
        )
    return tuple(int(size) for size in shape)


def _check_options(features, dropout, l2) -> None:
    if not isinstance(features, int) or features < 1:
        raise ValueError(f"features must be a positive integer, got {features!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0 (0 turns weight decay off), got {l2!r}")


def _regularizer(l2: float):
    return keras.regularizers.L2(l2) if l2 > 0 else None


def _conv_block(x, conv, filters, kernel_size, pool, l2, name):
    """Convolution, batch normalization, ReLU, max pooling (halves each spatial axis)."""
    x = conv(filters, kernel_size, padding="same", use_bias=False,
             kernel_regularizer=_regularizer(l2), name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=BATCHNORM_MOMENTUM, name=f"{name}_bn")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    return pool(2, padding="same", name=f"{name}_pool")(x)


def _feature_head(x, pooling, features, dropout, l2, name):
    """Global average pooling, dropout, and the Dense layer whose output is the feature vector."""
    x = pooling(name=f"{name}_gap")(x)
    x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return layers.Dense(features, activation="relu", kernel_regularizer=_regularizer(l2),
                        name=f"{name}_features")(x)


def build_time_encoder(input_shape, *, features=64, dropout=0.3, l2=1e-4, name="time") -> keras.Model:
    """1D-CNN for the time signal.

    Chapter 4, section "The model, layer by layer" (``conv_block`` and ``make_time_encoder``).

    Args:
        input_shape: ``(samples, leads)``, e.g. (250, 12) for 2.5 s at 100 Hz, or (1000, 1).
        features: length of the feature vector.
        dropout: dropout rate before the feature layer.
        l2: L2 weight decay on every kernel (0 for none).
        name: the view name; names the input, the layers and the model (``f"{name}_encoder"``).

    Returns:
        A model mapping float32 (batch, samples, leads) to float32 (batch, features): three blocks
        of Conv1D (32, 64, 128 filters; kernels 7, 5, 3) + BatchNorm + ReLU + MaxPool(2), then
        global average pooling, dropout and a Dense ReLU layer ``f"{name}_features"``.
    """
    input_shape = check_input_shape(input_shape, "time")
    _check_options(features, dropout, l2)
    inputs = keras.Input(input_shape, name=name)
    x = inputs
    for block, (filters, kernel_size) in enumerate(zip(TIME_FILTERS, (7, 5, 3)), start=1):
        x = _conv_block(x, layers.Conv1D, filters, kernel_size, layers.MaxPooling1D, l2,
                        f"{name}_block{block}")
    outputs = _feature_head(x, layers.GlobalAveragePooling1D, features, dropout, l2, name)
    return keras.Model(inputs, outputs, name=f"{name}_encoder")


def build_scalogram_encoder(input_shape, *, features=64, dropout=0.3, l2=1e-4,
                            name="scalogram") -> keras.Model:
    """2D-CNN for the time-frequency scalogram (an image with one channel per lead).

    Chapter 5, the 2D-CNN written on the page (``make_scalogram_encoder``).

    Args:
        input_shape: ``(scales, width, leads)``, e.g. (64, 64, 12).
        features, dropout, l2, name: as for :func:`build_time_encoder`.

    Returns:
        A model mapping float32 (batch, scales, width, leads) to float32 (batch, features): three
        blocks of 3x3 Conv2D (16, 32, 64 filters) + BatchNorm + ReLU + MaxPool(2x2), then global
        average pooling, dropout and a Dense ReLU layer ``f"{name}_features"``.
    """
    input_shape = check_input_shape(input_shape, "scalogram")
    _check_options(features, dropout, l2)
    inputs = keras.Input(input_shape, name=name)
    x = inputs
    for block, filters in enumerate(SCALOGRAM_FILTERS, start=1):
        x = _conv_block(x, layers.Conv2D, filters, 3, layers.MaxPooling2D, l2, f"{name}_block{block}")
    outputs = _feature_head(x, layers.GlobalAveragePooling2D, features, dropout, l2, name)
    return keras.Model(inputs, outputs, name=f"{name}_encoder")


def transformer_block(x, *, heads, l2, name):
    """One Transformer encoder block (post-norm, as in "Attention is all you need").

    Chapter 6, the Transformer block written on the page (``transformer_block``).

    Multi-head self-attention + residual + LayerNormalization, then a feed-forward network
    (Dense 2*dim ReLU, Dense dim) + residual + LayerNormalization.
    Input and output: float32 (batch, positions, dim).
    """
    dim = x.shape[-1]
    attended = layers.MultiHeadAttention(heads, key_dim=dim // heads,
                                         kernel_regularizer=_regularizer(l2),
                                         name=f"{name}_attention")(x, x)
    x = layers.LayerNormalization(name=f"{name}_norm1")(layers.Add(name=f"{name}_residual1")([x, attended]))
    hidden = layers.Dense(2 * dim, activation="relu", kernel_regularizer=_regularizer(l2),
                          name=f"{name}_ffn1")(x)
    hidden = layers.Dense(dim, kernel_regularizer=_regularizer(l2), name=f"{name}_ffn2")(hidden)
    return layers.LayerNormalization(name=f"{name}_norm2")(layers.Add(name=f"{name}_residual2")([x, hidden]))


def build_spectrum_encoder(input_shape, *, features=64, heads=4, blocks=2, dropout=0.3, l2=1e-4,
                           name="spectrum") -> keras.Model:
    """1D-CNN followed by Transformer encoder blocks, for the frequency spectrum.

    Chapter 6, the encoder written on the page (``make_spectrum_encoder``).

    Two convolution blocks (32 then ``features`` filters) turn the spectrum into a shorter sequence
    of tokens, float32 (batch, bins/4, features); a learned position embedding tells attention
    which frequency each token covers; ``blocks`` Transformer blocks let every frequency band look
    at every other; global average pooling, dropout and a Dense ReLU layer ``f"{name}_features"``
    give the feature vector.

    Args:
        input_shape: ``(bins, leads)``, e.g. (126, 12) for the magnitude spectrum of 2.5 s at 100 Hz.
        features: token width and length of the feature vector; a multiple of ``heads``.
        heads: attention heads per block.
        blocks: number of Transformer blocks (0 leaves a plain 1D-CNN, for ablations).
        dropout, l2, name: as for :func:`build_time_encoder`.

    Returns:
        A model mapping float32 (batch, bins, leads) to float32 (batch, features).
    """
    input_shape = check_input_shape(input_shape, "spectrum")
    _check_options(features, dropout, l2)
    if not isinstance(heads, int) or heads < 1 or features % heads:
        raise ValueError(f"heads must be a positive integer dividing features={features}, got {heads!r}")
    if not isinstance(blocks, int) or blocks < 0:
        raise ValueError(f"blocks must be a non-negative integer, got {blocks!r}")
    inputs = keras.Input(input_shape, name=name)
    x = _conv_block(inputs, layers.Conv1D, 32, 7, layers.MaxPooling1D, l2, f"{name}_block1")
    x = _conv_block(x, layers.Conv1D, features, 5, layers.MaxPooling1D, l2, f"{name}_block2")
    x = PositionEmbedding(name=f"{name}_positions")(x)
    for block in range(1, blocks + 1):
        x = transformer_block(x, heads=heads, l2=l2, name=f"{name}_transformer{block}")
    outputs = _feature_head(x, layers.GlobalAveragePooling1D, features, dropout, l2, name)
    return keras.Model(inputs, outputs, name=f"{name}_encoder")


#: View name -> encoder builder.
ENCODER_BUILDERS = {
    "time": build_time_encoder,
    "scalogram": build_scalogram_encoder,
    "spectrum": build_spectrum_encoder,
}
