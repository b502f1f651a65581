"""The Keras written on the chapters' pages is the Keras the package runs (chapters 4-8).

Each of chapters 4-8 writes its models with ``keras.layers`` in cells tagged ``keras-model``
(definitions only: functions and classes, no data). These tests execute those cells, build the
page's models and the package's (``ecgkeras.models``) from the same seed, and compare them:
every layer's type and settings (``get_config()``, names included), output shapes, parameter
counts, initial weights and outputs on a random batch. Chapter 4's ``compile`` and ``fit`` cells
(tagged ``keras-training``) are compared with ``ecgkeras.train.fit``. A one-line change on
either side fails here; see the README's notes for contributors.
"""

from __future__ import annotations

import difflib
import json
import time
from pathlib import Path
from types import SimpleNamespace

import keras
import nbformat
import numpy as np
import pytest

from ecgkeras import config
from ecgkeras.models import (
    MODEL_SPECS,
    build_model,
    build_scalogram_encoder,
    build_spectrum_encoder,
    build_time_encoder,
)
from ecgkeras.train import TrainConfig, fit

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BOOK = {"time": (250, 12), "scalogram": (64, 64, 12), "spectrum": (126, 12)}
LEAD_II = {"time": (250, 1), "scalogram": (64, 64, 1), "spectrum": (126, 1)}

#: The parameter counts of the seven models on the book's shapes (12 leads). The committed runs
#: of ``ecgkeras reproduce`` were made with these models: a change here invalidates them.
PARAMETERS = {
    "1D-CNN": 46_916, "2D-CNN": 29_636, "CNN-Transformer": 86_724, "Hybrid 1": 93_060,
    "Hybrid 2": 200_324, "Late fusion": 163_276, "Attention fusion": 179_461,
}


def page_namespace(chapter: str, tag: str = "keras-model", namespace: dict | None = None,
                   edit=lambda source: source) -> dict:
    """Execute the chapter's code cells tagged ``tag`` (after ``edit``) in ``namespace``."""
    cells = [cell for cell in nbformat.read(NOTEBOOKS / f"{chapter}.ipynb", as_version=4).cells
             if cell.cell_type == "code" and tag in cell.metadata.get("tags", [])]
    assert cells, f"{chapter} has no code cell tagged {tag!r}"
    namespace = {"__name__": f"page_{chapter[:2]}"} if namespace is None else namespace
    for cell in cells:
        exec(compile(edit(cell.source), f"{chapter}.ipynb[{tag}]", "exec"), namespace)  # noqa: S102
    return namespace


def _without_modules(value):
    """A config with the "module" and "registered_name" keys dropped (a class defined on a page
    lives in another module than the package's class of the same name and behaviour)."""
    if isinstance(value, dict):
        return {key: _without_modules(item) for key, item in value.items()
                if key not in ("module", "registered_name")}
    if isinstance(value, list):
        return [_without_modules(item) for item in value]
    return value


def assert_same_model(page_builder, package_builder, shapes: dict):
    """Build both from seed 0 and compare configs, parameters, weights and outputs."""
    keras.utils.set_random_seed(0)
    page = page_builder()
    keras.utils.set_random_seed(0)
    package = package_builder()
    page_config = _without_modules(page.get_config())
    package_config = _without_modules(package.get_config())
    if page_config != package_config:
        diff = difflib.unified_diff(
            json.dumps(package_config, indent=1, sort_keys=True, default=str).splitlines(),
            json.dumps(page_config, indent=1, sort_keys=True, default=str).splitlines(),
            "package", "page", lineterm="", n=6)
        pytest.fail(f"{page.name}: the page's model differs from the package's:\n" + "\n".join(list(diff)[:80]))
    assert page.count_params() == package.count_params()
    assert [tuple(t.shape) for t in page.outputs] == [tuple(t.shape) for t in package.outputs]
    page_weights, package_weights = page.get_weights(), package.get_weights()
    assert len(page_weights) == len(package_weights)
    for index, (a, b) in enumerate(zip(page_weights, package_weights)):
        assert np.array_equal(a, b), f"{page.name}: initial weight {index} differs (initializer or build order)"
    rng = np.random.default_rng(1)
    inputs = {tensor.name: rng.standard_normal((2, *tensor.shape[1:])).astype("float32")
              for tensor in package.inputs}
    page_inputs = inputs if len(page.inputs) > 1 or isinstance(page.input, dict) else inputs[page.inputs[0].name]
    package_inputs = inputs if len(package.inputs) > 1 or isinstance(package.input, dict) \
        else inputs[package.inputs[0].name]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(page(page_inputs, training=False)),
                               keras.ops.convert_to_numpy(package(package_inputs, training=False)),
                               rtol=1e-5, atol=1e-6)


