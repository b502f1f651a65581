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
from ecgkeras.data.synthetic import beat_waves
from ecgkeras.models import VIEWS, feature_model
from ecgkeras.plot import DIVERGING_CMAP, SCALOGRAM_CMAP, SEQUENTIAL_CMAP, book_figure, book_plot
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


@book_plot
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
    signed = (attribution < 0).any()
    limit = np.abs(attribution).max() or 1.0
    # "Reds" for >= 0: one hue, light to dark, readable with any colour vision.
    colour = dict(cmap=DIVERGING_CMAP, vmin=-limit, vmax=limit) if signed else dict(cmap="Reds", vmin=0, vmax=limit)
    seconds = len(signal) / fs
    fig, axes = book_figure(rows, columns, height_in=(1.6 if rows > 1 else 2.2) * rows + (0.9 if title else 0.6),
                            squeeze=False)
    for ax, name in zip(axes.flat, shown):
        i = lead_names.index(name)
        low, high = signal[:, i].min(), signal[:, i].max()
        margin = 0.1 * (high - low) + 1e-6
        shading = ax.imshow(attribution[None, :, i], aspect="auto", interpolation="nearest",
                            extent=(0, seconds, low - margin, high + margin), **colour)
        ax.plot(np.arange(len(signal)) / fs, signal[:, i], color="k", lw=0.8)
        ax.set_title(name, loc="left")
        ax.xaxis.set_major_locator(plt.MaxNLocator(4 if columns < 4 else 3))
        ax.yaxis.set_major_locator(plt.MaxNLocator(3))
    for ax in axes.flat[len(shown):]:
        ax.set_axis_off()
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    fig.colorbar(shading, ax=axes, label="attribution", shrink=0.9)
    fig.suptitle(title)
    return fig


@book_plot
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
    extent = (0, seconds, height, 0)
    fig, axes = book_figure(1, 2, height_in=3.2 + (0.4 if title else 0))
    axes[0].imshow(scalogram[:, :, lead], aspect="auto", cmap=SCALOGRAM_CMAP, extent=extent)
    axes[0].set_title(f"{name}: scalogram")
    axes[1].imshow(scalogram[:, :, lead], aspect="auto", cmap="gray", extent=extent)
    # A colour-blind-safe map ordered in lightness (not "jet") over the grey scalogram.
    heat = axes[1].imshow(cam / (cam.max() or 1.0), aspect="auto", cmap=SEQUENTIAL_CMAP, alpha=0.55,
                          extent=extent, vmin=0, vmax=1)
    axes[1].set_title(f"{name}: Grad-CAM")
    fig.colorbar(heat, ax=axes[1], label="Grad-CAM / its maximum")
    ticks = np.linspace(0, height - 1, 5).astype(int)
    for ax in axes:
        ax.set_yticks(ticks + 0.5, [f"{frequencies[t]:.1f}" for t in ticks])
        ax.set(xlabel="time (s)", ylabel="frequency (Hz)")
    fig.suptitle(title)
    return fig


# A known-answer case: ST elevation ------------------------------------------------------------

#: Gaussian waves of one beat of :func:`simulate_st_elevation`: name -> (peak after R in s,
#: width in s, amplitude in mV), drawn by ``ecgkeras.data.synthetic.beat_waves``.
BEAT_WAVES = {"P": (-0.16, 0.025, 0.12), "Q": (-0.03, 0.01, -0.1), "R": (0.0, 0.012, 1.0),
              "S": (0.03, 0.012, -0.25), "T": (0.28, 0.045, 0.3)}
#: The ST segment, in s after each R peak: where the evidence of :func:`simulate_st_elevation` is.
ST_WINDOW = (0.08, 0.18)
#: The TP segment, in s after each R peak: flat baseline between the T wave and the next P wave,
#: the same in both classes (for heart rates of at most 80 bpm).
TP_WINDOW = (0.42, 0.52)


