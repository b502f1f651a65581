"""Saliency, Grad-CAM and integrated gradients (chapter 11): known answers, a trained case where
the discriminating wave is known, the plots and bad input."""

from __future__ import annotations

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ecgkeras import explain  # noqa: E402
from ecgkeras.explain import (  # noqa: E402
    ST_WINDOW,
    TP_WINDOW,
    attribution_ratio,
    beat_window_mask,
    completeness,
    grad_cam,
    integrated_gradients,
    plot_ecg_attribution,
    plot_grad_cam,
    saliency_map,
    simulate_st_elevation,
)
from ecgkeras.models import build_classifier  # noqa: E402

FS = 100
SAMPLES = 250  # 2.5 s, one report lead


# A linear and a small nonlinear model with two views ------------------------------------------

def linear_two_view_model() -> keras.Model:
    """score (n, 3) = W_time . flatten(time (20, 2)) + W_spectrum . flatten(spectrum (10, 2)): no bias."""
    keras.utils.set_random_seed(0)
    time, spectrum = keras.Input((20, 2), name="time"), keras.Input((10, 2), name="spectrum")
    from_time = keras.layers.Dense(3, use_bias=False, name="time_weights")(keras.layers.Flatten()(time))
    from_spectrum = keras.layers.Dense(3, use_bias=False, name="spectrum_weights")(keras.layers.Flatten()(spectrum))
    return keras.Model({"time": time, "spectrum": spectrum}, keras.layers.Add()([from_time, from_spectrum]))


def nonlinear_two_view_model() -> keras.Model:
    """Softmax over 3 classes of a tanh layer fed by both views: gradients vary along the IG path."""
    keras.utils.set_random_seed(1)
    time, spectrum = keras.Input((20, 2), name="time"), keras.Input((10, 2), name="spectrum")
    joined = keras.layers.Concatenate()([keras.layers.Flatten()(time), keras.layers.Flatten()(spectrum)])
    hidden = keras.layers.Dense(8, activation="tanh")(joined)
    return keras.Model({"time": time, "spectrum": spectrum}, keras.layers.Dense(3, activation="softmax")(hidden))


