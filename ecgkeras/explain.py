"""What do the models look at? Saliency maps, Grad-CAM and integrated gradients.

Chapter 11. Three ways to ask a trained classifier which parts of one input view made it
choose a class:

- **Saliency** (Simonyan et al., 2014): the absolute gradient of the class probability with
  respect to every input value. Cheap (one backward pass), but noisy, and close to zero when the
  model is very sure (the softmax saturates).
- **Grad-CAM** (Selvaraju et al., 2017): the feature maps of the last convolution block, each
  weighted by the spatial mean of the class probability's gradient with respect to it, summed,
  passed through a ReLU and upsampled to the input size. Coarse but less noisy; made for images,
  here the scalogram.
- **Integrated gradients** (Sundararajan et al., 2017): the gradients averaged along the straight
  path from a baseline (zeros: a flat ECG, a black scalogram) to the input, times the input minus
  the baseline. Signed, and *complete*: the attributions add up to f(input) - f(baseline)
  (:func:`completeness` checks it).

Every function explains one view of a model with dict inputs (``ecgkeras.models``): the other
views of a fusion model are held fixed at their given values. "The class score" is the model's
output, the class probability. The models are backend-agnostic, but gradients need a backend:
these functions use TensorFlow's ``tf.GradientTape`` (the book's backend) and raise an error
naming the active backend under JAX or PyTorch. Each call runs its samples as one batch: explain
tens of ECGs at a time, not thousands.
"""

from __future__ import annotations

import keras
import matplotlib.pyplot as plt
import numpy as np

from ecgkeras.data.dataset import FS, LEAD_NAMES, LEAD_SECONDS, REPORT_LAYOUT
from ecgkeras.models import VIEWS, feature_model
from ecgkeras.train import check_inputs
from ecgkeras.views import scalogram_frequencies


def saliency_map(model: keras.Model, inputs: dict, view: str = "time", *, class_index=None,
                 combine_leads: str | None = None) -> np.ndarray:
    """Absolute gradient of a class probability with respect to one view of the input.

    Chapter 11 (Simonyan et al., 2014).

    Args:
        model: a classifier with dict inputs keyed by view, output float32 (n, n_classes).
        inputs: view name -> float32 (n, *input shape), one entry per model input, e.g.
            ``{"time": (n, 250, 12), "scalogram": (n, 64, 64, 12)}``.
        view: the view to explain; the model's other views stay fixed.
        class_index: the class to explain: None (each sample's predicted class), an int (the same
            class for every sample) or int (n,) (one class per sample).
        combine_leads: None keeps one map per lead; "sum" adds the leads (the last axis), "max"
            keeps the largest value over leads.

    Returns:
        float32 (n, *input shape of ``view``), or without the leads axis when ``combine_leads``
        is given, e.g. (n, 250) for the time view. Units: probability per input unit, >= 0.
    """
    if combine_leads not in (None, "sum", "max"):
        raise ValueError(f"combine_leads must be None, 'sum' or 'max', got {combine_leads!r}")
    inputs, classes = _check_request(model, inputs, view, class_index)
    gradients, _ = _class_gradients(model, inputs, view, classes)
    saliency = np.abs(gradients)
    if combine_leads == "sum":
        return saliency.sum(axis=-1)
    if combine_leads == "max":
        return saliency.max(axis=-1)
    return saliency


