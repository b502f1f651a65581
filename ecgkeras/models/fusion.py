"""Classifiers on one view (unimodal) or several (fusion), built with the functional API.

Chapters 4-8 write these models out on the page (``make_1d_cnn``, ``make_2d_cnn``,
``make_cnn_transformer``, ``make_hybrid_1``, ``make_hybrid_2``, ``make_late_fusion``,
``make_attention_fusion``); :func:`build_model` builds the same models by name, and
``tests/test_book_keras.py`` checks that both are identical. The study's two feature-level
fusions concatenate the branches' deep features: Hybrid 1 = time + scalogram, Hybrid 2 = all
three views. The book adds two more ways to combine the same branches: decision-level ("late")
fusion averages the class probabilities of one classifier per view, and attention fusion
learns, per sample, how much to trust each view.

Every model takes a dict of inputs keyed by view name, e.g.
``{"time": float32 (n, 250, 12), "scalogram": float32 (n, 64, 64, 12)}``, and returns class
probabilities float32 (n, n_classes) from a layer named ``"probabilities"``. Each branch is the
nested encoder model ``f"{view}_encoder"`` (see :func:`feature_model`).
"""

from __future__ import annotations

import inspect

import keras
from keras import layers

from ecgkeras.models.encoders import ENCODER_BUILDERS, check_input_shape
from ecgkeras.results import model_slug
from ecgkeras.views import VIEW_NAMES

VIEWS = VIEW_NAMES  # the views, in the book's order (defined in ecgkeras.views)
FUSIONS = ("concat", "late", "attention")

#: The book's seven models: name -> (views, fusion). Fusion None means one view, no fusion.
MODEL_SPECS = {
    "1D-CNN": (("time",), None),
    "2D-CNN": (("scalogram",), None),
    "CNN-Transformer": (("spectrum",), None),
    "Hybrid 1": (("time", "scalogram"), "concat"),
    "Hybrid 2": (("time", "scalogram", "spectrum"), "concat"),
    "Late fusion": (("time", "scalogram", "spectrum"), "late"),
    "Attention fusion": (("time", "scalogram", "spectrum"), "attention"),
}

#: Name of the layer whose output, float32 (n, views), holds attention fusion's weights per
#: sample (views in ``VIEWS`` order). Read them with
#: ``keras.Model(model.inputs, model.get_layer(ATTENTION_WEIGHTS_LAYER).output).predict(inputs)``.
ATTENTION_WEIGHTS_LAYER = "attention_weights"


def _encoder_options(view: str, options: dict) -> dict:
    """The options that the view's encoder accepts (e.g. ``heads`` only for the spectrum)."""
    accepted = inspect.signature(ENCODER_BUILDERS[view]).parameters
    return {key: value for key, value in options.items() if key in accepted}


def _check_encoder_options(options: dict) -> None:
    accepted = sorted({key for builder in ENCODER_BUILDERS.values()
                       for key in inspect.signature(builder).parameters} - {"input_shape", "name"})
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"unknown encoder options {unknown}; accepted: {accepted}")


def _head(x, n_classes: int, dropout: float, l2: float):
    """Dense ReLU (same width as the input) + dropout + softmax, for fused features."""
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    x = layers.Dense(x.shape[-1], activation="relu", kernel_regularizer=regularizer, name="fusion_dense")(x)
    x = layers.Dropout(dropout, name="fusion_dropout")(x)
    return layers.Dense(n_classes, activation="softmax", name="probabilities")(x)


def _attention_fusion(features: dict, n_classes: int, dropout: float, l2: float):
    """Per-sample weights over the branches: project, score, softmax over branches, weighted sum."""
    width = max(f.shape[-1] for f in features.values())
    projected = [
        layers.Reshape((1, width), name=f"{view}_token")(
            layers.Dense(width, name=f"{view}_projection")(f)
        )
        for view, f in features.items()
    ]
    stacked = layers.Concatenate(axis=1, name="stacked_features")(projected)  # (n, views, width)
    scores = layers.Dense(1, name="attention_score")(stacked)  # (n, views, 1)
    scores = layers.Reshape((len(features),), name="attention_logits")(scores)  # (n, views)
    weights = layers.Softmax(name=ATTENTION_WEIGHTS_LAYER)(scores)  # (n, views), rows sum to 1
    fused = layers.Dot(axes=1, name="weighted_sum")([weights, stacked])  # (n, width)
    return _head(fused, n_classes, dropout, l2)


