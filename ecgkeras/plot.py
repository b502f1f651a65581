"""Figures the book shows. Each ``plot_*`` function returns a matplotlib Figure and never calls ``show()``.

Chapters 1-3 (signals, views, class counts) and 4-8 (the models: ``model_figure``, ``plot_history``,
``plot_confusion_matrix``, ``plot_prediction``, ``plot_attention_map``, ``plot_attention_maps``,
``plot_attention_weights``) and 7-12 (the results of ``ecgkeras reproduce``: ``plot_summary``,
``plot_runs``).
Images from the Mendeley data set are CC BY 4.0 (Khan & Hussain 2021): pass ``attribution=True``
to print the credit under them.

The book style
--------------
The rendered book shows a figure in a content column about 730 px wide (at a 1280 px window), so
every figure of the package is drawn at the size it is shown and never scaled down: at most
:data:`FIGURE_WIDTH_IN` (7.18 inches) at :data:`BOOK_DPI` = 100 dpi, so that the PNG a notebook
saves (cropped to the content, plus a 0.1 in margin) is at most :data:`BOOK_WIDTH_IN` = 7.3 in,
730 px, wide. A 9 pt label is then 12.5 px high on the page. This module is the one place that defines the
style:

- :data:`BOOK_WIDTH_IN`, :data:`FIGURE_WIDTH_IN`, :data:`BOOK_DPI`: the column, the widest
  figure, and the resolution of figures and saved PNGs;
- :data:`MIN_FONT_PT` = 9: no text (tick labels, legends, titles, annotations, colour-bar labels)
  is smaller;
- :data:`PALETTE`: the Okabe-Ito colours (distinguishable with every common colour-vision
  deficiency), also the colour cycle; :data:`SEQUENTIAL_CMAP` ("viridis"),
  :data:`DIVERGING_CMAP` ("RdBu_r") and :data:`SCALOGRAM_CMAP` ("magma"), all ordered in
  lightness and colour-blind safe; where two series must be told apart, line style, markers,
  hatching or a text label is added to the colour;
- :data:`BOOK_RC`: the matplotlib settings of the above; :func:`book_style` (a context manager)
  or :func:`apply_book_style` (for a whole notebook) turn them on;
- :func:`book_figure` / :func:`book_canvas`: a new figure with constrained layout, its width
  capped at :data:`FIGURE_WIDTH_IN`; :func:`enforce_book_fonts` raises any smaller text to
  :data:`MIN_FONT_PT`.

Every ``plot_*`` function of ``ecgkeras`` draws under :func:`book_style` (decorator
:func:`book_plot`). A chapter that lays out its own figure can do the same::

    from ecgkeras.plot import book_figure, book_style

    with book_style():
        fig, axes = book_figure(1, 2, height_in=3)
"""

from __future__ import annotations

import contextlib
import functools
import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from ecgkeras.data.dataset import FS, LEAD_NAMES, REPORT_LAYOUT
from ecgkeras.results import METRICS, summarize

MENDELEY_CREDIT = "Image: Khan & Hussain (2021), ECG Images dataset of Cardiac Patients, CC BY 4.0"

# The book style -------------------------------------------------------------------------------

#: Width of the book's content column in inches: 730 px at a 1280 px window, at ``BOOK_DPI``.
BOOK_WIDTH_IN = 7.3
#: Dots per inch of every figure and saved PNG: 7.3 in x 100 dpi = 730 px, shown at 100 %.
BOOK_DPI = 100
#: Margins of a figure: constrained layout keeps its content ``LAYOUT_PAD_IN`` (3 pt) inside the
#: figure's edge; a notebook saves a figure cropped to its content plus ``savefig.pad_inches``
#: (``SAVE_PAD_IN``, 0.1 in) on each side.
LAYOUT_PAD_IN = 3 / 72
SAVE_PAD_IN = 0.1
#: Width of the figures drawn here (about 7.18 in): the PNG a notebook saves of a full-width
#: figure is then ``BOOK_WIDTH_IN`` wide, 730 px, and the page shows it unscaled. ``book_figure``
#: never draws wider.
FIGURE_WIDTH_IN = BOOK_WIDTH_IN - 2 * SAVE_PAD_IN + 2 * LAYOUT_PAD_IN
#: Smallest font size (points) of any text in a figure, at the size it is shown.
MIN_FONT_PT = 9.0
#: The Okabe-Ito palette (Okabe & Ito 2008), safe for the common colour-vision deficiencies.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
             "purple": "#CC79A7", "sky blue": "#56B4E9", "yellow": "#F0E442", "black": "#000000"}
