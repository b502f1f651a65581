"""Steps 3 and 7-9 of ``digitize_report``: the trace's pixels, and one lead's trace as samples (chapter 1).

Which pixels are trace (``trace_mask``, ``vertical_runs``, ``pen_core``), how the trace of one box
is followed column by column (``track_trace``), where its centre line lies (``run_centres``,
``trace_rows``), and the conversion of that line from px to mV samples (``to_samples``). Where the
boxes are is ``ecgkeras.data.digitize_page``'s job.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ecgkeras.data.dataset import MM_PER_MV

#: A pixel belongs to a trace when it is at most this bright, relative to the paper colour.
TRACE_DARKNESS = 0.5
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
#: A dark colour within this many levels (0-255, per channel) of a grid line's colour is grid.
GRID_COLOUR_TOLERANCE = 12
#: ... when it fills at least this many separate pixel columns and as many rows (``grid_colours``),
GRID_LINES = 20
#: ... among this many most common dark colours.
GRID_CANDIDATES = 4


def trace_mask(gray: np.ndarray, rgb: np.ndarray | None = None) -> np.ndarray:
    """Trace pixels bool (H, W) of a grid area: dark pixels, grid lines and small specks removed.

    A pink grid is much lighter than the near-black trace, so a threshold relative to the
    paper colour removes it. A darker grid (red, or of any colour, as other printers draw it)
    is removed by its colour when ``rgb`` is given (``grid_colours``, ``grid_pixels``).
    Dropping connected pieces smaller than about 1 mm^2 (judged from the area's height, about
    150 mm) removes grid dots, crossings of grid lines and JPEG noise that survive.

    Args:
        gray: uint8 (H, W) brightness 0-255 of the grid area.
        rgb: uint8 (H, W, 3) the same area in colour, or None (brightness only).
    """
    dark = gray < TRACE_DARKNESS * np.median(gray[::4, ::4])
    if rgb is not None:
        colours = grid_colours(rgb, dark)
        if colours:
            dark &= ~grid_pixels(rgb, dark, colours)
    pieces, count = ndimage.label(dark, structure=np.ones((3, 3)))
    sizes = np.bincount(pieces.ravel(), minlength=count + 1)
    min_size = max(4.0, (gray.shape[0] / 150.0) ** 2)
    keep = sizes >= min_size
    keep[0] = False
    return keep[pieces]


def grid_colours(rgb: np.ndarray, dark: np.ndarray) -> list[np.ndarray]:
    """The colours of dark grid lines: dark colours that draw long straight lines.

    The most common dark colours (binned to 16 levels per channel) are candidates; one is a
    grid colour when its pixels (within ``GRID_COLOUR_TOLERANCE`` per channel) fill at least
    40 % of ``GRID_LINES`` or more separate pixel columns, and as many rows: a grid's lines run
    across the page both ways every few millimetres; a trace, a label or a row of lead
    separators never does that.

    Args:
        rgb: uint8 (H, W, 3) the grid area.
        dark: bool (H, W) its dark pixels.

    Returns:
        float (3,) RGB of each grid colour found (none on a light pink grid).
    """
    pixels = rgb[dark]
    if len(pixels) == 0:
        return []
    rows, columns = np.nonzero(dark)
    binned = (pixels // 16).astype(np.int32) @ np.array([256, 16, 1])
    counts = np.bincount(binned, minlength=4096)
    height, width = dark.shape
    colours = []
    for candidate in np.argsort(-counts)[:GRID_CANDIDATES]:
        if counts[candidate] < 0.4 * GRID_LINES * min(height, width):  # too few pixels to draw the lines
            break
        colour = pixels[binned == candidate].astype(np.float64).mean(axis=0)
        near = np.abs(pixels.astype(np.int16) - colour).max(axis=-1) <= GRID_COLOUR_TOLERANCE
        column_share = np.bincount(columns[near], minlength=width) / height
        row_share = np.bincount(rows[near], minlength=height) / width
        if min(_line_count(column_share), _line_count(row_share)) >= GRID_LINES:
            colours.append(colour)
    return colours


def _line_count(fractions: np.ndarray) -> int:
    """How many separate stretches of a profile reach 40 % (lines one or more px wide count once)."""
    full = np.concatenate(([False], fractions >= 0.4, [False])).astype(np.int8)
    return int(np.sum(np.diff(full) == 1))


def grid_pixels(rgb: np.ndarray, dark: np.ndarray, colours) -> np.ndarray:
    """Dark pixels of a grid colour, or of its blend with the paper (anti-aliased line edges).

    A pixel belongs to the grid when its colour lies within ``GRID_COLOUR_TOLERANCE`` (RGB
    distance) of the straight segment from the paper colour to a grid colour. The trace is
    drawn over the grid, so where they cross the pixel has the trace's colour and stays.

    Args:
        rgb: uint8 (H, W, 3); dark: bool (H, W); colours: from ``grid_colours``.

    Returns:
        bool (H, W).
    """
    pixels = rgb[dark].astype(np.float64)
    paper = np.median(rgb[::4, ::4].reshape(-1, 3), axis=0)
    on_grid = np.zeros(len(pixels), dtype=bool)
    for colour in colours:
        direction = colour - paper
        share = np.clip((pixels - paper) @ direction / max(direction @ direction, 1e-9), 0, 1)
        distance = np.linalg.norm(pixels - paper - share[:, None] * direction, axis=1)
        on_grid |= distance <= GRID_COLOUR_TOLERANCE
    grid = np.zeros(dark.shape, dtype=bool)
    grid[dark] = on_grid
    return grid


def darkness_of(gray: np.ndarray) -> np.ndarray:
    """float32 (H, W): how much darker than the paper (the median brightness) each pixel is, >= 0."""
    return np.clip(np.median(gray[::4, ::4]) - gray.astype(np.float32), 0, None)


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


def resample(lead, samples: int) -> np.ndarray:
    """A lead sampled evenly over its window, resampled (linear interpolation) to ``samples`` points
    over the same window: sample i of n lies at i/n of the window, as ``to_samples`` places them."""
    lead = np.asarray(lead, dtype=np.float64)
    if len(lead) == samples:
        return lead
    return np.interp(np.arange(samples) / samples, np.arange(len(lead)) / len(lead), lead)


def to_samples(
    rows: np.ndarray, positions: np.ndarray, baseline: float, px_per_mm: float, zero_level: float | None = None
) -> np.ndarray:
    """A box's trace rows (one per pixel column) to samples in mV.

    Gaps are filled by linear interpolation; up on the paper is positive; 10 mm is 1 mV. The
    0 mV level is ``zero_level`` where the page shows it (a calibration pulse's foot), else the
    lead's median.

    Args:
        rows: float (columns,) trace row per pixel column, px, NaN in gaps.
        positions: float (samples,) where each sample lies, in units of the columns of ``rows``.
        baseline: the row's baseline, px.
        px_per_mm: grid pitch.
        zero_level: row (px) of 0 mV, or None (NaN also): the lead's median is 0 mV.

    Returns:
        float32 (samples,) in mV.
    """
    columns = np.arange(len(rows))
    found = ~np.isnan(rows)
    filled = np.interp(columns, columns[found], rows[found])
    samples = (baseline - np.interp(positions, columns, filled)) / (MM_PER_MV * px_per_mm)
    if zero_level is None or np.isnan(zero_level):
        return (samples - np.median(samples)).astype(np.float32)
    return (samples - (baseline - zero_level) / (MM_PER_MV * px_per_mm)).astype(np.float32)