def integrated_gradients(model: keras.Model, inputs: dict, view: str = "time", *, class_index=None,
                         baseline=None, steps: int = 50) -> np.ndarray:
    """Integrated gradients of a class probability for one view (Sundararajan et al., 2017).

    Chapter 11. ``(x - baseline) * mean gradient`` along the straight path from the baseline to
    the input x, with the path integral approximated by the trapezoidal rule on ``steps``
    intervals (``steps + 1`` gradient evaluations). The other views stay fixed at their inputs.

    Args:
        model, inputs, view, class_index: as for :func:`saliency_map`.
        baseline: the "absence of signal" to start from, float (n, *input shape) or
            (*input shape); None means zeros (a flat ECG, a black scalogram).
        steps: number of intervals on the path (>= 1); more steps, smaller error in
            :func:`completeness`.

    Returns:
        float32 (n, *input shape of ``view``), signed attributions in units of probability: the
        values of one sample add up to about f(x) - f(baseline).
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    inputs, classes = _check_request(model, inputs, view, class_index)
    baseline = _check_baseline(baseline, inputs[view])
    difference = inputs[view] - baseline
    path_weights = np.full(steps + 1, 1.0 / steps)
    path_weights[[0, -1]] /= 2  # trapezoidal rule: the two ends count half
    mean_gradient = np.zeros_like(difference)
    for alpha, weight in zip(np.linspace(0.0, 1.0, steps + 1), path_weights):
        on_path = inputs | {view: (baseline + alpha * difference).astype(np.float32)}
        gradients, _ = _class_gradients(model, on_path, view, classes)
        mean_gradient += weight * gradients
    return (difference * mean_gradient).astype(np.float32)


def completeness(model: keras.Model, inputs: dict, attributions, view: str = "time", *,
                 class_index=None, baseline=None) -> tuple[np.ndarray, np.ndarray]:
    """The completeness check of integrated gradients: sum of attributions vs f(x) - f(baseline).

    Chapter 11. Pass the same ``view``, ``class_index`` and ``baseline`` as to
    :func:`integrated_gradients`. The two returned arrays agree up to the error of the path
    integral, which shrinks as ``steps`` grows.

    Returns:
        ``(attribution_sums, output_differences)``: float64 (n,) each, in units of probability.
    """
    inputs, classes = _check_request(model, inputs, view, class_index)
    baseline = _check_baseline(baseline, inputs[view])
    attributions = np.asarray(attributions, dtype=np.float64)
    if attributions.shape != inputs[view].shape:
        raise ValueError(f"attributions must have the shape of inputs[{view!r}], "
                         f"{inputs[view].shape}, got {attributions.shape}")
    at_baseline = inputs | {view: baseline.astype(np.float32)}
    _, scores = _class_gradients(model, inputs, view, classes)
    _, baseline_scores = _class_gradients(model, at_baseline, view, classes)
    sums = attributions.reshape(len(attributions), -1).sum(axis=1)
    return sums, scores.astype(np.float64) - baseline_scores


def grad_cam(model: keras.Model, inputs: dict, view: str = "scalogram", *, class_index=None,
             layer_name: str | None = None) -> np.ndarray:
    """Grad-CAM map of one view's convolution branch (Selvaraju et al., 2017).

    Chapter 11. With A_k the k-th feature map of the branch's last convolution block and y the
    class probability: weights w_k = spatial mean of dy/dA_k, map = ReLU(sum_k w_k A_k),
    upsampled (bilinear) to the input's size. It shows *where* in the scalogram (which times and
    frequencies) the evidence for the class lies, at the resolution of that block (16 x 16 for
    a 64 x 64 scalogram).

    Args:
        model, inputs, class_index: as for :func:`saliency_map`.
        view: the view whose branch (``f"{view}_encoder"``) is explained; "scalogram" by
            default, and the 1-D "time" and "spectrum" branches work the same way.
        layer_name: the feature-map layer inside the encoder; None uses the last convolution
            block's ReLU (e.g. ``"scalogram_block3_relu"``: before its pooling, so at twice the
            resolution of the pooled maps).

    Returns:
        float32 (n, *spatial input shape of ``view``), >= 0, e.g. (n, 64, 64) for scalograms
        (n, 64, 64, 12): rows are frequencies (highest at row 0), columns time. Not normalised:
        divide by the maximum to compare shapes only.
    """
    inputs, classes = _check_request(model, inputs, view, class_index)
    tf = _tensorflow()
    cam_model = _feature_map_model(model, view, layer_name)
    tensors = {name: tf.constant(array) for name, array in inputs.items()}
    with tf.GradientTape() as tape:
        feature_maps, probabilities = cam_model(tensors, training=False)
        scores = tf.gather(probabilities, classes, axis=1, batch_dims=1)
    gradients = tape.gradient(scores, feature_maps)
    spatial_axes = tuple(range(1, len(feature_maps.shape) - 1))
    weights = tf.reduce_mean(gradients, axis=spatial_axes, keepdims=True)  # (n, 1.., channels)
    maps = tf.nn.relu(tf.reduce_sum(weights * feature_maps, axis=-1))  # (n, *feature spatial)
    return _upsample(maps, inputs[view].shape[1:-1])


def plot_ecg_attribution(signal, attribution, *, lead: int | None = None, lead_names=LEAD_NAMES,
                         fs: float = FS, title: str = ""):
    """An ECG with the background shaded by an attribution (saliency or integrated gradients).

    Chapter 11. Dark shading marks where the model's output is most sensitive to the signal.
    Non-negative attributions (saliency) are shaded in red; signed ones (integrated gradients)
    in red (for the class) and blue (against it), on a scale symmetric around 0. All panels share
    one scale.

    Args:
        signal: float (samples, leads), one sample of the time view, e.g. ``inputs["time"][i]``.
        attribution: float (samples, leads), the same sample's map, e.g. ``saliency[i]``; or
            (samples,), one value per time step (``combine_leads="sum"``), shown on every lead.
        lead: index of the one lead to show large; None shows every lead (report layout for the
            12 standard leads).
        lead_names: names of the leads axis.
        fs: sampling rate in Hz.
        title: figure title.

    Returns:
        The Figure (never shown here).
    """
    signal = np.asarray(signal, dtype=float)
    attribution = np.asarray(attribution, dtype=float)
    lead_names = [str(name) for name in lead_names]
    if signal.ndim != 2 or signal.shape[1] != len(lead_names):
        raise ValueError(f"signal must be (samples, {len(lead_names)} leads) for lead_names, got {signal.shape}")
    if attribution.ndim == 1:
        attribution = np.repeat(attribution[:, None], signal.shape[1], axis=1)
    if attribution.shape != signal.shape:
        raise ValueError(f"attribution must be {signal.shape} or ({signal.shape[0]},) like signal, "
                         f"got {np.shape(attribution)}")
    if lead is not None and not (isinstance(lead, (int, np.integer)) and 0 <= lead < len(lead_names)):
        raise ValueError(f"lead must be a lead index in 0..{len(lead_names) - 1} or None, got {lead!r}")
    if lead is not None:
        shown = [lead_names[lead]]
    elif sorted(lead_names) == sorted(LEAD_NAMES):
        shown = [name for row in REPORT_LAYOUT for name in row]
    else:
        shown = lead_names
    columns = min(4, len(shown))
    rows = -(-len(shown) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(12 if lead is None else 10, 1.8 * rows + 0.6),
                             squeeze=False, constrained_layout=True)
    signed = (attribution < 0).any()
    limit = np.abs(attribution).max() or 1.0
    colour = dict(cmap="RdBu_r", vmin=-limit, vmax=limit) if signed else dict(cmap="Reds", vmin=0, vmax=limit)
    seconds = len(signal) / fs
    for ax, name in zip(axes.flat, shown):
        i = lead_names.index(name)
        low, high = signal[:, i].min(), signal[:, i].max()
        margin = 0.1 * (high - low) + 1e-6
        shading = ax.imshow(attribution[None, :, i], aspect="auto", interpolation="nearest",
                            extent=(0, seconds, low - margin, high + margin), **colour)
        ax.plot(np.arange(len(signal)) / fs, signal[:, i], color="k", lw=0.8)
        ax.set_title(name, loc="left", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(shown):]:
        ax.set_axis_off()
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    fig.colorbar(shading, ax=axes, label="attribution", shrink=0.8)
    fig.suptitle(title)
    return fig


def plot_grad_cam(scalogram, cam, *, lead: int = 0, lead_names=LEAD_NAMES, frequencies=None,
                  seconds: float = LEAD_SECONDS, title: str = ""):
    """A scalogram next to the same scalogram with its Grad-CAM heatmap on top.

    Chapter 11. Axes: time in s (columns) and frequency in Hz (rows, highest at the top).

    Args:
        scalogram: float (height, width, leads), one sample of the scalogram view.
        cam: float (height, width), the same sample's :func:`grad_cam` map (scaled to its maximum
            here).
        lead: index of the lead whose scalogram is drawn.
        lead_names: names of the leads axis.
        frequencies: Hz of each row (``ecgkeras.views.scalogram_frequencies``); None computes
            them for ``to_scalogram``'s default settings at this image size.
        seconds: duration the image's width spans, in s (2.5 for a report lead).
        title: figure title.

    Returns:
        The Figure (never shown here).
    """
    scalogram = np.asarray(scalogram, dtype=float)
    cam = np.asarray(cam, dtype=float)
    if scalogram.ndim != 3:
        raise ValueError(f"scalogram must be (height, width, leads), one sample, got shape {scalogram.shape}")
    if cam.shape != scalogram.shape[:2]:
        raise ValueError(f"cam must be (height, width) = {scalogram.shape[:2]} like scalogram, got {cam.shape}")
    if not (isinstance(lead, (int, np.integer)) and 0 <= lead < scalogram.shape[2]):
        raise ValueError(f"lead must be a lead index in 0..{scalogram.shape[2] - 1}, got {lead!r}")
    height, width = cam.shape
    if frequencies is None:
        frequencies = scalogram_frequencies(size=(height, width))
    if np.shape(frequencies) != (height,):
        raise ValueError(f"frequencies must hold one value per row ({height}), got shape {np.shape(frequencies)}")
    name = lead_names[lead] if lead < len(lead_names) else f"lead {lead}"
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
    extent = (0, seconds, height, 0)
    axes[0].imshow(scalogram[:, :, lead], aspect="auto", cmap="magma", extent=extent)
    axes[0].set_title(f"{name}: scalogram")
    axes[1].imshow(scalogram[:, :, lead], aspect="auto", cmap="gray", extent=extent)
    heat = axes[1].imshow(cam / (cam.max() or 1.0), aspect="auto", cmap="jet", alpha=0.45,
                          extent=extent, vmin=0, vmax=1)
    axes[1].set_title(f"{name}: Grad-CAM")
    fig.colorbar(heat, ax=axes[1], label="Grad-CAM / its maximum")
    ticks = np.linspace(0, height - 1, 5).astype(int)
    for ax in axes:
        ax.set_yticks(ticks + 0.5, [f"{frequencies[t]:.1f}" for t in ticks])
        ax.set(xlabel="time (s)", ylabel="frequency (Hz)")
    fig.suptitle(title)
    return fig


def _tensorflow():
    """The ``tensorflow`` module, or a RuntimeError naming the active Keras backend."""
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            f"ecgkeras.explain computes gradients with TensorFlow (tf.GradientTape), but the active "
            f"Keras backend is {backend!r}; set the environment variable KERAS_BACKEND=tensorflow "
            "before importing keras (the models themselves run on any backend)"
        )
    import tensorflow as tf

    return tf


def _check_request(model, inputs, view, class_index) -> tuple[dict, np.ndarray]:
    """Check the arguments shared by every explanation; return float32 inputs and int (n,) classes."""
    _tensorflow()
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    model_views = [tensor.name for tensor in model.inputs]
    if view not in model_views:
        raise ValueError(f"model {model.name!r} has no input for view {view!r}; its views: {model_views}")
    n = check_inputs(model, inputs, split="inputs")
    if n == 0:
        raise ValueError("inputs hold no samples")
    inputs = {name: np.asarray(array, dtype=np.float32) for name, array in inputs.items()}
    n_classes = model.outputs[0].shape[-1]
    if class_index is None:
        classes = np.argmax(np.asarray(model(inputs, training=False)), axis=-1)
    else:
        classes = np.asarray(class_index)
        classes = np.full(n, classes) if classes.ndim == 0 else classes
        if (classes.shape != (n,) or not np.issubdtype(classes.dtype, np.integer)
                or classes.min() < 0 or classes.max() >= n_classes):
            raise ValueError(f"class_index must be None, an int or int ({n},) in 0..{n_classes - 1}, "
                             f"got {class_index!r}")
    return inputs, classes.astype(np.int64)


def _check_baseline(baseline, x: np.ndarray) -> np.ndarray:
    """The baseline as float32 with the shape of ``x`` (n, *shape); zeros when None."""
    if baseline is None:
        return np.zeros_like(x)
    baseline = np.asarray(baseline, dtype=np.float32)
    if baseline.shape not in (x.shape, x.shape[1:]):
        raise ValueError(f"baseline must have shape {x.shape} or {x.shape[1:]} (one input), "
                         f"got {baseline.shape}")
    return np.broadcast_to(baseline, x.shape).copy()


def _class_gradients(model, inputs: dict, view: str, classes) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of each sample's class probability w.r.t. its input ``view``, and the probability.

    Returns float32 (n, *input shape) and float32 (n,). The samples do not interact in
    inference mode, so one backward pass of their sum gives every sample's own gradient.
    """
    tf = _tensorflow()
    tensors = {name: tf.constant(array) for name, array in inputs.items()}
    with tf.GradientTape() as tape:
        tape.watch(tensors[view])
        probabilities = model(tensors, training=False)
        scores = tf.gather(probabilities, classes, axis=1, batch_dims=1)
    return tape.gradient(scores, tensors[view]).numpy(), scores.numpy()