#: The colour cycle of the book: Okabe-Ito, most distinct first.
PALETTE = tuple(OKABE_ITO[name] for name in ("blue", "orange", "green", "vermillion", "purple", "sky blue",
                                             "black", "yellow"))
#: Line styles and markers that go with ``PALETTE`` where series must not differ by colour alone.
LINE_STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "D", "^", "v", "P")
#: Colour maps: ordered in lightness and colour-blind safe.
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"
SCALOGRAM_CMAP = "magma"
#: ``plot_prediction``: the true class, a wrong predicted class (also hatched), the others.
TRUE_COLOR = OKABE_ITO["blue"]
PREDICTED_COLOR = OKABE_ITO["vermillion"]
OTHER_COLOR = "0.78"
#: Neutral colour of reference lines (0, chance, equal weights).
REFERENCE_COLOR = "0.45"

#: The matplotlib settings of the book style (see :func:`book_style`).
BOOK_RC = {
    "figure.figsize": (FIGURE_WIDTH_IN, 3.2),
    "figure.dpi": BOOK_DPI,
    "savefig.dpi": BOOK_DPI,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "figure.titlesize": 11,
    "figure.labelsize": 10,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "axes.prop_cycle": cycler(color=PALETTE),
    "image.cmap": SEQUENTIAL_CMAP,
}


@contextlib.contextmanager
def book_style():
    """Context manager that applies ``BOOK_RC`` while figures are made, then restores those keys.

    Settings are captured when a figure and its artists are created, so make the figure inside
    the ``with`` block; it keeps the style when the notebook shows it later. Only the keys of
    ``BOOK_RC`` are restored on exit: ``matplotlib.rc_context`` restores every setting, and when a
    session's first figure is made inside it, that switches off the interactive mode the notebook
    backend turned on, so later figures were silently not shown.
    """
    saved = {key: mpl.rcParams[key] for key in BOOK_RC}
    mpl.rcParams.update(BOOK_RC)
    try:
        yield
    finally:
        mpl.rcParams.update(saved)


def apply_book_style() -> None:
    """Apply ``BOOK_RC`` to the whole session (e.g. in a chapter's first cell)."""
    mpl.rcParams.update(BOOK_RC)


def book_figure(nrows: int = 1, ncols: int = 1, height_in: float | None = None, *, width_in: float | None = None,
                **subplots_kw):
    """``plt.subplots`` at the size the book shows: width capped at ``FIGURE_WIDTH_IN``, ``BOOK_DPI``.

    Args:
        nrows, ncols: the grid of axes.
        height_in: figure height in inches (default 3.2 for one row, 2.4 per row otherwise).
        width_in: figure width in inches (default and maximum ``FIGURE_WIDTH_IN``, 7.18).
        **subplots_kw: passed to ``plt.subplots`` (``squeeze``, ``sharex``, ``width_ratios``...).

    Returns:
        ``(fig, axes)`` as ``plt.subplots`` returns them, with constrained layout.
    """
    subplots_kw.setdefault("layout", "constrained")
    fig, axes = plt.subplots(nrows, ncols, figsize=_book_size(height_in or (3.2 if nrows == 1 else 2.4 * nrows),
                                                              width_in), dpi=BOOK_DPI, **subplots_kw)
    return fig, axes


def book_canvas(height_in: float, *, width_in: float | None = None):
    """An empty Figure at the book's size (width capped at ``FIGURE_WIDTH_IN``), constrained layout."""
    return plt.figure(figsize=_book_size(height_in, width_in), dpi=BOOK_DPI, layout="constrained")


def _book_size(height_in: float, width_in: float | None) -> tuple[float, float]:
    return min(width_in or FIGURE_WIDTH_IN, FIGURE_WIDTH_IN), float(height_in)


