"""Figures the book shows. Each ``plot_*`` function returns a matplotlib Figure and never calls ``show()``.

Chapters 1-3 (signals, views, class counts) and 4-8 (the models: ``model_figure``, ``plot_history``,
``plot_confusion_matrix``, ``plot_prediction``, ``plot_attention_map``, ``plot_attention_weights``).
Images from the Mendeley data set are CC BY 4.0 (Khan & Hussain 2021): pass ``attribution=True``
to print the credit under them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ecgkeras.data.dataset import FS, LEAD_NAMES, REPORT_LAYOUT

MENDELEY_CREDIT = "Image: Khan & Hussain (2021), ECG Images dataset of Cardiac Patients, CC BY 4.0"


def plot_image(image, *, title: str = "", attribution: bool = False, ax=None):
    """Show a report image (PIL image or uint8 (H, W, 3)) without axes."""
    fig, ax = _figure(ax, figsize=(10, 7))
    ax.imshow(np.asarray(image))
    ax.set_axis_off()
    ax.set_title(title)
    if attribution:
        ax.text(0, -0.02, MENDELEY_CREDIT, transform=ax.transAxes, fontsize=8, va="top")
    return fig


def plot_report_leads(leads, rhythm=None, *, fs: float = FS, reference=None, title: str = ""):
    """Draw 12 lead windows in the report's 3 x 4 layout, and the rhythm strip below.

    Args:
        leads: float (12, samples) in mV, LEAD_NAMES order (2.5 s each).
        rhythm: float (rhythm_samples,) in mV, or None.
        fs: Hz.
        reference: optional (12, samples) drawn in grey underneath (e.g. the signal that was rendered).
    """
    leads = np.asarray(leads)
    rows = 4 if rhythm is not None else 3
    fig = plt.figure(figsize=(12, 2.0 * rows), constrained_layout=True)
    grid = fig.add_gridspec(rows, 4)
    t = np.arange(leads.shape[1]) / fs
    for r, row in enumerate(REPORT_LAYOUT):
        for c, name in enumerate(row):
            ax = fig.add_subplot(grid[r, c])
            i = LEAD_NAMES.index(name)
            if reference is not None:
                ax.plot(t + 2.5 * c, reference[i], color="0.7", lw=2.5, label="drawn")
            ax.plot(t + 2.5 * c, leads[i], color="k", lw=0.8, label="recovered")
            ax.set_title(name, loc="left", fontsize=9)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel("mV")
    if rhythm is not None:
        ax = fig.add_subplot(grid[3, :])
        ax.plot(np.arange(len(rhythm)) / fs, rhythm, color="k", lw=0.8)
        ax.set_title("rhythm strip", loc="left", fontsize=9)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("mV")
    if reference is not None:
        fig.axes[0].legend(fontsize=7, loc="upper right")
    fig.suptitle(title)
    return fig


def plot_signal(signal, *, fs: float = FS, title: str = "", ax=None, **line_options):
    """One 1-D signal against time in seconds."""
    fig, ax = _figure(ax, figsize=(10, 2.5))
    signal = np.asarray(signal)
    ax.plot(np.arange(len(signal)) / fs, signal, lw=0.8, **line_options)
    ax.set_xlabel("time (s)")
    ax.set_title(title)
    return fig


def plot_class_counts(counts: dict[str, dict[str, int]], *, title: str = "", ax=None):
    """Grouped bars: ``counts[series][class] -> n`` (e.g. before / after oversampling)."""
    fig, ax = _figure(ax, figsize=(8, 3.5))
    series = list(counts)
    classes = list(next(iter(counts.values())))
    width = 0.8 / len(series)
    x = np.arange(len(classes))
    for k, name in enumerate(series):
        values = [counts[name][c] for c in classes]
        bars = ax.bar(x + k * width, values, width, label=name)
        ax.bar_label(bars, fontsize=8)
    ax.set_xticks(x + width * (len(series) - 1) / 2, classes)
    ax.set_ylabel("samples")
    ax.legend()
    ax.set_title(title)
    return fig


def plot_views(views: dict, index: int = 0, *, leads=(0,), lead_names=None, fs: float = FS,
               scalogram_hz=None, spectrum_hz=None, title: str = ""):
    """One sample's three views, one row per lead: time, scalogram, spectrum (chapter 2).

    Args:
        views: ``make_views`` output: time (n, samples, leads), scalogram (n, h, w, leads),
            spectrum (n, bins, leads).
        index: which sample.
        leads: lead indices to show (rows).
        lead_names: names for the row titles.
        fs: Hz of the time view.
        scalogram_hz: Hz of each scalogram row (``scalogram_frequencies``), for the y axis.
        spectrum_hz: Hz of each spectrum bin (``spectrum_frequencies``), for the x axis.
    """
    fig, axes = plt.subplots(len(leads), 3, figsize=(13, 2.6 * len(leads)), squeeze=False,
                             constrained_layout=True)
    for row, lead in enumerate(leads):
        name = lead_names[lead] if lead_names is not None else f"lead {lead}"
        signal = views["time"][index, :, lead]
        axes[row, 0].plot(np.arange(len(signal)) / fs, signal, color="k", lw=0.8)
        axes[row, 0].set(title=f"{name}: time", xlabel="time (s)", ylabel="normalised")
        image = views["scalogram"][index, :, :, lead]
        duration = len(signal) / fs
        axes[row, 1].imshow(image, aspect="auto", cmap="magma", extent=(0, duration, len(image), 0))
        if scalogram_hz is not None:
            ticks = np.linspace(0, len(image) - 1, 5).astype(int)
            axes[row, 1].set_yticks(ticks + 0.5, [f"{scalogram_hz[t]:.1f}" for t in ticks])
            axes[row, 1].set_ylabel("frequency (Hz)")
        axes[row, 1].set(title=f"{name}: time-frequency (scalogram)", xlabel="time (s)")
        spectrum = views["spectrum"][index, :, lead]
        hz = spectrum_hz if spectrum_hz is not None else np.arange(len(spectrum))
        axes[row, 2].plot(hz, spectrum, color="tab:blue", lw=0.8)
        axes[row, 2].set(title=f"{name}: frequency (spectrum)",
                         xlabel="frequency (Hz)" if spectrum_hz is not None else "bin",
                         ylabel="dB, scaled to [0, 1]")
    fig.suptitle(title)
    return fig


def _figure(ax, figsize):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
        return fig, ax
    return ax.figure, ax


# Part II: the models (chapters 4-8) -----------------------------------------------------------

#: What ``model_figure`` prints instead of a figure when Graphviz or pydot is missing.
GRAPHVIZ_HINT = ("model figure skipped: keras.utils.plot_model needs pydot (`pip install pydot`) and "
                 "Graphviz (`apt-get install graphviz`, `brew install graphviz` or "
                 "`conda install graphviz`); `model.summary()` lists the same layers")


def graphviz_available() -> bool:
    """True when pydot and Graphviz's ``dot`` program are installed (``keras.utils.plot_model`` needs both)."""
    try:
        import pydot

        pydot.Dot.create(pydot.Dot())
    except Exception:  # ImportError without pydot; OSError or pydot's error without Graphviz
        return False
    return True


