"""From a paper ECG report image to a 12-lead signal (chapter 1).

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

``digitize_paths`` digitizes whole folders (the real Mendeley images) and reports every file it
could not read; ``heart_rate`` checks a rhythm strip.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage
from scipy.signal import find_peaks

from ecgkeras.data.dataset import (
    IMAGE_SUFFIXES,
    LEAD_NAMES,
    LEAD_SECONDS,
    REPORT_LAYOUT,
    RHYTHM_SECONDS,
    class_from_folder,
)

#: Paper speed and gain of a standard report.
MM_PER_SECOND = 25.0
MM_PER_MV = 10.0
#: A pixel belongs to the paper when it is at least this bright, relative to the paper colour.
PAPER_BRIGHTNESS = 0.85
#: A pixel belongs to a trace when it is at most this bright, relative to the paper colour.
TRACE_DARKNESS = 0.5
#: A pixel column whose single dark run is longer than this fraction of the grid height is a
#: lead separator (no QRS complex is that tall).
SEPARATOR_FRACTION = 0.35
#: Lead labels ("aVR", "V1", ...) touch the trace during this long after each box starts ...
LABEL_SECONDS = 0.35
#: ... and reach at most this high above the baseline (mm).
LABEL_MM = 4.0
#: A run of the label zone whose bottom is more than this many trace thicknesses above the
#: baseline holds only a letter, unless the trace itself rises there.
LABEL_GAP = 1.5
#: A trace farther than this many row spacings from its baseline for longer than this (s) has
#: been lost to another row's trace (QRS complexes reach that far only briefly).
LOST_FRACTION = 0.75
LOST_SECONDS = 0.1
#: ``digitize_report`` refuses an image when a box holds trace pixels in fewer of its columns.
MIN_COVERAGE = 0.5


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
    """

    leads: np.ndarray
    rhythm: np.ndarray
    coverage: np.ndarray
    fs: float
    px_per_mm: float
    source: str


@dataclass
class PageGeometry:
    """What ``digitize_report`` measures on a report before reading the leads (px, in the grid area).

    Attributes:
        baselines: float (4,) rows of the three lead rows' and the rhythm strip's baselines.
        row_spacing: distance between rows.
        thickness: the trace's thickness.
        x_start: x of time 0 (pixel column c spans x = c..c+1).
        px_per_second: horizontal scale (25 mm/s).
        px_per_mm: the grid pitch (vertical scale: 10 mm/mV).
    """

    baselines: np.ndarray
    row_spacing: float
    thickness: float
    x_start: float
    px_per_second: float
    px_per_mm: float


def load_image(image) -> tuple[np.ndarray, str]:
    """Read a report as uint8 (H, W, 3) RGB, with a name for error messages.

    Args:
        image: a path, a PIL image or a uint8 array (H, W, 3).

    Returns:
        ``(rgb, source)``: uint8 (H, W, 3) and the file name, ``"<PIL image>"`` or ``"<array>"``.
    """
    if isinstance(image, (str, Path)):
        path = Path(image)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such image file; check the path")
        try:
            with Image.open(path) as opened:
                return np.asarray(opened.convert("RGB")), path.name
        except UnidentifiedImageError as err:
            raise ValueError(f"{path}: not an image file that Pillow can read ({err})") from err
        except OSError as err:
            raise ValueError(
                f"{path}: the image is damaged or truncated ({err}); download it again"
            ) from err
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