#: chapter -> [(what, page builder from the namespace and shapes, package builder from shapes)].
CASES = {
    "04_time_1d_cnn": [
        ("time encoder", lambda ns, s: ns["make_time_encoder"](s["time"]), lambda s: build_time_encoder(s["time"])),
        ("1D-CNN", lambda ns, s: ns["make_1d_cnn"](s["time"], 4), lambda s: build_model("1D-CNN", s)),
    ],
    "05_scalogram_2d_cnn": [
        ("scalogram encoder", lambda ns, s: ns["make_scalogram_encoder"](s["scalogram"]),
         lambda s: build_scalogram_encoder(s["scalogram"])),
        ("2D-CNN", lambda ns, s: ns["make_2d_cnn"](s["scalogram"], 4), lambda s: build_model("2D-CNN", s)),
    ],
    "06_spectrum_transformer": [
        ("spectrum encoder", lambda ns, s: ns["make_spectrum_encoder"](s["spectrum"]),
         lambda s: build_spectrum_encoder(s["spectrum"])),
        ("CNN-Transformer", lambda ns, s: ns["make_cnn_transformer"](s["spectrum"], 4),
         lambda s: build_model("CNN-Transformer", s)),
    ],
    "07_hybrid_fusion": [
        ("Hybrid 1", lambda ns, s: ns["make_hybrid_1"](s, 4), lambda s: build_model("Hybrid 1", s)),
        ("Hybrid 2", lambda ns, s: ns["make_hybrid_2"](s, 4), lambda s: build_model("Hybrid 2", s)),
    ],
    "08_beyond_concatenation": [
        ("Late fusion", lambda ns, s: ns["make_late_fusion"](s, 4), lambda s: build_model("Late fusion", s)),
        ("Attention fusion", lambda ns, s: ns["make_attention_fusion"](s, 4),
         lambda s: build_model("Attention fusion", s)),
    ],
}
PARAMS = [(chapter, what, page, package) for chapter, cases in CASES.items() for what, page, package in cases]


@pytest.mark.parametrize("shapes", [BOOK, LEAD_II], ids=["12-leads", "lead-II"])
@pytest.mark.parametrize(("chapter", "what", "page", "package"), PARAMS, ids=[f"{c[:2]}-{w}" for c, w, *_ in PARAMS])
def test_the_page_builds_the_packages_model(chapter, what, page, package, shapes):
    namespace = page_namespace(chapter)
    assert_same_model(lambda: page(namespace, shapes), lambda: package(shapes), shapes)


def test_parameter_counts_of_the_seven_models_do_not_change():
    assert {name: build_model(name, BOOK).count_params() for name in MODEL_SPECS} == PARAMETERS


def test_the_drift_test_notices_a_one_line_change():
    """The page with BatchNormalization's momentum changed from 0.9 to 0.99 must fail."""
    namespace = page_namespace("04_time_1d_cnn", edit=lambda source: source.replace("momentum=0.9,", "momentum=0.99,"))
    with pytest.raises(pytest.fail.Exception, match="differs from the package"):
        assert_same_model(lambda: namespace["make_1d_cnn"]((250, 12), 4),
                          lambda: build_model("1D-CNN", BOOK), BOOK)


# Chapter 4's compile and fit ------------------------------------------------------------------


class _FitRecorder:
    """Stands in for ``keras.Model.fit``: records its arguments, trains nothing."""

    def __init__(self):
        self.calls = []

    def __call__(self, model, *args, **kwargs):
        self.calls.append((model, args, kwargs))
        return SimpleNamespace(history={"loss": [1.0]})


def _callback_settings(callbacks) -> list:
    keys = ("monitor", "patience", "factor", "min_lr", "min_delta", "cooldown", "mode",
            "restore_best_weights", "baseline", "start_from_epoch", "epochs", "every")
    return sorted((type(callback).__name__, {key: getattr(callback, key) for key in keys if hasattr(callback, key)})
                  for callback in callbacks)


def test_chapter_4_compiles_and_fits_like_ecgkeras_train_fit(monkeypatch):
    monkeypatch.delenv("ECGKERAS_QUICK", raising=False)
    recorder = _FitRecorder()
    monkeypatch.setattr(keras.Model, "fit", lambda self, *a, **k: recorder(self, *a, **k))
    rng = np.random.default_rng(0)
    labels = {"train": np.repeat(np.arange(4), 5), "val": np.arange(4)}
    views = {split: {"time": rng.standard_normal((len(y), 250, 12)).astype("float32")}
             for split, y in labels.items()}
    splits = {split: SimpleNamespace(labels=y) for split, y in labels.items()}

    page_model = build_model("1D-CNN", BOOK, seed=0)
    namespace = {"model": page_model, "views": views, "splits": splits, "config": config, "np": np,
                 "time": time, "keras": keras}
    page_namespace("04_time_1d_cnn", "keras-training", namespace)
    package_model = build_model("1D-CNN", BOOK, seed=0)
    epochs = namespace["epochs"]
    fit(package_model, views["train"], labels["train"], views["val"], labels["val"],
        config=TrainConfig(epochs=epochs))

    (_, page_args, page_kwargs), (_, package_args, package_kwargs) = recorder.calls
    page_compile, package_compile = page_model.get_compile_config(), package_model.get_compile_config()
    for compiled in (page_compile, package_compile):
        compiled["optimizer"]["config"].pop("name")  # "adam", "adam_1": Keras numbers the instances
    assert page_compile == package_compile
    assert _callback_settings(page_kwargs.pop("callbacks")) == _callback_settings(package_kwargs.pop("callbacks"))
    for kwargs in (page_kwargs, package_kwargs):
        kwargs.pop("validation_data")  # the same arrays, converted to float32 by the package
    assert page_kwargs == package_kwargs
    assert len(page_args) == len(package_args) == 2