def enforce_book_fonts(fig, min_pt: float = MIN_FONT_PT):
    """Raise every text of ``fig`` smaller than ``min_pt`` points to ``min_pt``; return ``fig``.

    Covers titles, axis labels, tick labels (also those matplotlib creates later, when the figure
    is drawn), legends, annotations and colour bars.
    """
    for ax in fig.axes:
        for axis in ("x", "y"):
            ticks = getattr(ax, f"{axis}axis").get_ticklabels(which="both")
            size = min((tick.get_fontsize() for tick in ticks), default=min_pt)
            ax.tick_params(axis=axis, which="both", labelsize=max(size, min_pt))
    for text in fig.findobj(Text):
        if text.get_fontsize() < min_pt:
            text.set_fontsize(min_pt)
    return fig


def book_plot(function):
    """Decorator: run a figure-making function under :func:`book_style`, then :func:`enforce_book_fonts`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with book_style():
            fig = function(*args, **kwargs)
            if isinstance(fig, mpl.figure.Figure):
                enforce_book_fonts(fig)
            return fig

    return wrapper


def text_color_on(rgba) -> str:
    """"white" or "black", whichever reads better on a cell of colour ``rgba`` (its luminance)."""
    red, green, blue = mpl.colors.to_rgb(rgba)
    return "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "black"


def wrap_label(text: str, width: int = 14) -> str:
    """``text`` on lines of at most ``width`` characters (tick labels of long class or model names)."""
    return textwrap.fill(str(text), width, break_on_hyphens=True)


def _few_ticks(ax, x: int = 3, y: int = 3) -> None:
    """At most about ``x`` and ``y`` tick labels: small panels stay legible at 9 pt."""
    ax.xaxis.set_major_locator(MaxNLocator(x))
    ax.yaxis.set_major_locator(MaxNLocator(y))


def _figure(ax, figsize):
    """``ax`` and its figure, or a new book figure of ``figsize`` (width capped) and its axes."""
    if ax is None:
        return book_figure(1, 1, height_in=figsize[1], width_in=figsize[0])
    return ax.figure, ax


@book_plot
def plot_image(image, *, title: str = "", attribution: bool = False, ax=None):
    """Show a report image (PIL image or uint8 (H, W, 3)) without axes."""
    image = np.asarray(image)
    height = FIGURE_WIDTH_IN * image.shape[0] / max(image.shape[1], 1) + (0.5 if title else 0.1)
    fig, ax = _figure(ax, figsize=(FIGURE_WIDTH_IN, height + (0.3 if attribution else 0)))
    ax.imshow(image)
    ax.set_axis_off()
    ax.set_title(title)
    if attribution:
        ax.text(0, -0.02, MENDELEY_CREDIT, transform=ax.transAxes, fontsize=MIN_FONT_PT, va="top")
    return fig


@book_plot
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
    fig = book_canvas(1.55 * rows + (0.7 if title or reference is not None else 0.3))
    grid = fig.add_gridspec(rows, 4)
    t = np.arange(leads.shape[1]) / fs
    for r, row in enumerate(REPORT_LAYOUT):
        for c, name in enumerate(row):
            ax = fig.add_subplot(grid[r, c])
            i = LEAD_NAMES.index(name)
            if reference is not None:
                ax.plot(t + 2.5 * c, reference[i], color="0.65", lw=2.5, label="drawn")
            ax.plot(t + 2.5 * c, leads[i], color="k", lw=0.8, label="recovered")
            ax.set_title(name, loc="left")
            _few_ticks(ax)
            if c == 0:
                ax.set_ylabel("mV")
    if rhythm is not None:
        ax = fig.add_subplot(grid[3, :])
        ax.plot(np.arange(len(rhythm)) / fs, rhythm, color="k", lw=0.8)
        ax.set_title("rhythm strip", loc="left")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("mV")
    if reference is not None:
        fig.legend(*fig.axes[0].get_legend_handles_labels(), loc="outside upper right", ncols=2)
    fig.suptitle(title)
    return fig


@book_plot
def plot_signal(signal, *, fs: float = FS, title: str = "", ax=None, **line_options):
    """One 1-D signal against time in seconds."""
    fig, ax = _figure(ax, figsize=(FIGURE_WIDTH_IN, 2.5))
    signal = np.asarray(signal)
    ax.plot(np.arange(len(signal)) / fs, signal, lw=0.8, **line_options)
    ax.set_xlabel("time (s)")
    ax.set_title(title)
    return fig


@book_plot
def plot_class_counts(counts: dict[str, dict[str, int]], *, title: str = "", ax=None):
    """Grouped bars: ``counts[series][class] -> n`` (e.g. before / after oversampling).

    Series differ by colour and by hatching.
    """
    fig, ax = _figure(ax, figsize=(FIGURE_WIDTH_IN, 3.4))
    series = list(counts)
    classes = list(next(iter(counts.values())))
    width = 0.8 / len(series)
    x = np.arange(len(classes))
    for k, name in enumerate(series):
        values = [counts[name][c] for c in classes]
        bars = ax.bar(x + k * width, values, width, label=name, color=PALETTE[k % len(PALETTE)],
                      hatch=("", "//", "..", "xx")[k % 4], edgecolor="white", linewidth=0.5)
        ax.bar_label(bars, fontsize=MIN_FONT_PT)
    ax.set_xticks(x + width * (len(series) - 1) / 2, [wrap_label(c) for c in classes])
    ax.set_ylabel("samples")
    ax.margins(y=0.3)  # room for the legend above the bars
    ax.legend(loc="upper center", ncols=len(series))
    ax.set_title(title)
    return fig


@book_plot
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
    fig, axes = book_figure(len(leads), 3, height_in=2.3 * len(leads) + (0.4 if title else 0), squeeze=False)
    for row, lead in enumerate(leads):
        name = lead_names[lead] if lead_names is not None else f"lead {lead}"
        signal = views["time"][index, :, lead]
        axes[row, 0].plot(np.arange(len(signal)) / fs, signal, color="k", lw=0.8)
        axes[row, 0].set(title=f"{name}: time", xlabel="time (s)", ylabel="normalised")
        image = views["scalogram"][index, :, :, lead]
        duration = len(signal) / fs
        axes[row, 1].imshow(image, aspect="auto", cmap=SCALOGRAM_CMAP, extent=(0, duration, len(image), 0))
        if scalogram_hz is not None:
            ticks = np.linspace(0, len(image) - 1, 4).astype(int)
            axes[row, 1].set_yticks(ticks + 0.5, [f"{scalogram_hz[t]:.1f}" for t in ticks])
            axes[row, 1].set_ylabel("frequency (Hz)")
        axes[row, 1].set(title=f"{name}: scalogram", xlabel="time (s)")
        spectrum = views["spectrum"][index, :, lead]
        hz = spectrum_hz if spectrum_hz is not None else np.arange(len(spectrum))
        axes[row, 2].plot(hz, spectrum, color=PALETTE[0], lw=0.8)
        axes[row, 2].set(title=f"{name}: spectrum",
                         xlabel="frequency (Hz)" if spectrum_hz is not None else "bin",
                         ylabel="dB, scaled to [0, 1]")
        for ax in axes[row]:
            ax.xaxis.set_major_locator(MaxNLocator(4))
        axes[row, 0].yaxis.set_major_locator(MaxNLocator(4))
        axes[row, 2].yaxis.set_major_locator(MaxNLocator(4))
    fig.suptitle(title)
    return fig


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


@book_plot
def plot_history(history, *, title: str = ""):
    """Training curves: loss and accuracy per epoch, training and validation (chapters 4-8).

    Args:
        history: a ``keras.callbacks.History`` or its ``.history`` dict, e.g. ``RunResult.history``:
            "loss", "val_loss", "accuracy", "val_accuracy" -> one float per epoch (the
            validation keys are optional).
        title: figure title.

    Returns:
        A Figure with two panels and one legend below them. Training is a solid line with dots,
        validation a dashed line with squares (told apart without colour too). A dotted line
        marks the epoch with the lowest validation loss, whose weights ``ecgkeras.train.fit``
        restores.
    """
    history = getattr(history, "history", history)
    if not isinstance(history, dict) or not history.get("loss"):
        raise ValueError("history must be a keras History or a dict with a non-empty 'loss' list, "
                         f"got {type(history).__name__} with keys {list(history) if isinstance(history, dict) else []}")
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, axes = book_figure(1, 2, height_in=3.1 + (0.3 if title else 0))
    styles = {"": dict(label="training", color=PALETTE[0], linestyle="-", marker="o"),
              "val_": dict(label="validation", color=PALETTE[1], linestyle="--", marker="s")}
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for prefix, style in styles.items():
            values = history.get(prefix + metric)
            if values:
                if len(values) != len(epochs):
                    raise ValueError(f"history[{prefix + metric!r}] has {len(values)} values for "
                                     f"{len(epochs)} epochs of 'loss'")
                ax.plot(epochs, values, markersize=4, **style)
        if history.get("val_loss"):
            best = int(np.argmin(history["val_loss"])) + 1
            ax.axvline(best, color=REFERENCE_COLOR, linestyle=":", label=f"best epoch ({best}), restored")
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
    axes[1].set_ylim(0, 1.02)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
    fig.suptitle(title)
    return fig


@book_plot
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
        The Figure. Colours follow ``SEQUENTIAL_CMAP`` (light = large); each cell's text is
        black or white, whichever reads better on it.
    """
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
    fig, ax = _figure(ax, figsize=(4.6, 4.3))
    shown = shares if normalize else matrix
    image = ax.imshow(shown, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=1 if normalize else max(1, matrix.max()))
    for i in range(len(matrix)):
        for j in range(len(matrix)):
            text = f"{matrix[i, j]}\n{shares[i, j]:.0%}" if normalize else f"{matrix[i, j]}"
            colour = text_color_on(image.cmap(image.norm(shown[i, j])))
            ax.text(j, i, text, ha="center", va="center", fontsize=10, color=colour)
    # Slanted column names fit narrow panels too (e.g. two matrices side by side at the book's width).
    ax.set_xticks(range(len(matrix)), class_names, rotation=35, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(matrix)), [wrap_label(name, 13) for name in class_names], multialignment="right")
    ax.set(xlabel="predicted class", ylabel="true class",
           title=title or ("confusion matrix (share of each true class)" if normalize else "confusion matrix"))
    return fig