def model_figure(model, *, show_shapes: bool = True, expand_nested: bool = False, rankdir: str = "TB",
                 dpi: int = 72):
    """The model's graph as an image (``keras.utils.plot_model``), or None where Graphviz is missing.

    Chapters 4-8. Never stops a notebook: without pydot or Graphviz, or if drawing fails, it prints
    one line saying what to install (``GRAPHVIZ_HINT``) and returns None.

    Args:
        model: a built ``keras.Model``, e.g. from ``ecgkeras.models.build_model``.
        show_shapes: print each layer's output shape (batch axis shown as None).
        expand_nested: draw the layers inside nested models (the encoders) instead of one box each.
        rankdir: "TB" (top to bottom) or "LR" (left to right).
        dpi: resolution of the image (dots per inch).

    Returns:
        An ``IPython.display.Image`` (PNG) that a notebook shows when it is a cell's last value,
        or None.
    """
    import tempfile
    from pathlib import Path

    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' or 'LR', got {rankdir!r}")
    if not isinstance(dpi, int) or dpi < 1:
        raise ValueError(f"dpi must be a positive integer, got {dpi!r}")
    if not graphviz_available():
        print(GRAPHVIZ_HINT)
        return None
    try:
        from IPython.display import Image

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.png"
            keras.utils.plot_model(model, to_file=str(path), show_shapes=show_shapes, show_layer_names=True,
                                   expand_nested=expand_nested, rankdir=rankdir, dpi=dpi)
            return Image(data=path.read_bytes(), format="png")
    except Exception as error:  # a figure is never worth a failed chapter
        print(f"{GRAPHVIZ_HINT} ({type(error).__name__}: {error})")
        return None


