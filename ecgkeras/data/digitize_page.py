"""Step 2 and steps 4-6 of ``digitize_report``: where things are on a report page (chapter 1).

The page geometry, in px of the grid area: the printable grid area (``find_grid_area``), the lead
separators (``remove_separators``), the trace's thickness (``trace_thickness``), the four rows of
traces (``find_rows``), the time axis (``find_time_axis``), the grid pitch (``find_grid_pitch``),
and from them the 13 boxes where the leads and the rhythm strip are printed (``lead_boxes``).
Following the trace inside a box is ``ecgkeras.data.digitize_trace``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.signal import find_peaks

from ecgkeras.data.dataset import LEAD_SECONDS, MM_PER_SECOND, REPORT_LAYOUT, RHYTHM_SECONDS
from ecgkeras.data.digitize_pulse import PULSE_HEIGHT_MM, find_pulse

#: A pixel belongs to the paper when it is at least this bright, relative to the paper colour.
PAPER_BRIGHTNESS = 0.85
#: A pixel column whose single dark run is longer than this fraction of the grid height is a
#: lead separator (no QRS complex is that tall).
SEPARATOR_FRACTION = 0.35
#: A row of trace holds trace pixels in at least this fraction of the grid area's columns.
ROW_FILL = 0.5


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
        row_starts: float (4,) x of time 0 in each row, where the rows start apart (from their
            calibration pulses); None: every row starts at ``x_start``.
        zero_levels: float (4,) row of 0 mV in each row (a pulse's foot), NaN where unknown;
            None: each lead's median is taken as 0 mV.
        pulses: the calibration pulse of each row (``CalibrationPulse`` or None), when looked for.
    """

    baselines: np.ndarray
    row_spacing: float
    thickness: float
    x_start: float
    px_per_second: float
    px_per_mm: float
    row_starts: np.ndarray | None = None
    zero_levels: np.ndarray | None = None
    pulses: tuple | None = None


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
    baseline; the four strongest peaks, top to bottom, are the rows. A peak is a trace row only
    when the band around it (a sixteenth of the area's height) holds trace pixels in at least
    ``ROW_FILL`` of the columns: a line of printed text (a header, a footer) does not.

    Args:
        mask: bool (H, W) trace pixels without separators.

    Returns:
        float64 (4,) row index in px of each baseline, increasing.
    """
    profile = ndimage.uniform_filter1d(mask.sum(axis=1).astype(np.float64), size=3)
    peaks, properties = find_peaks(profile, distance=max(1, mask.shape[0] // 8), prominence=1)
    band = max(1, mask.shape[0] // 32)
    filled = [mask[max(0, peak - band) : peak + band + 1].any(axis=0).mean() >= ROW_FILL for peak in peaks]
    peaks, properties = peaks[filled], {"prominences": properties["prominences"][filled]}
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


def find_pulse_axis(
    gray: np.ndarray, mask: np.ndarray, runs, baselines: np.ndarray, thickness: float, darkness: np.ndarray
) -> PageGeometry | None:
    """The page's geometry from the rows' calibration pulses, or None where no row has one.

    Used where no lead separators are printed (``find_time_axis`` uses those). The pulses'
    height (10 mm) gives a first estimate of the millimetre, which ``find_grid_pitch`` refines on
    the grid; the time scale is then 25 mm/s of that pitch, not a trace's extent. Each row's
    t = 0 is where its pulse falls when the trace leaves the pulse there (joined, as
    ecg-image-kit draws it), else the row's first trace column after a free-standing pulse, or
    before a pulse printed at the row's end; its 0 mV level is the pulse's foot.

    Args:
        gray: uint8 (H, W) brightness of the grid area.
        mask: bool (H, W) its trace pixels without separators; runs: their ``vertical_runs``.
        baselines: float (4,) from ``find_rows``; thickness: the trace's, px.
        darkness: float (H, W) from ``darkness_of(gray)``.

    Returns:
        a ``PageGeometry`` with ``row_starts``, ``zero_levels`` and ``pulses``, or None.
    """
    row_spacing = float(np.median(np.diff(baselines)))
    pulses = tuple(find_pulse(runs, darkness, baseline, row_spacing, thickness) for baseline in baselines)
    found = [pulse for pulse in pulses if pulse is not None]
    if not found:
        return None
    guess = float(np.median([pulse.height for pulse in found])) / PULSE_HEIGHT_MM
    px_per_mm = find_grid_pitch(gray, mask, MM_PER_SECOND * guess)
    starts = [_row_start(runs, baseline, row_spacing, thickness, pulse) for baseline, pulse in zip(baselines, pulses)]
    zero_levels = np.array([np.nan if pulse is None else pulse.foot for pulse in pulses])
    return PageGeometry(
        baselines, row_spacing, thickness, float(starts[-1]), MM_PER_SECOND * px_per_mm, px_per_mm,
        row_starts=np.array(starts), zero_levels=zero_levels, pulses=pulses,
    )


def _row_start(runs, baseline: float, row_spacing: float, thickness: float, pulse) -> float:
    """x of time 0 in one row: its pulse's fall when the trace leaves from there, else its first
    trace column (after a pulse at the start), plus half a pen width (where the ink of the first
    sample ends)."""
    columns, tops, bottoms = runs
    occupied = np.unique(columns[np.abs((tops + bottoms) / 2 - baseline) <= row_spacing / 2])
    if pulse is not None and pulse.at_start:
        after = occupied[occupied > pulse.fall + thickness]
        if len(after) and after[0] <= pulse.fall + 2 * thickness:
            return pulse.fall
        occupied = after
    if len(occupied) == 0:
        raise ValueError("a row holds no trace after its calibration pulse; is this a 12-lead report?")
    return float(occupied[0] + thickness / 2)


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


def lead_boxes(page: PageGeometry) -> list[tuple[str, float, float, float]]:
    """Where each lead is printed: the 3 x 4 lead boxes (``REPORT_LAYOUT``), then the rhythm strip.

    Returns:
        13 tuples ``(name, baseline, start, width)``: the lead name (``"rhythm"`` for the
        strip), its baseline row, the x of its first sample and its width, all in px.
    """
    box_px = LEAD_SECONDS * page.px_per_second
    starts = np.full(len(page.baselines), page.x_start) if page.row_starts is None else page.row_starts
    boxes = [
        (name, page.baselines[r], starts[r] + c * box_px, box_px)
        for r, names in enumerate(REPORT_LAYOUT)
        for c, name in enumerate(names)
    ]
    boxes.append(("rhythm", page.baselines[-1], starts[-1], RHYTHM_SECONDS * page.px_per_second))
    return boxes