def find_grid_area(gray: np.ndarray) -> tuple[int, int, int, int]:
    """The printable area: the largest band of rows and columns that are mostly bright paper.

    The real reports print the grid on light paper inside a pink frame that also holds the
    header, so the area excludes the header text. Gaps narrower than 2 % of the image height
    (dark grid lines) do not break the band.

    Args:
        gray: uint8 (H, W) brightness 0-255.

    Returns:
        ``(top, bottom, left, right)`` in px; the area is ``gray[top:bottom, left:right]``.
    """
    paper = gray >= PAPER_BRIGHTNESS * np.percentile(gray[::4, ::4], 95)
    height, width = gray.shape
    gap = np.ones(max(1, height // 50), dtype=bool)
    top, bottom = _longest_run(ndimage.binary_closing(paper.mean(axis=1) > 0.3, gap))
    paper_rows = paper[top : max(bottom, top + 1)]
    left, right = _longest_run(ndimage.binary_closing(paper_rows.mean(axis=0) > 0.3, gap))
    if bottom - top < 0.3 * height or right - left < 0.3 * width:
        raise ValueError(
            "no printable grid area found (no bright paper region of at least 30 % of the "
            "image's width and height); is this an ECG report?"
        )
    return top, bottom, left, right


def _longest_run(flags: np.ndarray) -> tuple[int, int]:
    """``(start, stop)`` of the longest run of True in a 1-D boolean array ((0, 0) if none)."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    starts = np.flatnonzero(np.diff(padded) == 1)
    stops = np.flatnonzero(np.diff(padded) == -1)
    if len(starts) == 0:
        return 0, 0
    longest = np.argmax(stops - starts)
    return int(starts[longest]), int(stops[longest])


def trace_mask(gray: np.ndarray) -> np.ndarray:
    """Trace pixels bool (H, W) of a grid area: dark pixels, small specks removed.

    The pink grid is much lighter than the near-black trace, so a threshold relative to the
    paper colour removes it; dropping connected pieces smaller than about 1 mm^2 (judged from
    the area's height, about 150 mm) removes grid dots and JPEG noise that survive.

    Args:
        gray: uint8 (H, W) brightness 0-255 of the grid area.
    """
    dark = gray < TRACE_DARKNESS * np.median(gray[::4, ::4])
    pieces, count = ndimage.label(dark, structure=np.ones((3, 3)))
    sizes = np.bincount(pieces.ravel(), minlength=count + 1)
    min_size = max(4.0, (gray.shape[0] / 150.0) ** 2)
    keep = sizes >= min_size
    keep[0] = False
    return keep[pieces]


def vertical_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every run of consecutive trace pixels down each pixel column.

    Args:
        mask: bool (H, W) trace pixels.

    Returns:
        ``(columns, tops, bottoms)``: int arrays, sorted by column then row; run ``i`` covers
        rows ``tops[i]..bottoms[i]`` (inclusive) of column ``columns[i]``.
    """
    padded = np.zeros((mask.shape[1], mask.shape[0] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask.T
    change = np.diff(padded, axis=1)
    columns, tops = np.nonzero(change == 1)
    _, stops = np.nonzero(change == -1)
    return columns, tops, stops - 1


def remove_separators(mask: np.ndarray, runs) -> tuple[np.ndarray, tuple, np.ndarray]:
    """Erase the vertical lines between lead boxes: single runs taller than 35 % of the area.

    Only the long run itself is erased, so the rhythm strip below the separators stays whole.

    Args:
        mask: bool (H, W) trace pixels of the grid area.
        runs: its ``vertical_runs``.

    Returns:
        ``(mask, runs, separators)``: the mask (a copy) and runs without the separators, and
        float (n,) the x of each separator's centre in px (pixel column c spans x = c..c+1).
    """
    columns, tops, bottoms = runs
    long = bottoms - tops + 1 > SEPARATOR_FRACTION * mask.shape[0]
    cleaned = mask.copy()
    for column, top, bottom in zip(columns[long], tops[long], bottoms[long]):
        cleaned[top : bottom + 1, column] = False
    separator_columns = np.unique(columns[long])
    groups = np.split(separator_columns, np.flatnonzero(np.diff(separator_columns) > 1) + 1)
    centres = np.array([(group[0] + group[-1] + 1) / 2 for group in groups if len(group)])
    return cleaned, (columns[~long], tops[~long], bottoms[~long]), centres


def trace_thickness(runs) -> float:
    """The trace's thickness in px: the most common height of its vertical runs (flat stretches
    of trace), ignoring 1 px specks."""
    lengths = runs[2] - runs[1] + 1
    counts = np.bincount(lengths[lengths >= 2])
    if len(counts) == 0:
        raise ValueError("no trace found on the grid (only isolated specks); is this an ECG report?")
    return float(np.argmax(counts))


def find_rows(mask: np.ndarray) -> np.ndarray:
    """Baselines of the four trace rows (three rows of leads, then the rhythm strip).

    Flat stretches of trace make the count of trace pixels per pixel row peak at each
    baseline; the four strongest peaks, top to bottom, are the rows.

    Args:
        mask: bool (H, W) trace pixels without separators.

    Returns:
        float64 (4,) row index in px of each baseline, increasing.
    """
    profile = ndimage.uniform_filter1d(mask.sum(axis=1).astype(np.float64), size=3)
    peaks, properties = find_peaks(profile, distance=max(1, mask.shape[0] // 8), prominence=1)
    if len(peaks) < len(REPORT_LAYOUT) + 1:
        raise ValueError(
            f"found {len(peaks)} rows of trace, expected {len(REPORT_LAYOUT) + 1} (three rows of "
            "leads and the rhythm strip); is this a 12-lead report?"
        )
    strongest = np.sort(peaks[np.argsort(properties["prominences"])[-(len(REPORT_LAYOUT) + 1) :]])
    return strongest.astype(np.float64)


def find_time_axis(
    mask: np.ndarray, rhythm_baseline: float, row_spacing: float, thickness: float, separators: np.ndarray
) -> tuple[float, float]:
    """Where the recording starts and how many px one second takes.

    The rhythm strip's trace is the longest stretch of columns holding trace pixels near its
    baseline (the calibration pulse before it is a separate, short stretch); the pen's ink
    reaches half a trace thickness beyond the first and last samples. That gives the axis to
    about a pixel. The three separators, printed where columns 2-4 start (2.5, 5 and 7.5 s),
    are sharper: when they lie within 0.1 s of where the rhythm strip puts them, they set the axis.

    Args:
        mask: bool (H, W) trace pixels without separators.
        rhythm_baseline: row of the rhythm strip's baseline, px.
        row_spacing: distance between rows, px.
        thickness: the trace's thickness, px.
        separators: x of the separators' centres, px (from ``remove_separators``).

    Returns:
        ``(x_start, px_per_second)``: x of time 0 in px (pixel column c spans x = c..c+1), and
        px per second.
    """
    top = int(max(0, rhythm_baseline - row_spacing / 2))
    bottom = int(min(mask.shape[0], rhythm_baseline + row_spacing / 2))
    occupied = mask[top:bottom].any(axis=0)
    small_gap = max(1, int(row_spacing / 40))
    occupied = ndimage.binary_closing(occupied, structure=np.ones(small_gap + 1, dtype=bool))
    start, stop = _longest_run(occupied)
    if stop - start < 0.5 * mask.shape[1]:
        raise ValueError(
            f"the rhythm strip's trace spans only {stop - start} of {mask.shape[1]} px columns "
            "(expected most of the grid's width); is this a 12-lead report with a rhythm strip?"
        )
    x_start, px_per_second = start + thickness / 2, (stop - start - thickness) / RHYTHM_SECONDS
    expected = x_start + LEAD_SECONDS * px_per_second * np.arange(1, len(REPORT_LAYOUT[0]))
    if len(separators) == len(expected) and np.all(np.abs(separators - expected) < 0.1 * px_per_second):
        box_px, intercept = np.polyfit(np.arange(1, len(expected) + 1), separators, 1)
        return float(intercept), float(box_px / LEAD_SECONDS)
    return float(x_start), float(px_per_second)


def find_grid_pitch(gray: np.ndarray, mask: np.ndarray, px_per_second: float) -> float:
    """The grid pitch in px per mm, from the periodic brightness of the grid lines.

    The grid repeats every mm (and every 5 mm), so the autocorrelation of the paper's mean
    brightness per pixel row peaks at every multiple of the pitch. The rhythm strip gives a
    first estimate (25 mm per second); the answer is the pitch within 10 % of it whose
    multiples line up best with those peaks. It is measured down the page, the direction that
    carries mV.

    Args:
        gray: uint8 (H, W) brightness 0-255 of the grid area.
        mask: bool (H, W) trace pixels (replaced by the paper colour first).
        px_per_second: from ``find_time_axis``.

    Returns:
        px per mm.
    """
    paper = np.where(mask, np.median(gray[::4, ::4]), gray).astype(np.float32)
    correlation = _autocorrelation(paper.mean(axis=1))
    expected = px_per_second / MM_PER_SECOND
    candidates = expected * np.linspace(0.9, 1.1, 401)
    millimetres = np.arange(1, int(len(correlation) / 2 / expected))
    if len(millimetres) < 10:
        raise ValueError(f"the grid area is only {len(correlation)} px tall, too short to measure the grid")
    lags = np.outer(candidates, millimetres)
    score = np.interp(lags, np.arange(len(correlation)), correlation).mean(axis=1)
    best = int(np.argmax(score))
    if best in (0, len(candidates) - 1) or score[best] < 0.04:
        raise ValueError(
            "no millimetre grid found near the pitch the rhythm strip implies "
            f"({expected:.2f} px/mm); is this a 25 mm/s report on grid paper?"
        )
    return float(candidates[best])


def _autocorrelation(profile: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation float64 (n,) of a 1-D profile at lags 0..n-1 (px)."""
    centred = profile - profile.mean()
    spectrum = np.fft.rfft(centred, 2 * len(centred))
    correlation = np.fft.irfft(np.abs(spectrum) ** 2)[: len(centred)]
    return correlation / (correlation[0] or 1.0)


def track_trace(
    runs,
    x_start: int,
    x_stop: int,
    baseline: float,
    row_spacing: float,
    px_per_second: float,
    label_rows: tuple[float, float] = (np.inf, -np.inf),
):
    """Follow one lead's trace through its box, column by column.

    The trace is continuous, so its run of pixels in one column overlaps (or touches) its run
    in the next: in each column, take the run that overlaps the previous one most. Where none
    does (a gap), take the run nearest to the previous position if it lies within a quarter of
    the row spacing of it or inside the row's own band (baseline +- half the row spacing).
    Runs near the baseline (within ``LOST_FRACTION`` row spacings) come first: a tall wave can
    touch the next row's trace and lead the tracker onto it. A trace that stays farther than
    that for longer than ``LOST_SECONDS`` is another row's: tracking restarts at the run on the
    baseline and traces those columns again, backwards, from there. Tracking starts after the
    label zone (``LABEL_SECONDS``) on the baseline, runs to the box end, then goes back from
    there to the box start. In the label zone, where the label's letters can touch the trace,
    runs that lie wholly within ``label_rows`` (where only a letter can be unless the trace
    rises into the label) come after the others.

    Args:
        runs: ``vertical_runs`` of the trace mask.
        x_start, x_stop: the box's columns ``x_start..x_stop - 1``, px.
        baseline: the row's baseline, px.
        row_spacing: distance between rows, px.
        px_per_second: horizontal scale.
        label_rows: ``(top, bottom)`` rows (px) of the label's letters; the default: no label.

    Returns:
        ``(tops, bottoms)``: float64 (x_stop - x_start,) each, the rows (px) where the chosen
        run starts and ends in each column, NaN where no run was found.
    """
    columns, tops, bottoms = runs
    first = np.searchsorted(columns, np.arange(x_start, x_stop + 1)).tolist()
    from_baseline = np.abs((tops + bottoms) / 2 - baseline)
    in_band = (from_baseline <= row_spacing / 2).tolist()
    near = (from_baseline <= LOST_FRACTION * row_spacing).tolist()
    letter = ((tops >= label_rows[0]) & (bottoms <= label_rows[1])).tolist()
    tops, bottoms = tops.tolist(), bottoms.tolist()
    lost_px = LOST_SECONDS * px_per_second
    label_px = int(round(LABEL_SECONDS * px_per_second))

    def follow(i: int, top: float, bottom: float):
        best, most = None, (False, False, 0)
        for k in range(first[i], first[i + 1]):
            overlap = min(bottoms[k], bottom) - max(tops[k], top) + 2
            score = (near[k], not (letter[k] and i < label_px), overlap)
            if overlap > 0 and score > most:
                best, most = k, score
        if best is not None:
            return best
        centre, nearest = (top + bottom) / 2, np.inf
        for k in range(first[i], first[i + 1]):
            distance = abs((tops[k] + bottoms[k]) / 2 - centre)
            if distance < nearest and (distance <= row_spacing / 4 or in_band[k]):
                best, nearest = k, distance
        return best

    chosen_tops = np.full(x_stop - x_start, np.nan)
    chosen_bottoms = np.full(x_stop - x_start, np.nan)
    start = min(int(round(LABEL_SECONDS * px_per_second)), x_stop - x_start - 1)
    for order in (range(start, x_stop - x_start), range(start - 1, -1, -1)):
        found = np.flatnonzero(~np.isnan(chosen_tops))
        top, bottom = baseline, baseline
        if len(found):
            top, bottom = chosen_tops[found[0]], chosen_bottoms[found[0]]
        away = []
        for i in order:
            k = follow(i, top, bottom)
            if k is None:
                continue
            away = [] if near[k] else away + [i]
            if len(away) > lost_px:
                k = follow(i, baseline, baseline)
                if k is None:
                    chosen_tops[away] = chosen_bottoms[away] = np.nan
                    top = bottom = baseline
                    away = []
                    continue
                top, bottom = tops[k], bottoms[k]
                for j in reversed(away):
                    chosen_tops[j] = chosen_bottoms[j] = np.nan
                    back = follow(j, top, bottom)
                    if back is not None and near[back]:
                        top, bottom = chosen_tops[j], chosen_bottoms[j] = tops[back], bottoms[back]
                away = []
            top, bottom = chosen_tops[i], chosen_bottoms[i] = tops[k], bottoms[k]
    return chosen_tops, chosen_bottoms


def pen_core(mask: np.ndarray, thickness: float) -> np.ndarray:
    """The middle of the inked strokes: the trace mask eroded by a disk a bit smaller than the pen.

    A thick pen smears a steep stroke sideways, so a column's run also holds ink of the
    neighbouring moments; only the pen's centre line survives the erosion. On small images
    (trace 2-3 px thick) there is nothing to erode and the mask is returned as it is.

    Args:
        mask: bool (H, W) trace pixels.
        thickness: the trace's thickness, px.

    Returns:
        bool (H, W).
    """
    radius = int((thickness - 2) // 2)
    if radius < 1:
        return mask
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return ndimage.binary_erosion(mask, structure=x**2 + y**2 <= radius**2 + 0.5)


def run_centres(
    darkness: np.ndarray, core: np.ndarray, x_start: int, tops: np.ndarray, bottoms: np.ndarray
) -> np.ndarray:
    """The darkness-weighted mean row of each chosen run (of its pen core where it has one).

    Anti-aliasing makes the trace's edge pixels partly dark, so weighting by darkness (one
    pixel of margin included) places the centre between pixel rows: sub-pixel precision,
    which matters for small waves.

    Args:
        darkness: float32 (H, W), how much darker than the paper each pixel is.
        core: bool (H, W) from ``pen_core``.
        x_start: column of the first run, px.
        tops, bottoms: float (columns,) from ``track_trace``, px, NaN where none.

    Returns:
        float64 (columns,) row in px, NaN where no run was found.
    """
    centres = np.full(len(tops), np.nan)
    found = np.flatnonzero(~np.isnan(tops))
    if len(found) == 0:
        return centres
    first = tops[found].astype(int) - 1
    length = bottoms[found].astype(int) + 2 - first
    rows = np.clip(first[:, None] + np.arange(length.max())[None, :], 0, len(darkness) - 1)
    columns = x_start + found[:, None]
    weights = darkness[rows, columns] * (np.arange(length.max())[None, :] < length[:, None])
    in_core = weights * core[rows, columns]
    weights = np.where(in_core.sum(axis=1, keepdims=True) > 0, in_core, weights)
    centres[found] = (weights * rows).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-6)
    return centres


def trace_rows(
    tops: np.ndarray,
    bottoms: np.ndarray,
    centres: np.ndarray,
    thickness: float,
    label_px: int,
    label_top: float,
) -> np.ndarray:
    """The row of the trace's centre line in each column, from the runs ``track_trace`` chose.

    A run covers the pen's thickness around the stretch of trace that crosses its column, so
    its (darkness-weighted) centre is the trace's position, except near a peak or trough,
    where the two flanks of a wave share one long run: within a pen's width of the highest
    point of a peak (the run's top as high as its neighbours') the centre is half a thickness
    below the top; at a trough, half a thickness above the bottom. In the label zone, a run
    that rises no higher than the label (``label_top``) may hold the label on top of the
    trace: the centre is half a thickness above the run's bottom.

    Args:
        tops, bottoms: float (columns,) from ``track_trace``, px, NaN where none.
        centres: float (columns,) from ``run_centres``, px.
        thickness: the trace's thickness, px.
        label_px: width of the label zone at the box start, px.
        label_top: row (px) above which no label reaches.

    Returns:
        float64 (columns,) row in px (down is positive), NaN where no run was found.
    """
    half = (thickness - 1) / 2
    window = int(thickness) | 1
    highest = ndimage.minimum_filter1d(np.where(np.isnan(tops), np.inf, tops), window)
    lowest = ndimage.maximum_filter1d(np.where(np.isnan(bottoms), -np.inf, bottoms), window)
    with np.errstate(invalid="ignore"):
        long = bottoms - tops + 1 > thickness + 1
        peak = long & (tops <= highest)
        trough = long & (bottoms >= lowest)
        rows = np.where(peak & ~trough, tops + half, centres)
        rows = np.where(trough & ~peak, bottoms - half, rows)
        label = (np.arange(len(rows)) < label_px) & (tops >= label_top)
    return np.where(label, np.fmax(rows, bottoms - half), rows)


def lead_boxes(page: PageGeometry) -> list[tuple[str, float, float, float]]:
    """Where each lead is printed: the 3 x 4 lead boxes (``REPORT_LAYOUT``), then the rhythm strip.

    Returns:
        13 tuples ``(name, baseline, start, width)``: the lead name (``"rhythm"`` for the
        strip), its baseline row, the x of its first sample and its width, all in px.
    """
    box_px = LEAD_SECONDS * page.px_per_second
    boxes = [
        (name, page.baselines[r], page.x_start + c * box_px, box_px)
        for r, names in enumerate(REPORT_LAYOUT)
        for c, name in enumerate(names)
    ]
    boxes.append(("rhythm", page.baselines[-1], page.x_start, RHYTHM_SECONDS * page.px_per_second))
    return boxes


def to_samples(rows: np.ndarray, positions: np.ndarray, baseline: float, px_per_mm: float) -> np.ndarray:
    """A box's trace rows (one per pixel column) to samples in mV with median 0.

    Gaps are filled by linear interpolation; up on the paper is positive; 10 mm is 1 mV.

    Args:
        rows: float (columns,) trace row per pixel column, px, NaN in gaps.
        positions: float (samples,) where each sample lies, in units of the columns of ``rows``.
        baseline: the row's baseline, px.
        px_per_mm: grid pitch.

    Returns:
        float32 (samples,) in mV.
    """
    columns = np.arange(len(rows))
    found = ~np.isnan(rows)
    filled = np.interp(columns, columns[found], rows[found])
    samples = (baseline - np.interp(positions, columns, filled)) / (MM_PER_MV * px_per_mm)
    return (samples - np.median(samples)).astype(np.float32)


def read_box(
    runs, darkness: np.ndarray, core: np.ndarray, box, n_samples: int, page: PageGeometry
) -> tuple[np.ndarray, float]:
    """Digitize one box: follow its trace, find its centre line, sample it.

    Args:
        runs: ``vertical_runs`` of the trace mask.
        darkness: float32 (H, W), how much darker than the paper each pixel is.
        core: bool (H, W) from ``pen_core``.
        box: ``(name, baseline, start, width)`` from ``lead_boxes``.
        n_samples: samples to return.
        page: the measured geometry.

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
    return to_samples(rows, positions, baseline, page.px_per_mm), coverage


def digitize_report(image, *, samples_per_lead: int = 250, rhythm_samples: int = 1000) -> DigitizedReport:
    """Digitize one 12-lead report image into 12 leads of 2.5 s and a 10 s rhythm strip.

    Chapter 1 builds it step by step; works at any resolution (the grid pitch sets the scale).

    Args:
        image: a path, a PIL image or a uint8 array (H, W, 3).
        samples_per_lead: samples of each 2.5 s lead (250 = 100 Hz).
        rhythm_samples: samples of the 10 s rhythm strip.

    Returns:
        a ``DigitizedReport``.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: the file is not a readable image or does not look like a 12-lead report;
            the message names the file and the step that failed.
    """
    if samples_per_lead < 2 or rhythm_samples < 2:
        raise ValueError(
            f"samples_per_lead and rhythm_samples must be at least 2, got "
            f"{samples_per_lead} and {rhythm_samples}"
        )
    rgb, source = load_image(image)
    try:
        return _digitize(rgb, source, samples_per_lead, rhythm_samples)
    except ValueError as err:
        where = str(image) if isinstance(image, (str, Path)) else source
        raise ValueError(f"{where}: {err}") from err


def measure_page(gray: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, tuple, PageGeometry]:
    """Steps 3-6 of :func:`digitize_report`: separators, rows, time axis and grid pitch of a grid area.

    Args:
        gray: uint8 (H, W) brightness of the grid area.
        mask: bool (H, W) its trace pixels.

    Returns:
        ``(mask, runs, page)``: the mask and its runs without separators, and the geometry.
    """
    mask, runs, separators = remove_separators(mask, vertical_runs(mask))
    thickness = trace_thickness(runs)
    baselines = find_rows(mask)
    row_spacing = float(np.median(np.diff(baselines)))
    x_start, px_per_second = find_time_axis(mask, baselines[-1], row_spacing, thickness, separators)
    px_per_mm = find_grid_pitch(gray, mask, px_per_second)
    return mask, runs, PageGeometry(baselines, row_spacing, thickness, x_start, px_per_second, px_per_mm)


def _digitize(rgb: np.ndarray, source: str, samples_per_lead: int, rhythm_samples: int) -> DigitizedReport:
    gray = to_gray(rgb)
    top, bottom, left, right = find_grid_area(gray)
    gray = gray[top:bottom, left:right]
    mask = trace_mask(gray)
    if not mask.any():
        raise ValueError("no dark trace pixels found on the grid; is this an ECG report?")
    mask, runs, page = measure_page(gray, mask)
    core = pen_core(mask, page.thickness)
    darkness = np.clip(np.median(gray[::4, ::4]) - gray.astype(np.float32), 0, None)

    leads = np.zeros((len(LEAD_NAMES), samples_per_lead), dtype=np.float32)
    coverage = np.zeros(len(LEAD_NAMES) + 1, dtype=np.float32)
    for box in lead_boxes(page):
        if box[0] == "rhythm":
            rhythm, coverage[-1] = read_box(runs, darkness, core, box, rhythm_samples, page)
        else:
            index = LEAD_NAMES.index(box[0])
            leads[index], coverage[index] = read_box(runs, darkness, core, box, samples_per_lead, page)
    return DigitizedReport(
        leads=leads,
        rhythm=rhythm,
        coverage=coverage,
        fs=samples_per_lead / LEAD_SECONDS,
        px_per_mm=float(page.px_per_mm),
        source=source,
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


@dataclass
class DigitizeResult:
    """Many digitized reports, stacked: what ``ecgkeras digitize`` writes.

    Attributes:
        leads: float32 (n, 12, samples_per_lead) in mV, ``LEAD_NAMES`` order.
        rhythm: float32 (n, rhythm_samples) in mV, lead II.
        labels: int64 (n,) class index from the parent folder's name, -1 where it is not a class.
        files: the n file paths that were digitized.
        coverage: float32 (n, 13), see ``DigitizedReport.coverage``.
        skipped: ``(file, reason)`` for every file that could not be digitized.
    """

    leads: np.ndarray
    rhythm: np.ndarray
    labels: np.ndarray
    files: list[str]
    coverage: np.ndarray
    skipped: list[tuple[str, str]]

    def save(self, path) -> None:
        """Write everything to one ``.npz`` file (``skipped`` as two string arrays)."""
        np.savez(
            path,
            leads=self.leads,
            rhythm=self.rhythm,
            labels=self.labels,
            files=np.array(self.files, dtype=str),
            coverage=self.coverage,
            skipped_files=np.array([file for file, _ in self.skipped], dtype=str),
            skipped_reasons=np.array([reason for _, reason in self.skipped], dtype=str),
        )

    @classmethod
    def load(cls, path) -> "DigitizeResult":
        """Read a file written by ``save``."""
        with np.load(path, allow_pickle=False) as stored:
            return cls(
                leads=stored["leads"],
                rhythm=stored["rhythm"],
                labels=stored["labels"],
                files=stored["files"].tolist(),
                coverage=stored["coverage"],
                skipped=list(zip(stored["skipped_files"].tolist(), stored["skipped_reasons"].tolist())),
            )


def image_files(paths) -> list[Path]:
    """Image files among ``paths`` (files, or folders searched recursively), each folder sorted.

    Raises:
        FileNotFoundError: a path does not exist.
        ValueError: a folder holds no .jpg/.jpeg/.png file.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not found:
                raise ValueError(f"no images found in {path} (looked for {', '.join(IMAGE_SUFFIXES)})")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return files


def digitize_paths(
    paths, *, samples_per_lead: int = 250, rhythm_samples: int = 1000, progress: bool = False
) -> DigitizeResult:
    """Digitize every report image in ``paths``; skip (and report) the ones that fail.

    Args:
        paths: image files and/or folders (searched recursively for .jpg/.jpeg/.png, sorted).
            Each image's class is its parent folder's name (``class_from_folder``).
        samples_per_lead, rhythm_samples: as in ``digitize_report``.
        progress: print a line every 10 % of the files.

    Returns:
        a ``DigitizeResult``; files that could not be read are in ``skipped`` with the reason.
    """
    files = image_files(paths)
    leads, rhythm, labels, kept, coverage, skipped = [], [], [], [], [], []
    for i, file in enumerate(files, start=1):
        try:
            report = digitize_report(file, samples_per_lead=samples_per_lead, rhythm_samples=rhythm_samples)
        except (ValueError, OSError) as err:
            skipped.append((str(file), str(err)))
        else:
            leads.append(report.leads)
            rhythm.append(report.rhythm)
            label = class_from_folder(file.parent.name)
            labels.append(-1 if label is None else label)
            kept.append(str(file))
            coverage.append(report.coverage)
        if progress and (i == len(files) or i % max(1, len(files) // 10) == 0):
            print(f"digitized {i}/{len(files)} images, {len(skipped)} skipped", flush=True)
    if skipped:
        print(f"skipped {len(skipped)} of {len(files)} images:")
        for _, reason in skipped:
            print(f"  {reason}")
    return DigitizeResult(
        leads=np.array(leads, dtype=np.float32).reshape(len(kept), len(LEAD_NAMES), samples_per_lead),
        rhythm=np.array(rhythm, dtype=np.float32).reshape(len(kept), rhythm_samples),
        labels=np.array(labels, dtype=np.int64),
        files=kept,
        coverage=np.array(coverage, dtype=np.float32).reshape(len(kept), len(LEAD_NAMES) + 1),
        skipped=skipped,
    )


def benchmark_digitize(paths, repeat: int = 1) -> dict:
    """Time ``digitize_report`` on images (one core), for ``ecgkeras bench digitize``.

    Returns:
        ``{"images", "repeat", "seconds", "images_per_s", "ms_per_image", "size"}``; ``size`` is
        ``(width, height)`` in px of the first image; reading the file is included.
    """
    files = image_files(paths)
    with Image.open(files[0]) as first:
        size = first.size
    started = time.perf_counter()
    for _ in range(repeat):
        for file in files:
            digitize_report(file)
    seconds = time.perf_counter() - started
    count = len(files) * repeat
    return {
        "images": len(files),
        "repeat": repeat,
        "seconds": seconds,
        "images_per_s": count / seconds,
        "ms_per_image": 1000.0 * seconds / count,
        "size": size,
    }