def plot_history(history, *, title: str = ""):
    """Training curves: loss and accuracy per epoch, training and validation (chapters 4-8).

    Args:
        history: a ``keras.callbacks.History`` or its ``.history`` dict, e.g. ``RunResult.history``:
            "loss", "val_loss", "accuracy", "val_accuracy" -> one float per epoch (the
            validation keys are optional).
        title: figure title.

    Returns:
        A Figure with two panels. A dotted line marks the epoch with the lowest validation loss,
        whose weights ``ecgkeras.train.fit`` restores.
    """
    history = getattr(history, "history", history)
    if not isinstance(history, dict) or not history.get("loss"):
        raise ValueError("history must be a keras History or a dict with a non-empty 'loss' list, "
                         f"got {type(history).__name__} with keys {list(history) if isinstance(history, dict) else []}")
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for prefix, label in (("", "training"), ("val_", "validation")):
            values = history.get(prefix + metric)
            if values:
                if len(values) != len(epochs):
                    raise ValueError(f"history[{prefix + metric!r}] has {len(values)} values for "
                                     f"{len(epochs)} epochs of 'loss'")
                ax.plot(epochs, values, marker=".", label=label)
        if history.get("val_loss"):
            best = int(np.argmin(history["val_loss"])) + 1
            ax.axvline(best, color="0.5", linestyle=":", label=f"best epoch ({best}), restored")
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        ax.legend(fontsize=8)
    axes[1].set_ylim(0, 1.02)
    fig.suptitle(title)
    return fig


def plot_confusion_matrix(matrix, class_names, *, normalize: bool = True, title: str = "", ax=None):
    """A confusion matrix: rows the true class, columns the predicted one (chapters 4-8).

    Args:
        matrix: int (n_classes, n_classes) counts, e.g. ``evaluate_predictions(...)["confusion_matrix"]``.
        class_names: n_classes names, in label order.
        normalize: colour each row by its share of the true class (the diagonal is then each class's
            recall) and print the share under the count; False colours the raw counts.
        title: axes title.
        ax: matplotlib Axes to draw into (default: a new figure).

    Returns:
        The Figure.
    """
    import textwrap

    matrix = np.asarray(matrix)
    class_names = [str(name) for name in class_names]
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square (n_classes, n_classes), got shape {matrix.shape}")
    if len(class_names) != len(matrix):
        raise ValueError(f"class_names has {len(class_names)} names for a {len(matrix)}-class matrix")
    if (matrix < 0).any():
        raise ValueError("matrix must hold counts >= 0")
    rows = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
    fig, ax = _figure(ax, figsize=(5.2, 4.4))
    shown = shares if normalize else matrix
    ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else max(1, matrix.max()))
    for i in range(len(matrix)):
        for j in range(len(matrix)):
            text = f"{matrix[i, j]}\n{shares[i, j]:.0%}" if normalize else f"{matrix[i, j]}"
            dark = shown[i, j] > 0.6 * (1 if normalize else max(1, matrix.max()))
            ax.text(j, i, text, ha="center", va="center", fontsize=9, color="white" if dark else "black")
    labels = [textwrap.fill(name, 12) for name in class_names]
    ax.set_xticks(range(len(matrix)), labels, fontsize=8)
    ax.set_yticks(range(len(matrix)), labels, fontsize=8)
    ax.set(xlabel="predicted class", ylabel="true class",
           title=title or ("confusion matrix (share of each true class)" if normalize else "confusion matrix"))
    return fig


