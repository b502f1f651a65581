"""Encoders and fusion classifiers: shapes, known answers, reproducibility, bad input, other backends."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from ecgkeras.models import (
    ATTENTION_WEIGHTS_LAYER,
    ENCODER_BUILDERS,
    FUSIONS,
    MODEL_SPECS,
    VIEWS,
    build_classifier,
    build_model,
    build_scalogram_encoder,
    build_spectrum_encoder,
    build_time_encoder,
    feature_model,
)

#: Small shapes keep the tests fast; the book's shapes are checked by the parameter counts.
SMALL = {"time": (64, 3), "scalogram": (16, 16, 3), "spectrum": (32, 3)}
BOOK = {"time": (250, 12), "scalogram": (64, 64, 12), "spectrum": (126, 12)}


def random_inputs(views, n=5, seed=0):
    rng = np.random.default_rng(seed)
    return {view: rng.standard_normal((n, *SMALL[view])).astype("float32") for view in views}


@pytest.mark.parametrize("view", VIEWS)
def test_encoder_maps_view_to_named_feature_vector(view):
    encoder = ENCODER_BUILDERS[view](SMALL[view], features=24)
    features = encoder(random_inputs([view])[view], training=False)
    assert tuple(features.shape) == (5, 24)
    assert encoder.layers[-1].name == f"{view}_features"
    assert encoder.inputs[0].name == view
    assert np.all(keras.ops.convert_to_numpy(features) >= 0)  # ReLU features


def test_encoder_parameter_counts_stated_in_the_docs():
    counts = {view: ENCODER_BUILDERS[view](BOOK[view]).count_params() for view in VIEWS}
    assert counts == {"time": 46_656, "scalogram": 29_376, "spectrum": 86_464}


def test_encoders_use_batchnorm_momentum_09_and_l2():
    encoder = build_time_encoder(SMALL["time"], l2=1e-3)
    batchnorms = [layer for layer in encoder.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert batchnorms and all(layer.momentum == 0.9 for layer in batchnorms)
    assert encoder.get_layer("time_block1_conv").kernel_regularizer.l2 == pytest.approx(1e-3)


def test_spectrum_encoder_has_transformer_blocks_and_positions():
    encoder = build_spectrum_encoder(SMALL["spectrum"], features=16, heads=2, blocks=3)
    names = [layer.name for layer in encoder.layers]
    assert "spectrum_positions" in names
    assert sum(isinstance(layer, keras.layers.MultiHeadAttention) for layer in encoder.layers) == 3
    assert sum(isinstance(layer, keras.layers.LayerNormalization) for layer in encoder.layers) == 6


@pytest.mark.parametrize("model_name", list(MODEL_SPECS))
def test_every_book_model_outputs_probabilities(model_name):
    model = build_model(model_name, SMALL, features=16, seed=0)
    views, _ = MODEL_SPECS[model_name]
    assert sorted(tensor.name for tensor in model.inputs) == sorted(views)
    probabilities = keras.ops.convert_to_numpy(model(random_inputs(views), training=False))
    assert probabilities.shape == (5, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert np.all(probabilities >= 0)


def test_late_fusion_output_is_mean_of_branch_heads():
    model = build_classifier(SMALL, fusion="late", n_classes=3, features=16, seed=0)
    heads = [model.get_layer(f"{view}_probabilities").output for view in VIEWS]
    probe = keras.Model(model.inputs, heads + [model.output])
    *branches, fused = [keras.ops.convert_to_numpy(y) for y in probe(random_inputs(VIEWS), training=False)]
    np.testing.assert_allclose(fused, np.mean(branches, axis=0), atol=1e-6)
    assert not np.allclose(branches[0], branches[1])  # the heads really differ


def test_attention_weights_are_a_distribution_over_views_per_sample():
    model = build_classifier(SMALL, fusion="attention", features=16, seed=0)
    weights_model = keras.Model(model.inputs, model.get_layer(ATTENTION_WEIGHTS_LAYER).output)
    weights = keras.ops.convert_to_numpy(weights_model(random_inputs(VIEWS, n=7), training=False))
    assert weights.shape == (7, len(VIEWS))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)
    assert np.all(weights > 0)


def test_concat_fusion_concatenates_branch_features():
    model = build_model("Hybrid 2", SMALL, features=16)
    assert tuple(model.get_layer("fused_features").output.shape) == (None, 3 * 16)
    assert model.name == "hybrid_2"


def test_feature_model_maps_a_view_to_its_branch_features():
    model = build_model("Hybrid 1", SMALL, features=16, seed=0)
    encoder = feature_model(model, "scalogram")
    assert encoder is model.get_layer("scalogram_encoder")  # shares the trained weights
    features = encoder(random_inputs(["scalogram"])["scalogram"], training=False)
    assert tuple(features.shape) == (5, 16)


def test_same_seed_gives_same_weights():
    first = build_model("CNN-Transformer", SMALL, features=16, seed=3).get_weights()
    second = build_model("CNN-Transformer", SMALL, features=16, seed=3).get_weights()
    third = build_model("CNN-Transformer", SMALL, features=16, seed=4).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not all(np.array_equal(a, c) for a, c in zip(first, third))


def test_model_with_position_embedding_survives_save_and_load(tmp_path):
    model = build_model("CNN-Transformer", SMALL, features=16, seed=0)
    inputs = random_inputs(["spectrum"])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(inputs, training=False)),
        keras.ops.convert_to_numpy(model(inputs, training=False)), atol=1e-6)


@pytest.mark.parametrize(
    ("builder", "shape"),
    [(build_time_encoder, (250,)), (build_time_encoder, (64, 64, 12)), (build_time_encoder, (0, 12)),
     (build_scalogram_encoder, (64, 64)), (build_spectrum_encoder, (126, 12.0))],
)
def test_encoder_rejects_wrong_input_shape(builder, shape):
    with pytest.raises(ValueError, match="input_shape must be"):
        builder(shape)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"features": 0}, "features"), ({"dropout": 1.0}, "dropout"), ({"l2": -1}, "l2"),
     ({"heads": 3}, "heads"), ({"blocks": -1}, "blocks")],
)
def test_spectrum_encoder_rejects_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        build_spectrum_encoder(SMALL["spectrum"], **options)


@pytest.mark.parametrize(
    ("input_shapes", "options", "message"),
    [
        ({"time": (250,)}, {"fusion": None}, r"input_shapes\['time'\] must be \(samples, leads\)"),
        ({"scalogram": (64, 64)}, {"fusion": None}, r"input_shapes\['scalogram'\] must be \(scales"),
        ({"ecg": (250, 12)}, {"fusion": None}, "unknown views.*accepted views"),
        ({}, {}, "non-empty dict"),
        (SMALL, {"fusion": "sum"}, "fusion must be one of"),
        ({"time": (64, 3)}, {"fusion": "concat"}, "needs two or more views"),
        (SMALL, {"fusion": None}, "choose fusion from"),
        ({"time": (64, 3)}, {"fusion": None, "n_classes": 1}, "n_classes must be an integer >= 2"),
        ({"time": (64, 3)}, {"fusion": None, "filters": 8}, r"unknown encoder options \['filters'\]"),
    ],
)
def test_build_classifier_rejects_bad_arguments(input_shapes, options, message):
    with pytest.raises(ValueError, match=message):
        build_classifier(input_shapes, **options)


def test_build_model_and_feature_model_reject_bad_arguments():
    with pytest.raises(ValueError, match="unknown model_name 'CNN'; choose from"):
        build_model("CNN", SMALL)
    with pytest.raises(ValueError, match=r"missing \['scalogram'\]"):
        build_model("Hybrid 1", {"time": (64, 3)})
    model = build_model("1D-CNN", SMALL, features=8)
    with pytest.raises(ValueError, match="no branch for view 'spectrum'; its views: \\['time'\\]"):
        feature_model(model, "spectrum")


def test_constants_match_the_specs():
    assert FUSIONS == ("concat", "late", "attention")
    assert {fusion for _, fusion in MODEL_SPECS.values()} == {None, *FUSIONS}
    assert all(set(views) <= set(VIEWS) for views, _ in MODEL_SPECS.values())


JAX_SCRIPT = textwrap.dedent(
    """
    import keras, numpy as np
    from ecgkeras.models import MODEL_SPECS, build_model
    from ecgkeras.train import TrainConfig, fit
    assert keras.backend.backend() == "jax", keras.backend.backend()
    shapes = {"time": (64, 3), "scalogram": (16, 16, 3), "spectrum": (32, 3)}
    rng = np.random.default_rng(0)
    inputs = {view: rng.standard_normal((8, *shape)).astype("float32") for view, shape in shapes.items()}
    labels = np.arange(8) % 4
    for name, (views, _) in MODEL_SPECS.items():
        model = build_model(name, shapes, features=8, seed=0)
        x = {view: inputs[view] for view in views}
        history = fit(model, x, labels, x, labels, seed=0,
                      config=TrainConfig(epochs=1, batch_size=8, verbose=0))
        assert np.isfinite(history.history["loss"][0]), name
        print("ok", name)
    """
)


@pytest.mark.slow  # about 90 s on a free 2-core CPU, most of it XLA compiling 7 train and test steps
@pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                    reason="jax is not installed (pip install jax) - the backend-independence check needs it")
def test_every_model_builds_and_fits_one_step_under_jax():
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
               XLA_FLAGS="--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true")
    result = subprocess.run([sys.executable, "-c", JAX_SCRIPT], env=env, capture_output=True, text=True,
                            timeout=600, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("ok ") == len(MODEL_SPECS)