@book_plot
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
        trust). Views differ by colour and hatching.
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
    fig, ax = book_figure(1, 1, height_in=3.4)
    width = 0.8 / len(view_names)
    for v, view in enumerate(view_names):
        means = np.array([weights[labels == c, v].mean() for c in present])
        quartiles = np.array([np.percentile(weights[labels == c, v], [25, 75]) for c in present])
        below_above = np.clip(np.stack([means - quartiles[:, 0], quartiles[:, 1] - means]), 0, None)
        ax.bar(np.arange(len(present)) + (v - (len(view_names) - 1) / 2) * width, means, width,
               yerr=below_above, capsize=3, label=view, color=PALETTE[v % len(PALETTE)],
               hatch=("", "//", "..", "xx")[v % 4], edgecolor="white", linewidth=0.5)
    ax.axhline(1 / len(view_names), color=REFERENCE_COLOR, linestyle="--", lw=1, label="equal weights")
    ax.set_xticks(np.arange(len(present)), [wrap_label(class_names[c], 13) for c in present])
    ax.set(ylabel="attention weight", ylim=(0, 1), title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


@book_plot
def plot_prediction(signal, probabilities, label: int, class_names, *, lead_names=LEAD_NAMES, fs: float = FS,
                    title: str = ""):
    """One ECG as a model saw it, above the class probabilities the model gave it (chapters 4-7).

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
        A Figure: one panel per lead (4 per row), and below them a bar per class. The true class
        and the predicted one are named on the axis ("(true)", "(predicted)") and drawn in two
        colour-blind-safe colours (``TRUE_COLOR``; ``PREDICTED_COLOR``, hatched, when wrong).
        The last axes of the figure holds the bars.
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
    columns = min(4, len(order))
    rows = -(-len(order) // columns)
    bars_height = 0.36 * len(class_names) + 0.9
    fig = book_canvas(1.45 * rows + bars_height + 0.4)
    # Nested grids: the long class names left of the bars must not push the lead panels aside.
    outer = fig.add_gridspec(2, 1, height_ratios=[1.45 * rows, bars_height])
    grid = outer[0].subgridspec(rows, columns)
    t = np.arange(len(signal)) / fs
    for k, name in enumerate(order):
        ax = fig.add_subplot(grid[k // columns, k % columns])
        ax.plot(t, signal[:, lead_names.index(name)], color="k", lw=0.8)
        ax.set_title(name, loc="left")
        _few_ticks(ax)
        if k // columns == rows - 1 or k + columns >= len(order):
            ax.set_xlabel("time (s)")
    predicted = int(np.argmax(probabilities))
    colors = [TRUE_COLOR if c == label else PREDICTED_COLOR if c == predicted else OTHER_COLOR
              for c in range(len(class_names))]
    ax = fig.add_subplot(outer[1])
    bars = ax.barh(range(len(class_names)), probabilities, color=colors, edgecolor="black", linewidth=0.6)
    for c, bar in enumerate(bars):
        if c == predicted and c != label:
            bar.set_hatch("//")
    ax.bar_label(bars, labels=[f"{p:.0%}" for p in probabilities], padding=3)
    roles = {label: "true", predicted: "true, predicted" if predicted == label else "predicted"}
    ax.set_yticks(range(len(class_names)),
                  [f"{name} ({roles[c]})" if c in roles else name for c, name in enumerate(class_names)])
    for c, tick in enumerate(ax.get_yticklabels()):
        if c in roles:
            tick.set_fontweight("bold")
    ax.invert_yaxis()
    ax.set(xlim=(0, 1.12), xlabel="predicted probability")
    fig.suptitle(title or f"true: {class_names[label]}, predicted: {class_names[predicted]} "
                          f"({probabilities[predicted]:.0%})")
    return fig


def _check_attention_scores(scores, token_hz):
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(f"scores must be square (tokens, tokens), got shape {scores.shape}")
    if not np.allclose(scores.sum(axis=1), 1, atol=1e-3) or (scores < 0).any():
        raise ValueError("scores must be >= 0 with rows summing to 1 (a softmax over the keys)")
    if token_hz is not None and np.shape(token_hz) != (len(scores),):
        raise ValueError(f"token_hz must hold one frequency per token ({len(scores)}), got shape {np.shape(token_hz)}")
    return scores


def _draw_attention_map(ax, scores, token_hz, vmin, vmax, title, ticks: int = 6):
    image = ax.imshow(scores, cmap=SEQUENTIAL_CMAP, vmin=vmin, vmax=vmax)
    if token_hz is not None:
        where = np.linspace(0, len(scores) - 1, ticks).round().astype(int)
        labels = [f"{token_hz[t]:.0f}" for t in where]
        ax.set_xticks(where, labels)
        ax.set_yticks(where, labels)
        ax.set(xlabel="attended token (Hz)", ylabel="query token (Hz)")
    else:
        ax.set(xlabel="attended token", ylabel="query token")
    ax.set_title(title)
    return image


@book_plot
def plot_attention_map(scores, token_hz=None, *, vmin=None, vmax=None, title: str = "", ax=None,
                       colorbar: bool = True):
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
        colorbar: draw a colour bar beside this map. With several maps side by side, pass
            ``colorbar=False`` and one ``vmin``/``vmax`` to each and add one bar for all
            (``fig.colorbar(ax.images[0], ax=axes)``), or use :func:`plot_attention_maps`.

    Returns:
        The Figure.
    """
    scores = _check_attention_scores(scores, token_hz)
    fig, ax = _figure(ax, figsize=(4.6, 3.9))
    image = _draw_attention_map(ax, scores, token_hz, vmin, vmax, title)
    if colorbar:
        fig.colorbar(image, ax=ax, label="attention weight")
    return fig


@book_plot
def plot_attention_maps(maps: dict, token_hz=None, *, columns: int = 2, title: str = ""):
    """Several attention maps on one colour scale, with one colour bar.

    Args:
        maps: panel title (e.g. a class name) -> float (tokens, tokens) scores, as for
            :func:`plot_attention_map`.
        token_hz: optional float (tokens,), Hz of each token (axis labels).
        columns: panels per row (at most 3 at the book's width).
        title: figure title.

    Returns:
        The Figure: the maps share one colour scale (the smallest to the largest weight of all),
        shown by one colour bar.
    """
    if not maps:
        raise ValueError("maps must hold at least one title -> scores")
    maps = {str(name): _check_attention_scores(scores, token_hz) for name, scores in maps.items()}
    columns = max(1, min(columns, 3, len(maps)))
    rows = -(-len(maps) // columns)
    fig, axes = book_figure(rows, columns, height_in=(FIGURE_WIDTH_IN - 0.9) / columns * rows + 0.3 * rows
                            + (0.4 if title else 0), squeeze=False)
    low = min(m.min() for m in maps.values())
    high = max(m.max() for m in maps.values())
    for ax, (name, scores) in zip(axes.flat, maps.items()):
        image = _draw_attention_map(ax, scores, token_hz, low, high, name, ticks=4 if columns > 2 else 6)
    for ax in axes.flat[len(maps):]:
        ax.set_visible(False)
    fig.colorbar(image, ax=axes, label="attention weight", shrink=0.9)
    fig.suptitle(title)
    return fig


# Part III: the results of `ecgkeras reproduce` (chapters 7-12) -------------------------------

def plot_summary(results, metrics=("accuracy", "macro_f1")):
    """Bar chart of one ``reproduce`` run: mean ± sd per model and metric, with the majority-class accuracy as a line.

    ``results`` is the tidy DataFrame of ``ecgkeras.results.read_results`` (``reproduce`` saves this
    figure as ``summary.png``). Drawn in the book style: at the book's width, metrics told apart by
    colour and hatching, the legend below the bars.
    """
    table = summarize(results, metrics)
    models = [name for name in table.index if name != "Majority class"]
    with book_style():
        fig, ax = book_figure(1, 1, height_in=3.8)
        width = 0.8 / len(metrics)
        for i, metric in enumerate(metrics):
            ax.bar(np.arange(len(models)) + (i - (len(metrics) - 1) / 2) * width, table.loc[models, f"{metric} mean"],
                   width, yerr=table.loc[models, f"{metric} sd"], capsize=3, label=metric.replace("_", " "),
                   color=PALETTE[i % len(PALETTE)], hatch=("", "//", "..", "xx")[i % 4], edgecolor="white",
                   linewidth=0.5)
        ax.axhline(table.loc["Majority class", "accuracy mean"], color=REFERENCE_COLOR, linestyle="--",
                   label="majority class (accuracy)")
        first = results.iloc[0]
        ax.set(xticks=np.arange(len(models)), ylim=(0, 1),
               title=f"{first['data']}, {first['protocol']}, leads {first['leads']}")
        ax.set_xticklabels([wrap_label(model, 11) for model in models])
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=len(metrics) + 1)
        enforce_book_fonts(fig)
    return fig


def plot_runs(runs: dict, metric: str = "accuracy"):
    """Several ``reproduce`` runs side by side: mean ± sd of one metric per model (chapter 12).

    Args:
        runs: title -> tidy results of ``ecgkeras.results.read_results`` / ``published_results``, e.g.
            ``{"naive, 12 leads": ..., "leak-free, 12 leads": ...}``.
        metric: one of ``METRICS``.

    Returns:
        The matplotlib Figure: one row per model, one marker per run (mean over folds and seeds,
        bars ± sd), and each run's majority-class accuracy as a dotted line of its colour. Runs
        differ by colour and marker shape (book style); the legend is above.
    """
    if not runs:
        raise ValueError("runs must hold at least one title -> results table")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    tables = {title: summarize(results, (metric,)) for title, results in runs.items()}
    models = list(dict.fromkeys(m for table in tables.values() for m in table.index if m != "Majority class"))
    with book_style():
        fig, ax = book_figure(1, 1, height_in=0.5 * len(models) + 0.3 * -(-len(tables) // 2) + 1.4)
        offsets = np.linspace(-0.25, 0.25, len(tables)) if len(tables) > 1 else [0.0]
        for i, (title, table) in enumerate(tables.items()):
            rows = [m for m in models if m in table.index]
            colour = PALETTE[i % len(PALETTE)]
            ax.errorbar(table.loc[rows, f"{metric} mean"], [models.index(m) + offsets[i] for m in rows],
                        xerr=table.loc[rows, f"{metric} sd"], fmt=MARKERS[i % len(MARKERS)], capsize=3, color=colour,
                        label=title)
            if metric == "accuracy":
                ax.axvline(table.loc["Majority class", "accuracy mean"], color=colour, linestyle=":")
        ax.set(yticks=range(len(models)), yticklabels=models, xlim=(0, 1),
               xlabel=f"{metric.replace('_', ' ')} (mean ± sd over folds and seeds)" +
                      ("; dotted: always the largest class" if metric == "accuracy" else ""))
        ax.invert_yaxis()
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=min(2, len(tables)), frameon=False)
        enforce_book_fonts(fig)
    return fig