def plot_attention_weights(weights, labels, class_names, *, view_names=("time", "scalogram", "spectrum"),
                           title: str = ""):
    """Attention fusion's weight per view, averaged over the samples of each true class (chapter 8).

    Args:
        weights: float (n, views), each row a softmax over the views (sums to 1), e.g. the output of
            the layer ``ecgkeras.models.ATTENTION_WEIGHTS_LAYER``.
        labels: int (n,) true class indices.
        class_names: names of the classes, in label order.
        view_names: names of the ``views`` columns.
        title: figure title.

    Returns:
        A Figure: per class, one bar per view (the mean weight; the error bar spans the middle half
        of the class's samples, 25th to 75th percentile), and a dashed line at 1 / views (equal
        trust).
    """
    weights = np.asarray(weights, dtype=float)
    labels = np.asarray(labels)
    class_names = [str(name) for name in class_names]
    view_names = [str(name) for name in view_names]
    if weights.ndim != 2 or weights.shape[1] != len(view_names):
        raise ValueError(f"weights must be (n, {len(view_names)}) for view_names {view_names}, got {weights.shape}")
    if not np.allclose(weights.sum(axis=1), 1, atol=1e-3) or (weights < 0).any():
        raise ValueError("weights must be >= 0 with rows summing to 1 (a softmax over the views)")
    if labels.shape != (len(weights),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers of shape ({len(weights)},), got {labels.dtype} {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(class_names)):
        raise ValueError(f"labels must lie in 0..{len(class_names) - 1} for {len(class_names)} class_names")
    present = [c for c in range(len(class_names)) if (labels == c).any()]
    fig, ax = plt.subplots(figsize=(9, 3.6), constrained_layout=True)
    width = 0.8 / len(view_names)
    for v, view in enumerate(view_names):
        means = np.array([weights[labels == c, v].mean() for c in present])
        quartiles = np.array([np.percentile(weights[labels == c, v], [25, 75]) for c in present])
        below_above = np.clip(np.stack([means - quartiles[:, 0], quartiles[:, 1] - means]), 0, None)
        ax.bar(np.arange(len(present)) + (v - (len(view_names) - 1) / 2) * width, means, width,
               yerr=below_above, capsize=3, label=view)
    ax.axhline(1 / len(view_names), color="0.4", linestyle="--", lw=1, label="equal weights")
    ax.set_xticks(np.arange(len(present)), [class_names[c] for c in present])
    ax.set(ylabel="attention weight", ylim=(0, 1), title=title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def plot_prediction(signal, probabilities, label: int, class_names, *, lead_names=LEAD_NAMES, fs: float = FS,
                    title: str = ""):
    """One ECG as a model saw it, next to the class probabilities the model gave it (chapters 4-8).

    Args:
        signal: float (samples, leads), one sample of a view or data set (channels-last), e.g.
            ``splits["test"].signals[i]`` (mV) or ``views["test"]["time"][i]`` (normalised).
        probabilities: float (n_classes,), the model's output for this ECG.
        label: the true class index.
        class_names: names of the classes, in label order.
        lead_names: names of the leads axis; the 12 standard leads are drawn in the report layout.
        fs: sampling rate in Hz.
        title: figure title (default: true and predicted class).

    Returns:
        A Figure: one panel per lead, and a bar per class (the true class in green, a wrong
        prediction in red).
    """
    signal = np.asarray(signal, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    class_names = [str(name) for name in class_names]
    lead_names = [str(name) for name in lead_names]
    if signal.ndim != 2 or signal.shape[1] != len(lead_names):
        raise ValueError(f"signal must be (samples, {len(lead_names)} leads) for lead_names, got {signal.shape}")
    if probabilities.shape != (len(class_names),):
        raise ValueError(f"probabilities must hold one value per class ({len(class_names)}), got {probabilities.shape}")
    if not isinstance(label, (int, np.integer)) or not 0 <= label < len(class_names):
        raise ValueError(f"label must be a class index in 0..{len(class_names) - 1}, got {label!r}")
    standard = sorted(lead_names) == sorted(LEAD_NAMES)
    order = [name for row in REPORT_LAYOUT for name in row] if standard else lead_names
    rows = -(-len(order) // 4)
    fig = plt.figure(figsize=(13, 1.7 * rows + 0.8), constrained_layout=True)
    grid = fig.add_gridspec(rows, 5, width_ratios=(1, 1, 1, 1, 1.3))
    t = np.arange(len(signal)) / fs
    for k, name in enumerate(order):
        ax = fig.add_subplot(grid[k // 4, k % 4])
        ax.plot(t, signal[:, lead_names.index(name)], color="k", lw=0.8)
        ax.set_title(name, loc="left", fontsize=9)
        ax.tick_params(labelsize=7)
    predicted = int(np.argmax(probabilities))
    colors = ["tab:green" if c == label else "tab:red" if c == predicted else "0.6" for c in range(len(class_names))]
    ax = fig.add_subplot(grid[:, 4])
    bars = ax.barh(range(len(class_names)), probabilities, color=colors)
    ax.bar_label(bars, labels=[f"{p:.0%}" for p in probabilities], fontsize=8, padding=2)
    ax.set_yticks(range(len(class_names)), class_names, fontsize=8)
    for c, tick in enumerate(ax.get_yticklabels()):
        tick.set_color(colors[c] if c in (label, predicted) else "black")
    ax.invert_yaxis()
    ax.set(xlim=(0, 1.15), xlabel="predicted probability", title="true class in green")
    fig.suptitle(title or f"true: {class_names[label]}, predicted: {class_names[predicted]} "
                          f"({probabilities[predicted]:.0%})")
    return fig


def plot_attention_map(scores, token_hz=None, *, vmin=None, vmax=None, title: str = "", ax=None):
    """Self-attention weights between tokens: row = query token, column = the token it attends to (chapter 6).

    Args:
        scores: float (tokens, tokens), each row a softmax over the keys (sums to 1), e.g. the
            mean over samples and heads of ``MultiHeadAttention(..., return_attention_scores=True)``.
        token_hz: optional float (tokens,), the frequency in Hz each token stands for (axis labels).
        vmin, vmax: the weights at the ends of the colour scale (default: the smallest and largest
            in ``scores``); give the same to maps that should be compared. Uniform attention
            would be 1 / tokens everywhere.
        title: axes title.
        ax: matplotlib Axes to draw into (default: a new figure).

    Returns:
        The Figure.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(f"scores must be square (tokens, tokens), got shape {scores.shape}")
    if not np.allclose(scores.sum(axis=1), 1, atol=1e-3) or (scores < 0).any():
        raise ValueError("scores must be >= 0 with rows summing to 1 (a softmax over the keys)")
    if token_hz is not None and np.shape(token_hz) != (len(scores),):
        raise ValueError(f"token_hz must hold one frequency per token ({len(scores)}), got shape {np.shape(token_hz)}")
    fig, ax = _figure(ax, figsize=(5.2, 4.4))
    image = ax.imshow(scores, cmap="viridis", vmin=vmin, vmax=vmax)
    fig.colorbar(image, ax=ax, label="attention weight")
    if token_hz is not None:
        ticks = np.linspace(0, len(scores) - 1, 6).round().astype(int)
        labels = [f"{token_hz[t]:.0f}" for t in ticks]
        ax.set_xticks(ticks, labels)
        ax.set_yticks(ticks, labels)
        ax.set(xlabel="attended token (Hz)", ylabel="query token (Hz)")
    else:
        ax.set(xlabel="attended token", ylabel="query token")
    ax.set_title(title)
    return fig
