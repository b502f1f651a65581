"""From a paper ECG report image to a 12-lead signal (chapter 1): the report level.

A report prints each lead for 2.5 s in a 3 x 4 grid of boxes plus a 10 s lead II rhythm strip,
on millimetre paper at 25 mm/s and 10 mm/mV. Two digitizers live here:

- ``vertical_average``: the study's Algorithm 1 as published. For every pixel column it averages
  the rows of all dark pixels, so it mixes the 12 leads, the rhythm strip and the printed header
  into one curve.
- ``digitize_report``: the better version the book builds step by step, one function per step:
  find the printable grid area (``find_grid_area``), keep the dark trace pixels
  (``trace_mask``), erase the lead separators (``remove_separators``), find the four rows of
  traces (``find_rows``), the time axis (``find_time_axis``) and the grid pitch
  (``find_grid_pitch``), then in each lead box follow the trace column by column
  (``track_trace``), find its centre line (``run_centres``, ``trace_rows``), convert px to mV
  and resample to a fixed length (``to_samples``).

The steps live in three modules, one job each, and every name is importable from here too:

- ``ecgkeras.data.digitize_page``: where things are on the page (grid area, separators, rows,
  time axis, grid pitch, lead boxes);
- ``ecgkeras.data.digitize_pulse``: the calibration pulse of a row, which gives the row's t = 0,
  its 0 mV level and the millimetre on pages printed without lead separators (other printers,
  e.g. ecg-image-kit, the PhysioNet Challenge's image generator);
- ``ecgkeras.data.digitize_trace``: the trace's pixels (grid lines told apart by colour) and one
  box's trace as samples;
- ``ecgkeras.data.digitize_quality``: how well the digitized leads agree with each other (the
  ``quality`` of every result; a poor reading is refused, a page upside down is read turned);
- ``ecgkeras.data.digitize_score``: the PhysioNet Challenge scores against true signals;
- this module: reading an image, ``digitize_report``, ``read_box``, ``measure_page``, Algorithm 1
  and ``heart_rate``;
- ``ecgkeras.data.digitize_batch``: many images at once (``digitize_paths``, ``digitize_files``,
  ``benchmark_digitize``), imported from here on first use.

:data:`DIGITIZER_MODULES` lists every module whose code changes the signals, for the cache of
digitized signals (``digitizer_version``).
"""

from __future__ import annotations

import hashlib
import importlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.signal import find_peaks

from ecgkeras.data.dataset import (  # noqa: F401  (MM_PER_SECOND, MM_PER_MV re-exported: their old home)
    LEAD_NAMES,
    LEAD_SECONDS,
    MM_PER_MV,
    MM_PER_SECOND,
)
from ecgkeras.data.digitize_pulse import PULSE_HEIGHT_MM
from ecgkeras.data.digitize_quality import MIN_QUALITY, DigitizeQuality, measure_quality
from ecgkeras.data.image_file import open_image
from ecgkeras.data.digitize_page import (  # noqa: F401  (re-exported: the steps of chapter 1)
    PAPER_BRIGHTNESS,
    SEPARATOR_FRACTION,
    PageGeometry,
    find_grid_area,
    find_grid_pitch,
    find_pulse_axis,
    find_rows,
    find_time_axis,
    lead_boxes,
    remove_separators,
    trace_thickness,
)
from ecgkeras.data.digitize_trace import (  # noqa: F401  (re-exported: the steps of chapter 1)
    LABEL_GAP,
    LABEL_MM,
    LABEL_SECONDS,
    LOST_FRACTION,
    LOST_SECONDS,
    TRACE_DARKNESS,
    darkness_of,
    pen_core,
    run_centres,
    to_samples,
    trace_mask,
    trace_rows,
    track_trace,
    vertical_runs,
)

#: ``digitize_report`` refuses an image when a box holds trace pixels in fewer of its columns.
MIN_COVERAGE = 0.5

#: Every module whose code decides the digitized signals: the three steps' modules and the
#: constants they read (report layout, sampling rate, paper speed and gain in ``dataset``).
DIGITIZER_MODULES = (
    "ecgkeras.data.dataset",
    "ecgkeras.data.digitize_page",
    "ecgkeras.data.digitize_pulse",
    "ecgkeras.data.digitize_quality",
    "ecgkeras.data.digitize_trace",
    "ecgkeras.data.image_file",
    "ecgkeras.data.digitize",
)

#: Names of ``ecgkeras.data.digitize_batch`` that this module gives on first use (``__getattr__``):
#: that module imports this one, so importing it here at the top would be circular.
_BATCH_NAMES = ("DigitizeResult", "benchmark_digitize", "digitize_files", "digitize_paths", "image_files")