def simulate_st_elevation(n: int, seed: int = 0, *, fs: float = FS,
                          seconds: float = LEAD_SECONDS) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """One-lead ECGs of two classes that differ only by an ST elevation: a known-answer case.

    Chapter 11. A model that tells the classes apart can only use the ST segment (the plateau
    between the end of the QRS complex and the T wave), so its attributions should lie there
    and not on the TP baseline. Each beat is a sum of Gaussian waves (``BEAT_WAVES``); heart rate
    63-79 bpm, every wave's amplitude varies by +-30 % from ECG to ECG, white noise of 0.01-0.05 mV
    and baseline wander up to 0.1 mV. Class 1 adds a plateau of 0.15-0.3 mV that rises at the J
    point (50 ms after R) and ends with the T wave. The signals stay in mV (no per-ECG
    normalisation, which would turn the elevation into a change of scale of the whole ECG).

    Args:
        n: number of ECGs (class 0 or 1 with equal chance each).
        seed: seed of the random numbers; the same seed gives the same ECGs.
        fs: sampling rate in Hz.
        seconds: length in s (2.5, one report lead, by default).

    Returns:
        ``(signals, labels, r_peaks)``: float32 (n, round(seconds * fs), 1) in mV (one lead, the
        channels-last time view), int64 (n,) (1 = ST elevation), and per ECG an int array of its
        R-peak sample indices (some lie outside the window: their neighbouring waves reach in).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer (number of ECGs), got {n!r}")
    if not (np.isfinite(fs) and fs > 0 and np.isfinite(seconds) and seconds > 0):
        raise ValueError(f"fs and seconds must be positive numbers, got fs={fs!r}, seconds={seconds!r}")
    from scipy.special import expit

    rng = np.random.default_rng(seed)
    samples = round(seconds * fs)
    t = np.arange(samples) / fs
    labels = rng.integers(0, 2, n)
    signals = np.empty((n, samples, 1), np.float32)
    r_peaks = []
    for i in range(n):
        rr = rng.uniform(0.76, 0.95)
        peaks = np.arange(rng.uniform(0, rr) - rr, seconds + rr, rr)  # one beat beyond each end
        since_r = t[:, None] - peaks  # (samples, beats): time since each R peak
        scales = rng.uniform(0.7, 1.3, len(BEAT_WAVES))  # each wave's amplitude, this ECG
        x = beat_waves(samples, fs, peaks, BEAT_WAVES.values()) @ scales
        if labels[i]:
            plateau = expit((since_r - 0.05) / 0.006) * expit((BEAT_WAVES["T"][0] - since_r) / 0.03)
            x += rng.uniform(0.15, 0.3) * plateau.sum(axis=1)
        x += rng.normal(0, rng.uniform(0.01, 0.05), samples)
        x += rng.uniform(0, 0.1) * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t + rng.uniform(0, 2 * np.pi))
        signals[i, :, 0] = x
        r_peaks.append(np.round(peaks * fs).astype(int))
    return signals, labels.astype(np.int64), r_peaks


def beat_window_mask(r_peaks, window: tuple[float, float], samples: int, fs: float = FS) -> np.ndarray:
    """The samples that lie in a window after each R peak, e.g. every ST segment of every ECG.

    Chapter 11. Only beats whose whole window fits inside the signal count, so that a segment
    cut by the edge of the window does not weigh less than a whole one.

    Args:
        r_peaks: per ECG, int sample indices of its R peaks (from :func:`simulate_st_elevation`).
        window: ``(start, stop)`` in s after the R peak, e.g. ``ST_WINDOW``.
        samples: length of each signal in samples.
        fs: sampling rate in Hz.

    Returns:
        bool (n, samples): True inside a window.
    """
    start, stop = (round(edge * fs) for edge in window)
    if stop <= start:
        raise ValueError(f"window must be (start, stop) in s with start < stop, got {window!r}")
    mask = np.zeros((len(r_peaks), samples), bool)
    for i, peaks in enumerate(r_peaks):
        for r in np.asarray(peaks, dtype=int):
            if r + start >= 0 and r + stop <= samples:
                mask[i, r + start : r + stop] = True
    return mask


def attribution_ratio(attribution, inside, outside) -> float:
    """How much more attribution one region gets than another, per sample: e.g. ST over TP.

    Chapter 11. The mean of ``|attribution|`` over every sample inside (all ECGs pooled) divided
    by its mean over every sample outside. The absolute value makes signed attributions
    (integrated gradients) count by their size; saliency and Grad-CAM are >= 0 anyway. Means,
    not sums, so that regions of different lengths compare fairly. 1 means no preference; a
    ratio of 4 means the model's output is 4 times as sensitive to a sample of the first region.

    Args:
        attribution: float (n, samples), one map per ECG (for several leads, combine them first,
            e.g. ``saliency_map(..., combine_leads="sum")`` or ``np.abs(ig).sum(axis=-1)``).
        inside, outside: bool (n, samples), e.g. from :func:`beat_window_mask`.

    Returns:
        The ratio (unitless); NaN when the outside region gets no attribution at all.
    """
    attribution = np.abs(np.asarray(attribution, dtype=np.float64))
    inside, outside = np.asarray(inside), np.asarray(outside)
    for name, mask in (("inside", inside), ("outside", outside)):
        if mask.dtype != bool or mask.shape != attribution.shape:
            raise ValueError(f"{name} must be a bool mask with the shape of attribution, "
                             f"{attribution.shape}; got {mask.dtype} {mask.shape}")
        if not mask.any():
            raise ValueError(f"{name} selects no sample")
    below = attribution[outside].mean()
    return float(attribution[inside].mean() / below) if below > 0 else float("nan")


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