def build_classifier(input_shapes: dict, *, fusion: str | None = "concat", n_classes: int = 4,
                     name: str | None = None, seed: int | None = None, **encoder_options) -> keras.Model:
    """A unimodal or fused classifier over the given views.

    :func:`build_model` builds the book's seven models with it, whose chapters write each case
    out on the page (one view: encoder + softmax; ``"concat"``: Hybrid 1 and 2; ``"late"``,
    ``"attention"``); chapter 8 names it as the one place those layers are written.

    Args:
        input_shapes: view name -> input shape without the batch axis, e.g.
            ``{"time": (250, 12), "scalogram": (64, 64, 12), "spectrum": (126, 12)}``.
        fusion: None for one view (encoder + softmax). For several views: ``"concat"``
            (feature-level: concatenate the features, Dense, Dropout, softmax), ``"late"`` (a
            softmax head per view, layer ``f"{view}_probabilities"``; the output is their mean) or
            ``"attention"`` (per-sample weights over the views, layer ``"attention_weights"``).
        n_classes: number of classes (>= 2).
        name: model name (default: the views and fusion, e.g. ``"time_scalogram_concat"``).
        seed: when given, ``keras.utils.set_random_seed(seed)`` first, so weights are reproducible.
        **encoder_options: passed to every encoder that accepts them: ``features``, ``dropout``,
            ``l2`` (all), ``heads``, ``blocks`` (spectrum only).

    Returns:
        A keras.Model with dict inputs keyed by view and output float32 (n, n_classes), uncompiled.
    """
    if not isinstance(input_shapes, dict) or not input_shapes:
        raise ValueError(f"input_shapes must be a non-empty dict view -> shape, got {input_shapes!r}")
    unknown = [view for view in input_shapes if view not in VIEWS]
    if unknown:
        raise ValueError(f"input_shapes has unknown views {unknown}; accepted views: {VIEWS}")
    views = [view for view in VIEWS if view in input_shapes]
    if fusion is not None and fusion not in FUSIONS:
        raise ValueError(f"fusion must be one of {FUSIONS} (or None for one view), got {fusion!r}")
    if len(views) == 1 and fusion is not None:
        raise ValueError(f"fusion={fusion!r} needs two or more views, got only {views}; "
                         "pass fusion=None for a unimodal model")
    if len(views) > 1 and fusion is None:
        raise ValueError(f"fusion=None builds a one-view model, got views {views}; "
                         f"choose fusion from {FUSIONS}")
    if not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    _check_encoder_options(encoder_options)
    shapes = {view: check_input_shape(input_shapes[view], view, f"input_shapes[{view!r}]") for view in views}
    if seed is not None:
        keras.utils.set_random_seed(seed)

    inputs = {view: keras.Input(shapes[view], name=view) for view in views}
    features = {
        view: ENCODER_BUILDERS[view](shapes[view], name=view, **_encoder_options(view, encoder_options))(
            inputs[view])
        for view in views
    }
    defaults = inspect.signature(ENCODER_BUILDERS["time"]).parameters
    dropout = encoder_options.get("dropout", defaults["dropout"].default)
    l2 = encoder_options.get("l2", defaults["l2"].default)
    if fusion is None:
        outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(features[views[0]])
    elif fusion == "concat":
        fused = layers.Concatenate(name="fused_features")(list(features.values()))
        outputs = _head(fused, n_classes, dropout, l2)
    elif fusion == "late":
        branch_probabilities = [
            layers.Dense(n_classes, activation="softmax", name=f"{view}_probabilities")(f)
            for view, f in features.items()
        ]
        outputs = layers.Average(name="probabilities")(branch_probabilities)
    else:
        outputs = _attention_fusion(features, n_classes, dropout, l2)
    return keras.Model(inputs, outputs, name=name or "_".join(views + [fusion or "unimodal"]))


def build_model(model_name: str, input_shapes: dict, **options) -> keras.Model:
    """One of the book's seven models (``MODEL_SPECS``) by name.

    The chapter that writes each out: 1D-CNN 4, 2D-CNN 5, CNN-Transformer 6, Hybrid 1 and 2 7,
    late and attention fusion 8.

    Args:
        model_name: a key of ``MODEL_SPECS``, e.g. ``"Hybrid 1"``.
        input_shapes: view name -> shape; may hold more views than the model uses (the extra ones
            are ignored), so one dict serves all seven models.
        **options: passed to :func:`build_classifier` (``n_classes``, ``seed``, encoder options).

    Returns:
        The uncompiled keras.Model, named after the model (``"Hybrid 1"`` -> ``"hybrid_1"``).
    """
    if model_name not in MODEL_SPECS:
        raise ValueError(f"unknown model_name {model_name!r}; choose from {list(MODEL_SPECS)}")
    views, fusion = MODEL_SPECS[model_name]
    if not isinstance(input_shapes, dict):
        raise ValueError(f"input_shapes must be a dict view -> shape, got {input_shapes!r}")
    missing = [view for view in views if view not in input_shapes]
    if missing:
        raise ValueError(f"model {model_name!r} needs input_shapes for views {views}; missing {missing}")
    options.setdefault("name", model_slug(model_name))
    return build_classifier({view: input_shapes[view] for view in views}, fusion=fusion, **options)


def feature_model(model: keras.Model, view: str) -> keras.Model:
    """The branch of ``model`` that maps one view to its deep features (used by the analysis chapter).

    Args:
        model: a model from :func:`build_classifier` or :func:`build_model` (trained or not).
        view: one of the model's views.

    Returns:
        The nested encoder ``f"{view}_encoder"``, sharing the model's (trained) weights: input
        float32 (n, *input_shapes[view]), output float32 (n, features). ``predict`` runs it in
        inference mode (no dropout, BatchNorm running statistics).
    """
    encoders = {layer.name.removesuffix("_encoder"): layer for layer in model.layers
                if isinstance(layer, keras.Model) and layer.name.endswith("_encoder")}
    if view not in encoders:
        raise ValueError(f"model {model.name!r} has no branch for view {view!r}; its views: {list(encoders)}")
    return encoders[view]
