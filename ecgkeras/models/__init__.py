"""Keras models: one encoder per signal domain, and classifiers that fuse them.

Chapters 4-8 write each model out with ``keras.layers`` on the page; these builders are the same
models (``tests/test_book_keras.py`` compares them). Layers and ``keras.ops`` only, so every model runs on any
Keras 3 backend (TensorFlow, JAX, PyTorch).
"""

from ecgkeras.models.encoders import (
    ENCODER_BUILDERS,
    VIEW_LAYOUTS,
    PositionEmbedding,
    build_scalogram_encoder,
    build_spectrum_encoder,
    build_time_encoder,
    transformer_block,
)
from ecgkeras.models.fusion import (
    ATTENTION_WEIGHTS_LAYER,
    FUSIONS,
    MODEL_SPECS,
    VIEWS,
    build_classifier,
    build_model,
    feature_model,
)

__all__ = [
    "ATTENTION_WEIGHTS_LAYER",
    "ENCODER_BUILDERS",
    "FUSIONS",
    "MODEL_SPECS",
    "VIEWS",
    "VIEW_LAYOUTS",
    "PositionEmbedding",
    "build_classifier",
    "build_model",
    "build_scalogram_encoder",
    "build_spectrum_encoder",
    "build_time_encoder",
    "feature_model",
    "transformer_block",
]