def __getattr__(name: str):
    if name in _BATCH_NAMES:
        return getattr(importlib.import_module("ecgkeras.data.digitize_batch"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def digitizer_version() -> str:
    """12 hex digits that change whenever the code of any of ``DIGITIZER_MODULES`` changes.

    The cache of digitized signals (``ecgkeras.data.digitize_batch.digitize_files``) keys its
    folder by it, so that signals of an older digitizer are never reused.
    """
    digest = hashlib.md5()
    for name in DIGITIZER_MODULES:
        module = importlib.import_module(name)
        digest.update(name.encode() + b"\0" + Path(module.__file__).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


class PoorReadingError(ValueError):
    """``digitize_report`` read the page, but the leads disagree too much with each other to trust
    them (``ecgkeras.data.digitize_quality``); a ValueError, so code that catches those still does."""


@dataclass
class DigitizedReport:
    """One report image as signals.

    Attributes:
        leads: float32 (12, samples_per_lead) in mV, ``LEAD_NAMES`` order, median ~0; lead
            ``REPORT_LAYOUT[r][c]`` covers seconds 2.5c..2.5(c+1) of the recording.
        rhythm: float32 (rhythm_samples,) in mV, lead II for 10 s.
        coverage: float32 (13,) fraction of pixel columns in each box (12 leads in
            ``LEAD_NAMES`` order, then the rhythm strip) where trace pixels were found.
        fs: sampling rate of ``leads`` and ``rhythm`` in Hz (samples_per_lead / 2.5).
        px_per_mm: the grid pitch found, in px per mm.
        source: the file name, or ``"<array>"`` / ``"<PIL image>"``.
        quality: how well the leads agree with each other (``DigitizeQuality``; its ``score``
            in dB decides whether ``digitize_report`` refuses the image).
    """

    leads: np.ndarray
    rhythm: np.ndarray
    coverage: np.ndarray
    fs: float
    px_per_mm: float
    source: str
    quality: DigitizeQuality | None = None


def load_image(image) -> tuple[np.ndarray, str]:
    """Read a report as uint8 (H, W, 3) RGB, with a name for error messages.

    Args:
        image: a path, a PIL image or a uint8 array (H, W, 3).

    Returns:
        ``(rgb, source)``: uint8 (H, W, 3) and the file name, ``"<PIL image>"`` or ``"<array>"``.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: the file is not an image Pillow reads, is damaged, or is over Pillow's
            decompression-bomb limit (``ecgkeras.data.image_file.open_image``).
    """
    if isinstance(image, (str, Path)):
        path = Path(image)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such image file; check the path")
        with open_image(path, str(path)) as opened:
            return np.asarray(opened.convert("RGB")), path.name
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB")), "<PIL image>"
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(
            f"<array>: expected a uint8 RGB image of shape (H, W, 3), got {array.dtype} "
            f"{array.shape}; convert with np.asarray(PIL.Image.open(path).convert('RGB'))"
        )
    return array, "<array>"


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """Brightness uint8 (H, W), 0 (black) to 255 (white): Pillow's grayscale (ITU-R 601 luma)."""
    return np.asarray(Image.fromarray(rgb).convert("L"))


def vertical_average(image, threshold: float = 128.0) -> np.ndarray:
    """The study's Algorithm 1: one curve from the mean row of the dark pixels of each column.

    Every pixel darker than ``threshold`` (0-255) counts, so the curve mixes all 12 leads, the
    rhythm strip, the calibration pulses and the printed header: it is not any single lead. The
    book (chapter 1) compares it with ``digitize_report``.

    Args:
        image: a path, a PIL image or a uint8 array (H, W, 3).
        threshold: brightness below which a pixel is dark.

    Returns:
        float32 (W,): per pixel column, H - 1 - the mean row index of its dark pixels (in px,
        so that up is positive), NaN where a column has no dark pixel.
    """
    rgb, _ = load_image(image)
    dark = to_gray(rgb) < threshold
    rows = np.arange(dark.shape[0], dtype=np.float64)[:, None]
    count = dark.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_row = (dark * rows).sum(axis=0) / count
    return (dark.shape[0] - 1 - mean_row).astype(np.float32)


def study_signal(image, samples: int = 1000, threshold: float = 128.0) -> np.ndarray:
    """The study's single signal: :func:`vertical_average` of the whole page as a model input.

    ``tools/ablation_time_model.py`` compares a 1D-CNN on this curve with one on the digitized leads. Columns without
    dark pixels are filled by linear interpolation, and the curve is resampled (linear
    interpolation) to ``samples`` points across the page width.

    Returns:
        float32 (samples,), in px (up positive), like ``vertical_average``.

    Raises:
        ValueError: the image has no dark pixel at all (a blank or overexposed page).
    """
    curve = vertical_average(image, threshold)
    known = np.flatnonzero(np.isfinite(curve))
    if len(known) == 0:
        raise ValueError(f"{image}: no pixel darker than threshold={threshold}; is this a blank page?")
    columns = np.arange(len(curve))
    filled = np.interp(columns, known, curve[known])
    return np.interp(np.linspace(0, len(curve) - 1, samples), columns, filled).astype(np.float32)


def read_box(
    runs, darkness: np.ndarray, core: np.ndarray, box, n_samples: int, page: PageGeometry, row: int | None = None
) -> tuple[np.ndarray, float]:
    """Digitize one box: follow its trace, find its centre line, sample it.

    Args:
        runs: ``vertical_runs`` of the trace mask.
        darkness: float32 (H, W), how much darker than the paper each pixel is.
        core: bool (H, W) from ``pen_core``.
        box: ``(name, baseline, start, width)`` from ``lead_boxes``.
        n_samples: samples to return.
        page: the measured geometry.
        row: the box's row (0-3), for its 0 mV level (``page.zero_levels``); None: the median.

    Returns:
        ``(samples, coverage)``: float32 (n_samples,) in mV, and the fraction of the box's
        pixel columns where the trace was found.
    """
    name, baseline, start, width = box
    first, stop = int(np.floor(start)), min(len(darkness[0]), int(np.ceil(start + width)))
    label_px = int(round(LABEL_SECONDS * page.px_per_second))
    label_top = baseline - LABEL_MM * page.px_per_mm
    label_rows = (label_top, baseline - LABEL_GAP * page.thickness)
    tops, bottoms = track_trace(runs, first, stop, baseline, page.row_spacing, page.px_per_second, label_rows)
    centres = run_centres(darkness, core, first, tops, bottoms)
    rows = trace_rows(tops, bottoms, centres, page.thickness, label_px, label_top)
    coverage = float(np.mean(~np.isnan(rows)))
    if coverage < MIN_COVERAGE:
        raise ValueError(
            f"only {coverage:.0%} of the pixel columns of the {name} box hold trace pixels "
            f"(need {MIN_COVERAGE:.0%}); is this a 12-lead report in the standard layout?"
        )
    positions = start + np.arange(n_samples) * width / n_samples - 0.5 - first
    zero_level = None if page.zero_levels is None or row is None else page.zero_levels[row]
    return to_samples(rows, positions, baseline, page.px_per_mm, zero_level), coverage


def digitize_report(
    image, *, samples_per_lead: int = 250, rhythm_samples: int = 1000, keep_poor: bool = False
) -> DigitizedReport:
    """Digitize one 12-lead report image into 12 leads of 2.5 s and a 10 s rhythm strip.

    Chapter 1 builds it step by step; works at any resolution (the grid pitch sets the scale).
    The result's ``quality`` measures how well the leads agree with each other
    (``ecgkeras.data.digitize_quality``). A page that reads badly is read again turned by 180
    degrees (a report scanned upside down), and kept turned when that reads better. An image
    whose quality stays below ``MIN_QUALITY``, or whose calibration pulse is not 10 mm tall, is
    refused with the reason, unless ``keep_poor``.

    Args:
        image: a path, a PIL image or a uint8 array (H, W, 3).
        samples_per_lead: samples of each 2.5 s lead (250 = 100 Hz).
        rhythm_samples: samples of the 10 s rhythm strip.
        keep_poor: return a poor reading with a warning instead of refusing it.

    Returns:
        a ``DigitizedReport``.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: the file is not a readable image, does not look like a 12-lead report, or
            reads too poorly to trust; the message names the file and what failed.
    """
    if samples_per_lead < 2 or rhythm_samples < 2:
        raise ValueError(
            f"samples_per_lead and rhythm_samples must be at least 2, got "
            f"{samples_per_lead} and {rhythm_samples}"
        )
    rgb, source = load_image(image)
    where = str(image) if isinstance(image, (str, Path)) else source
    report, error = _try_digitize(rgb, source, samples_per_lead, rhythm_samples, turned=False)
    if report is None or report.quality.score < MIN_QUALITY:
        turned, _ = _try_digitize(rgb[::-1, ::-1], source, samples_per_lead, rhythm_samples, turned=True)
        if turned is not None and (report is None or turned.quality.score > report.quality.score):
            report = turned
    if report is None:
        raise ValueError(f"{where}: {error}") from error
    problems = report.quality.problems()
    if problems and not keep_poor:
        raise PoorReadingError(
            f"{where}: refused, it reads too poorly to trust: {'; '.join(problems)}. Is this a 12-lead "
            "report in the standard layout at 25 mm/s and 10 mm/mV? keep_poor=True (ecgkeras digitize "
            "--keep-poor) keeps it anyway"
        )
    if problems:
        warnings.warn(f"{where}: kept although it reads poorly: {'; '.join(problems)}", stacklevel=2)
    return report


def _try_digitize(rgb, source, samples_per_lead, rhythm_samples, turned):
    """``(report, None)``, or ``(None, the ValueError)`` where the page cannot be read."""
    try:
        return _digitize(rgb, source, samples_per_lead, rhythm_samples, turned), None
    except ValueError as err:
        return None, err


def measure_page(
    gray: np.ndarray, mask: np.ndarray, darkness: np.ndarray | None = None
) -> tuple[np.ndarray, tuple, PageGeometry]:
    """Steps 3-6 of :func:`digitize_report`: separators, rows, time axis and grid pitch of a grid area.

    Where no separators are printed, the rows' calibration pulses set the time axis
    (``find_pulse_axis``); else the separators and the rhythm strip do (``find_time_axis``).

    Args:
        gray: uint8 (H, W) brightness of the grid area.
        mask: bool (H, W) its trace pixels.
        darkness: float (H, W) ``darkness_of(gray)`` when the caller has it (computed if None).

    Returns:
        ``(mask, runs, page)``: the mask and its runs without separators, and the geometry.
    """
    mask, runs, separators = remove_separators(mask, vertical_runs(mask))
    thickness = trace_thickness(runs)
    baselines = find_rows(mask)
    if len(separators) == 0:
        darkness = darkness_of(gray) if darkness is None else darkness
        page = find_pulse_axis(gray, mask, runs, baselines, thickness, darkness)
        if page is not None:
            return mask, runs, page
    row_spacing = float(np.median(np.diff(baselines)))
    x_start, px_per_second = find_time_axis(mask, baselines[-1], row_spacing, thickness, separators)
    px_per_mm = find_grid_pitch(gray, mask, px_per_second)
    return mask, runs, PageGeometry(baselines, row_spacing, thickness, x_start, px_per_second, px_per_mm)


def _digitize(
    rgb: np.ndarray, source: str, samples_per_lead: int, rhythm_samples: int, turned: bool = False
) -> DigitizedReport:
    gray = to_gray(rgb)
    top, bottom, left, right = find_grid_area(gray)
    gray, rgb = gray[top:bottom, left:right], rgb[top:bottom, left:right]
    mask = trace_mask(gray, rgb)
    if not mask.any():
        raise ValueError("no dark trace pixels found on the grid; is this an ECG report?")
    darkness = darkness_of(gray)
    mask, runs, page = measure_page(gray, mask, darkness)
    core = pen_core(mask, page.thickness)

    leads = np.zeros((len(LEAD_NAMES), samples_per_lead), dtype=np.float32)
    coverage = np.zeros(len(LEAD_NAMES) + 1, dtype=np.float32)
    for box in lead_boxes(page):
        row = int(np.flatnonzero(page.baselines == box[1])[0])
        if box[0] == "rhythm":
            rhythm, coverage[-1] = read_box(runs, darkness, core, box, rhythm_samples, page, row)
        else:
            index = LEAD_NAMES.index(box[0])
            leads[index], coverage[index] = read_box(runs, darkness, core, box, samples_per_lead, page, row)
    heights = [pulse.height for pulse in page.pulses or () if pulse is not None]
    pulse_height = float(np.median(heights)) / (PULSE_HEIGHT_MM * page.px_per_mm) if heights else float("nan")
    return DigitizedReport(
        leads=leads,
        rhythm=rhythm,
        coverage=coverage,
        fs=samples_per_lead / LEAD_SECONDS,
        px_per_mm=float(page.px_per_mm),
        source=source,
        quality=measure_quality(leads, rhythm, pulse_height, turned),
    )


def heart_rate(rhythm, fs: float = 100.0) -> float:
    """Heart rate in beats per minute from the QRS complexes of a rhythm strip (chapter 1).

    QRS complexes are the steepest parts of an ECG whatever their polarity (T waves can be as
    tall as R waves, but are slower), so the beats are the peaks of the absolute slope higher
    than half its 99th percentile, at least 0.25 s apart (at most 240 bpm).

    Args:
        rhythm: float (samples,) in mV.
        fs: sampling rate in Hz.

    Returns:
        60 / median interval between beats, in bpm; NaN when fewer than two beats are found.
    """
    rhythm = np.asarray(rhythm, dtype=np.float64)
    if rhythm.ndim != 1 or len(rhythm) < 2 or not np.isfinite(rhythm).all():
        raise ValueError(f"rhythm must be a 1-D array of finite values in mV, got shape {rhythm.shape}")
    if fs <= 0:
        raise ValueError(f"fs must be a positive sampling rate in Hz, got {fs}")
    slope = np.abs(np.diff(rhythm))
    if not slope.any():
        return float("nan")
    beats, _ = find_peaks(slope, height=0.5 * np.percentile(slope, 99), distance=max(1, int(0.25 * fs)))
    if len(beats) < 2:
        return float("nan")
    return float(60.0 * fs / np.median(np.diff(beats)))
