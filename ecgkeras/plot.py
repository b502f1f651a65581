"""Figures the book shows. Each function returns a matplotlib Figure and never calls ``show()``.

Chapters 1-3. Images from the Mendeley data set are CC BY 4.0 (Khan & Hussain 2021): pass
``attribution=True`` to print the credit under them.
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
