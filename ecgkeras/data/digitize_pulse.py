"""The calibration pulse of a report row: where the row's time starts, its 0 mV level and its scale (chapter 1).

An ECG machine prints a 1 mV calibration pulse at one end of every row: the pen rises 10 mm
from the 0 mV level, runs flat for 0.2 s (5 mm) and falls back. It is the one thing on the page
whose size is known, and where it is joined to the trace (as ecg-image-kit and many printers
draw it) the trace starts where the pulse falls. ``find_pulse`` finds it in the trace pixels of
one row; ``ecgkeras.data.digitize_page`` uses it for the row's t = 0, the 0 mV level and a
first estimate of the millimetre, and ``ecgkeras.data.digitize_quality`` checks its height.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecgkeras.data.dataset import MM_PER_MV, MM_PER_SECOND

#: The pulse's height (1 mV) and width (0.2 s) in mm, and so its width-to-height ratio.
PULSE_HEIGHT_MM = 1.0 * MM_PER_MV
PULSE_WIDTH_MM = 0.2 * MM_PER_SECOND
#: A pair of strokes is a pulse when its width-to-height ratio is within this fraction of 0.5.
PULSE_SHAPE_TOLERANCE = 0.3
#: ... and its flat top holds trace in at least this fraction of the columns between them.
PULSE_TOP_FILL = 0.8


@dataclass(frozen=True)
class CalibrationPulse:
    """A calibration pulse found in a row (px of the grid area; pixel column c spans x = c..c+1).

    Attributes:
        rise, fall: x of the centres of its left and right strokes.
        top, foot: rows of the centres of its top and of its foot (the 0 mV level).
        at_start: True when it is printed before the row's trace, False after it.
    """

    rise: float
    fall: float
    top: float
    foot: float
    at_start: bool

    @property
    def height(self) -> float:
        """Foot to top in px: 10 mm on a report printed at 10 mm/mV."""
        return self.foot - self.top

    @property
    def width(self) -> float:
        """Rise to fall in px: 5 mm on a report printed at 25 mm/s."""
        return self.fall - self.rise


def find_pulse(runs, darkness: np.ndarray, baseline: float, row_spacing: float, thickness: float):
    """The calibration pulse at the start (or else at the end) of one row, or None.

    A stroke is a group of adjacent pixel columns each holding one tall vertical run (at least
    a sixth of the row spacing) that ends near the row's baseline. The pulse is the first two
    strokes of the row (or the last two) that span the same height (the trace may carry on
    past the inner stroke, within two pen widths), whose distance is about half their height (5 mm by 10 mm, within
    ``PULSE_SHAPE_TOLERANCE``), with trace along the top between them, and with no trace beyond
    it on the outer side. The strokes' x are darkness-weighted.

    Args:
        runs: ``vertical_runs`` of the trace mask.
        darkness: float (H, W), how much darker than the paper each pixel is.
        baseline: the row's baseline, px (from ``find_rows``).
        row_spacing: distance between rows, px.
        thickness: the trace's thickness, px.

    Returns:
        a ``CalibrationPulse`` or None.
    """
    columns, tops, bottoms = runs
    centre = (tops + bottoms) / 2
    in_row = np.abs(centre - baseline) <= row_spacing / 2
    tall = in_row & (bottoms - tops >= row_spacing / 6) & (np.abs(bottoms - baseline) <= row_spacing / 6)
    strokes = _strokes(columns[tall], tops[tall], bottoms[tall])
    occupied = np.unique(columns[in_row])
    if len(strokes) < 2 or len(occupied) == 0:
        return None
    for at_start, pairs in ((True, zip(strokes, strokes[1:])), (False, zip(strokes[-2::-1], strokes[::-1]))):
        for first, second in list(pairs)[:2]:
            pulse = _as_pulse(first, second, runs, in_row, darkness, thickness, at_start)
            if pulse is None:
                continue
            outside = occupied < first[0] - thickness if at_start else occupied > second[1] + thickness
            if np.sum(outside) <= 2 * thickness:
                return pulse
    return None


def _strokes(columns, tops, bottoms) -> list[tuple[int, int, float, float]]:
    """Groups of adjacent columns: ``(first column, last column, median top, median bottom)``."""
    if len(columns) == 0:
        return []
    order = np.argsort(columns, kind="stable")
    columns, tops, bottoms = columns[order], tops[order], bottoms[order]
    breaks = np.flatnonzero(np.diff(columns) > 1) + 1
    return [
        (int(c[0]), int(c[-1]), float(np.median(t)), float(np.median(b)))
        for c, t, b in zip(np.split(columns, breaks), np.split(tops, breaks), np.split(bottoms, breaks))
    ]


def _as_pulse(first, second, runs, in_row, darkness, thickness, at_start):
    """The pulse the two strokes draw, or None when they do not draw one.

    The outer stroke (the first at the start of a row, the second at its end) gives the top
    and the foot; the inner one, where the trace may join the pulse and carry on past its foot
    or top, must span at least the same height.
    """
    outer, inner = (first, second) if at_start else (second, first)
    if inner[2] > outer[2] + 2 * thickness or inner[3] < outer[3] - 2 * thickness:
        return None
    (a0, a1, _, _), (b0, b1, _, _) = first, second
    half = (thickness - 1) / 2
    top, foot = outer[2] + half, outer[3] - half
    rise, fall = _stroke_x(darkness, a0, a1, top, foot), _stroke_x(darkness, b0, b1, top, foot)
    if foot - top <= 0 or abs((fall - rise) / (foot - top) - PULSE_WIDTH_MM / PULSE_HEIGHT_MM) > (
        PULSE_SHAPE_TOLERANCE * PULSE_WIDTH_MM / PULSE_HEIGHT_MM
    ):
        return None
    columns, tops, _ = runs
    between = in_row & (columns > a1) & (columns < b0) & (np.abs(tops - (top - half)) <= 2 * thickness)
    if len(np.unique(columns[between])) < PULSE_TOP_FILL * max(b0 - a1 - 1, 1):
        return None
    return CalibrationPulse(rise, fall, top, foot, at_start)


def _stroke_x(darkness: np.ndarray, first: int, last: int, top: float, foot: float) -> float:
    """Darkness-weighted x of a vertical stroke over its middle half, one column of margin."""
    left, right = max(first - 1, 0), min(last + 2, darkness.shape[1])
    rows = slice(int(top + (foot - top) / 4), int(foot - (foot - top) / 4) + 1)
    weights = darkness[rows, left:right].sum(axis=0)
    return float(left + 0.5 + np.sum(weights * np.arange(len(weights))) / max(weights.sum(), 1e-9))