def two_view_inputs(n=5, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    return {"time": rng.normal(size=(n, 20, 2)).astype(np.float32),
            "spectrum": rng.uniform(size=(n, 10, 2)).astype(np.float32)}


def test_saliency_of_a_linear_model_is_its_weight_vector():
    model = linear_two_view_model()
    inputs = two_view_inputs()
    weights = model.get_layer("time_weights").kernel.numpy()  # (40, 3)
    for c in range(3):
        saliency = saliency_map(model, inputs, "time", class_index=c)
        np.testing.assert_allclose(saliency, np.broadcast_to(np.abs(weights[:, c]).reshape(20, 2), (5, 20, 2)),
                                   rtol=1e-6)
    both_leads = np.abs(weights[:, 2]).reshape(20, 2)
    np.testing.assert_allclose(saliency_map(model, inputs, "time", class_index=2, combine_leads="sum")[0],
                               both_leads.sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(saliency_map(model, inputs, "time", class_index=2, combine_leads="max")[0],
                               both_leads.max(axis=1), rtol=1e-6)
    spectrum_weights = model.get_layer("spectrum_weights").kernel.numpy()
    np.testing.assert_allclose(saliency_map(model, inputs, "spectrum", class_index=0)[3],
                               np.abs(spectrum_weights[:, 0]).reshape(10, 2), rtol=1e-6)


def test_predicted_class_is_the_default_and_classes_may_differ_per_sample():
    model = linear_two_view_model()
    inputs = two_view_inputs(n=6)
    predicted = np.argmax(model.predict(inputs, verbose=0), axis=1)
    np.testing.assert_allclose(saliency_map(model, inputs, "time"),
                               saliency_map(model, inputs, "time", class_index=predicted))
    mixed = saliency_map(model, inputs, "time", class_index=np.array([0, 1, 2, 0, 1, 2]))
    np.testing.assert_allclose(mixed[4], saliency_map(model, inputs, "time", class_index=1)[4])


def test_integrated_gradients_of_a_linear_model_are_input_times_weights():
    model = linear_two_view_model()
    inputs = two_view_inputs()
    weights = model.get_layer("time_weights").kernel.numpy()[:, 1].reshape(20, 2)
    baseline = np.full((20, 2), 0.5, dtype=np.float32)
    attributions = integrated_gradients(model, inputs, "time", class_index=1, baseline=baseline, steps=1)
    np.testing.assert_allclose(attributions, (inputs["time"] - baseline) * weights, rtol=1e-5, atol=1e-6)


def test_integrated_gradients_are_complete_on_a_nonlinear_model():
    model = nonlinear_two_view_model()
    inputs = two_view_inputs(n=4)
    attributions = integrated_gradients(model, inputs, "time", class_index=2, steps=64)
    sums, differences = completeness(model, inputs, attributions, "time", class_index=2)
    assert np.abs(differences).min() > 0.01  # the check below is not trivially 0 = 0
    np.testing.assert_allclose(sums, differences, atol=2e-3)
    rough = integrated_gradients(model, inputs, "time", class_index=2, steps=1)
    rough_sums, _ = completeness(model, inputs, rough, "time", class_index=2)
    assert np.abs(rough_sums - differences).max() > 10 * np.abs(sums - differences).max()


def test_integrated_gradients_hold_the_other_view_fixed():
    model = nonlinear_two_view_model()
    inputs = two_view_inputs(n=3)
    other = inputs | {"spectrum": inputs["spectrum"][::-1].copy()}
    attributions = integrated_gradients(model, inputs, "time", class_index=0, steps=16)
    with_other = integrated_gradients(model, other, "time", class_index=0, steps=16)
    assert np.abs(attributions - with_other).max() > 1e-4
    sums, differences = completeness(model, other, with_other, "time", class_index=0)
    np.testing.assert_allclose(sums, differences, atol=5e-3)  # f(x, other) - f(0, other)


# Grad-CAM on the book's models -----------------------------------------------------------------

@pytest.fixture(scope="module")
def hybrid_model():
    return build_classifier({"time": (100, 2), "scalogram": (32, 32, 2)}, fusion="concat", n_classes=3,
                            seed=0, features=16)


def hybrid_inputs(n=3):
    rng = np.random.default_rng(2)
    return {"time": rng.normal(size=(n, 100, 2)).astype(np.float32),
            "scalogram": rng.uniform(size=(n, 32, 32, 2)).astype(np.float32)}


def test_grad_cam_maps_have_the_input_size_and_are_non_negative(hybrid_model):
    inputs = hybrid_inputs()
    cam = grad_cam(hybrid_model, inputs, "scalogram", class_index=1)
    assert cam.shape == (3, 32, 32) and cam.dtype == np.float32
    assert np.isfinite(cam).all() and cam.min() >= 0
    per_class = [grad_cam(hybrid_model, inputs, "scalogram", class_index=c) for c in range(3)]
    assert max(map(np.max, per_class)) > 0
    assert not np.allclose(per_class[0], per_class[1])
    time_cam = grad_cam(hybrid_model, inputs, "time", layer_name="time_block2_relu")
    assert time_cam.shape == (3, 100) and time_cam.min() >= 0


def test_grad_cam_of_a_uniform_input_is_flat():
    """A uniform scalogram gives feature maps that are uniform away from the borders, so Grad-CAM
    (a weighted sum of whole maps) is flat there; a per-position gradient x activation would not
    be (max pooling sends each window's gradient to one position only)."""
    model = build_classifier({"scalogram": (16, 16, 1)}, fusion=None, n_classes=2, seed=0)
    uniform = {"scalogram": np.ones((1, 16, 16, 1), np.float32)}
    maps = [grad_cam(model, uniform, "scalogram", class_index=c, layer_name="scalogram_block1_relu")[0]
            for c in (0, 1)]
    for cam in maps:
        centre = cam[2:-2, 2:-2]
        np.testing.assert_allclose(centre, centre[0, 0], rtol=1e-4, atol=1e-9)
    assert max(cam.max() for cam in maps) > 0  # two classes: the weights of one are minus the other's


# A trained model that must look at the ST segment ----------------------------------------------

@pytest.fixture(scope="module")
def st_case():
    """A 1D-CNN trained to tell ST elevation from normal (300 ECGs, 6 epochs), and 100 new ECGs."""
    train_x, train_y, _ = simulate_st_elevation(300, seed=0)
    test_x, test_y, r_peaks = simulate_st_elevation(100, seed=1)
    model = build_classifier({"time": (SAMPLES, 1)}, fusion=None, n_classes=2, seed=0)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit({"time": train_x}, train_y, epochs=6, batch_size=32, verbose=0)
    elevated = test_y == 1
    accuracy = float(np.mean(model.predict({"time": test_x}, verbose=0).argmax(axis=1) == test_y))
    return dict(model=model, inputs={"time": test_x[elevated]}, accuracy=accuracy,
                st=beat_window_mask(r_peaks, ST_WINDOW, SAMPLES)[elevated],
                tp=beat_window_mask(r_peaks, TP_WINDOW, SAMPLES)[elevated])


def test_st_case_model_has_learned_the_task(st_case):
    assert st_case["accuracy"] >= 0.9
    assert st_case["st"].sum() > 500 and st_case["tp"].sum() > 500


def test_saliency_concentrates_on_the_st_segment(st_case):
    saliency = saliency_map(st_case["model"], st_case["inputs"], "time", class_index=1, combine_leads="sum")
    assert saliency.shape == (len(st_case["st"]), SAMPLES)
    ratio = attribution_ratio(saliency, st_case["st"], st_case["tp"])
    print(f"saliency ST/TP {ratio:.1f}")
    assert ratio > 2.5  # about 4 here; 0.7-0.8 for the same model untrained


def test_integrated_gradients_concentrate_on_the_st_segment(st_case):
    attributions = integrated_gradients(st_case["model"], st_case["inputs"], "time", class_index=1, steps=32)
    ratio = attribution_ratio(attributions[..., 0], st_case["st"], st_case["tp"])
    print(f"integrated gradients |ST|/|TP| {ratio:.1f}")
    assert ratio > 10  # about 18 here; 4-5 untrained (from a zero baseline, the raised ST counts)
    sums, differences = completeness(st_case["model"], st_case["inputs"], attributions, "time", class_index=1)
    np.testing.assert_allclose(sums, differences, atol=0.05)


def test_grad_cam_of_the_time_branch_concentrates_on_the_st_segment(st_case):
    cam = grad_cam(st_case["model"], st_case["inputs"], "time", class_index=1)
    ratio = attribution_ratio(cam, st_case["st"], st_case["tp"])
    print(f"Grad-CAM (time branch) ST/TP {ratio:.1f}")
    assert ratio > 20  # thousands here (TP maps are ~0 after the ReLU); about 4 untrained


# Plots ----------------------------------------------------------------------------------------

@pytest.fixture
def no_show(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("plot functions must return figures, not show them")
    monkeypatch.setattr(plt, "show", refuse)
    yield
    plt.close("all")


def test_plot_ecg_attribution_every_lead_or_one(no_show):
    rng = np.random.default_rng(0)
    signal, saliency = rng.normal(size=(250, 12)), rng.uniform(size=(250, 12))
    fig = plot_ecg_attribution(signal, saliency, title="saliency")
    assert isinstance(fig, matplotlib.figure.Figure)
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in panels][:4] == ["I", "aVR", "V1", "V4"] and len(panels) == 12
    one = plot_ecg_attribution(signal, saliency[:, 1], lead=1)
    assert [ax.get_title(loc="left") for ax in one.axes if ax.get_title(loc="left")] == ["II"]
    signed = plot_ecg_attribution(signal[:, :2], rng.normal(size=(250, 2)), lead_names=("a", "b"))
    shading = signed.axes[0].images[0]
    assert shading.get_cmap().name == "RdBu_r" and shading.norm.vmin == -shading.norm.vmax


def test_plot_grad_cam_axes_are_time_and_frequency(no_show):
    rng = np.random.default_rng(0)
    fig = plot_grad_cam(rng.uniform(size=(64, 64, 12)), rng.uniform(size=(64, 64)), lead=1)
    image_axes = [ax for ax in fig.axes if ax.get_xlabel()]
    assert len(image_axes) == 2
    assert all(ax.get_xlabel() == "time (s)" and ax.get_ylabel() == "frequency (Hz)" for ax in image_axes)
    assert image_axes[0].get_xlim() == (0, 2.5)
    top_label = float(image_axes[0].get_yticklabels()[0].get_text())
    assert top_label == pytest.approx(40, rel=0.1)  # row 0 is the highest frequency
    assert "II" in image_axes[1].get_title()


# Bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, argument", [
    (lambda m, x: saliency_map(m, x, "ecg"), "view"),
    (lambda m, x: saliency_map(m, x, "scalogram"), "view 'scalogram'"),
    (lambda m, x: saliency_map(m, x | {"time": x["time"][:, :10]}, "time"), r"inputs\['time'\]"),
    (lambda m, x: saliency_map(m, x["time"], "time"), "inputs"),
    (lambda m, x: saliency_map(m, {"time": x["time"]}, "time"), "inputs"),
    (lambda m, x: saliency_map(m, x, "time", class_index=3), "class_index"),
    (lambda m, x: saliency_map(m, x, "time", class_index=[0, 1]), "class_index"),
    (lambda m, x: saliency_map(m, x, "time", class_index=1.0), "class_index"),
    (lambda m, x: saliency_map(m, x, "time", combine_leads="mean"), "combine_leads"),
    (lambda m, x: integrated_gradients(m, x, "time", steps=0), "steps"),
    (lambda m, x: integrated_gradients(m, x, "time", steps=2.5), "steps"),
    (lambda m, x: integrated_gradients(m, x, "time", baseline=np.zeros((20, 3))), "baseline"),
    (lambda m, x: completeness(m, x, np.zeros((5, 20)), "time"), "attributions"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, argument):
    with pytest.raises(ValueError, match=argument):
        call(linear_two_view_model(), two_view_inputs())


def test_grad_cam_needs_a_convolution_branch(hybrid_model):
    with pytest.raises(ValueError, match="no branch for view 'time'"):
        grad_cam(linear_two_view_model(), two_view_inputs(), "time")
    with pytest.raises(ValueError, match="layer_name"):
        grad_cam(hybrid_model, hybrid_inputs(), "scalogram", layer_name="nope")
    with pytest.raises(ValueError, match="layer_name"):
        grad_cam(hybrid_model, hybrid_inputs(), "scalogram", layer_name="scalogram_features")


def test_plots_reject_mismatched_shapes(no_show):
    with pytest.raises(ValueError, match="attribution"):
        plot_ecg_attribution(np.zeros((250, 12)), np.zeros((250, 11)))
    with pytest.raises(ValueError, match="lead"):
        plot_ecg_attribution(np.zeros((250, 12)), np.zeros((250, 12)), lead=12)
    with pytest.raises(ValueError, match="cam"):
        plot_grad_cam(np.zeros((64, 64, 12)), np.zeros((32, 32)))


def test_other_backends_get_an_error_naming_them(monkeypatch):
    monkeypatch.setattr(explain.keras.backend, "backend", lambda: "jax")
    with pytest.raises(RuntimeError, match="'jax'.*KERAS_BACKEND=tensorflow"):
        saliency_map(linear_two_view_model(), two_view_inputs(), "time")


# The known-answer case as the package gives it (chapter 11) ------------------------------------

def test_simulate_st_elevation_is_reproducible():
    signals, labels, r_peaks = simulate_st_elevation(40, seed=3)
    assert signals.shape == (40, SAMPLES, 1) and signals.dtype == np.float32 and labels.dtype == np.int64
    again, same_labels, same_peaks = simulate_st_elevation(40, seed=3)
    np.testing.assert_array_equal(signals, again)
    np.testing.assert_array_equal(labels, same_labels)
    assert all(np.array_equal(a, b) for a, b in zip(r_peaks, same_peaks))
    assert not np.array_equal(signals, simulate_st_elevation(40, seed=4)[0])


def test_simulated_st_elevation_lies_in_the_st_window_only():
    signals, labels, r_peaks = simulate_st_elevation(200, seed=0)
    assert 0.35 < labels.mean() < 0.65
    st, tp = beat_window_mask(r_peaks, ST_WINDOW, SAMPLES), beat_window_mask(r_peaks, TP_WINDOW, SAMPLES)
    assert not (st & tp).any()
    x = signals[..., 0]
    st_minus_tp = np.array([x[i][st[i]].mean() - x[i][tp[i]].mean() for i in range(len(x))])
    assert 0.1 < st_minus_tp[labels == 1].mean() - st_minus_tp[labels == 0].mean() < 0.3  # mV
    with pytest.raises(ValueError, match="n must be"):
        simulate_st_elevation(0)


def test_beat_window_mask_keeps_whole_windows_only():
    mask = beat_window_mask([np.array([-10, 50, 240]), np.array([], int)], (0.1, 0.2), samples=250, fs=100)
    assert mask.shape == (2, 250) and mask.dtype == bool
    np.testing.assert_array_equal(np.flatnonzero(mask[0]), np.r_[0:10, 60:70])  # 240 + 10..20 leaves
    assert not mask[1].any()
    with pytest.raises(ValueError, match="window"):
        beat_window_mask([np.array([50])], (0.2, 0.1), samples=250)


def test_attribution_ratio_compares_mean_magnitudes():
    attribution = np.ones((2, 10))
    inside, outside = np.zeros((2, 10), bool), np.zeros((2, 10), bool)
    inside[:, :2], outside[:, 5:] = True, True  # 4 samples inside, 10 outside
    attribution[:, :2] = 4.0
    assert attribution_ratio(attribution, inside, outside) == pytest.approx(4.0)  # means, not sums (0.8)
    attribution[0, :2] = -4.0  # signed attributions count by their size
    assert attribution_ratio(attribution, inside, outside) == pytest.approx(4.0)
    assert attribution_ratio(attribution, outside, inside) == pytest.approx(0.25)
    assert np.isnan(attribution_ratio(np.where(outside, 0.0, 1.0), inside, outside))
    with pytest.raises(ValueError, match="inside"):
        attribution_ratio(attribution, inside[:, :5], outside)
    with pytest.raises(ValueError, match="outside"):
        attribution_ratio(attribution, inside, outside.astype(int))
    with pytest.raises(ValueError, match="selects no sample"):
        attribution_ratio(attribution, inside, np.zeros_like(outside))