def _feature_map_model(model, view: str, layer_name: str | None) -> keras.Model:
    """A model with the same inputs and weights as ``model`` and two outputs: the feature maps of
    ``layer_name`` inside ``f"{view}_encoder"``, float32 (n, *spatial, channels), and the class
    probabilities (n, n_classes).

    The encoder is a nested model, so its inner layers are not tensors of the outer graph. The
    model is therefore rebuilt (``keras.models.clone_model``, sharing every layer) with the
    encoder replaced by a two-output copy of itself, whose feature maps become an output.
    """
    encoder = feature_model(model, view)
    if layer_name is None:
        layer_name = [layer.name for layer in encoder.layers if layer.name.endswith("_relu")][-1]
    try:
        feature_maps = encoder.get_layer(layer_name).output
    except ValueError:
        raise ValueError(f"layer_name {layer_name!r} is not a layer of {encoder.name!r}; its layers: "
                         f"{[layer.name for layer in encoder.layers]}") from None
    if len(feature_maps.shape) < 3:
        raise ValueError(f"layer_name {layer_name!r} gives {feature_maps.shape}, not feature maps "
                         "(n, *spatial, channels)")
    two_outputs = keras.Model(encoder.inputs, [feature_maps, encoder.output])
    found = {}

    def call_layer(layer, *args, **kwargs):
        if layer is encoder:
            found["feature_maps"], features = two_outputs(*args, **kwargs)
            return features
        return layer(*args, **kwargs)

    rebuilt = keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call_layer)
    return keras.Model(rebuilt.inputs, [found["feature_maps"], rebuilt.output])


def _upsample(maps, size: tuple[int, ...]) -> np.ndarray:
    """Bilinear resize of (n, *spatial) maps to (n, *size); 1-D maps are resized as (n, length, 1)."""
    tf = _tensorflow()
    images = maps[..., None] if len(size) == 2 else maps[:, :, None, None]
    target = size if len(size) == 2 else (size[0], 1)
    resized = tf.image.resize(images, target, method="bilinear")
    return resized.numpy().reshape((len(resized), *size)).astype(np.float32)
