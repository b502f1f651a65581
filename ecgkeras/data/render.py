"""Draw a 12-lead signal as a paper ECG report image, in the layout of the real data set.

Chapter 1 (paper ECG -> signal). The Mendeley images are JPEG files of printed 12-lead reports:
a pink header band, a millimetre grid holding three rows of four 2.5 s lead boxes and a 10 s
lead II rhythm strip, each row starting with a calibration pulse. This module draws any signal
in that layout, so the image pipeline (digitize -> three views -> models) also runs on synthetic
data whose true signal is known.

Every geometry constant below was measured on the 16 full-resolution real images (2213 x 1572
px; all of them share one layout) and is stored as a fraction of the image width or height, so
the same numbers draw a report of any size. The comment after each constant gives the measured
value in px at 2213 x 1572. Where the real reports differ from the textbook, the constants
follow the real reports: the grid is printed as grey-pink dots (one per millimetre crossing,
denser along the 5 mm lines), and the calibration pulse is 2.2 mm wide, not 5 mm.

Where the trace goes: sample ``k`` of the box in column ``c`` (``fs`` Hz) is drawn at
``x = TRACE_LEFT * width + (2.5 * c + k / fs) * px_per_second`` and
``y = ROW_BASELINES[row] * height - value_mV * px_per_mv``, with
``px_per_second = MM_PER_SECOND * TRACE_MM_X * width`` and
``px_per_mv = MM_PER_MV * TRACE_MM_Y * height``; the pen ends flat at the first and last sample,
and the whole printed area is shifted by at most ``MAX_OFFSET_MM`` (drawn from the seed).
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .dataset import (
    CLASS_FOLDERS,
    CLASS_NAMES,
    LEAD_NAMES,
    LEAD_SECONDS,
    MM_PER_MV,
    MM_PER_SECOND,
    REPORT_LAYOUT,
    RHYTHM_SECONDS,
    report_segments,
)

REF_WIDTH = 2213
REF_HEIGHT = 1572

# The printed area (paper with grid). Whatever the trace draws past its edges is cut off.
GRID_LEFT = 71 / REF_WIDTH  # 71 px
GRID_RIGHT = 2173 / REF_WIDTH  # 2173 px
GRID_TOP = 287 / REF_HEIGHT  # 287 px
GRID_BOTTOM = 1512 / REF_HEIGHT  # 1512 px

# Grid: 1 mm and 5 mm spacing; a 5 mm crossing sits at the origin.
GRID_MM_X = 7.95 / REF_WIDTH  # 7.95 px per mm across
GRID_MM_Y = 7.94 / REF_HEIGHT  # 7.94 px per mm down
GRID_ORIGIN_X = 105 / REF_WIDTH  # 105 px (the rising edge of the calibration pulses)
GRID_ORIGIN_Y = 324 / REF_HEIGHT  # 324 px

# Trace scale: 25 mm/s and 10 mm/mV (MM_PER_SECOND, MM_PER_MV, from .dataset). The printer's millimetre
# is 7.874 px (200 dpi) across and 7.9 px down, about 1 % smaller than the grid's, as on the real reports.
TRACE_MM_X = 7.874 / REF_WIDTH  # 7.874 px per mm: 196.85 px per second
TRACE_MM_Y = 7.9 / REF_HEIGHT  # 7.9 px per mm: 79 px per mV

# Time 0 of every row, and the 0 mV line of each row (three lead rows, then the rhythm strip).
TRACE_LEFT = 151.5 / REF_WIDTH  # 151.5 px
ROW_BASELINES = (463 / REF_HEIGHT, 763 / REF_HEIGHT, 1066 / REF_HEIGHT, 1366 / REF_HEIGHT)
TRACE_WIDTH = 4.0 / REF_HEIGHT  # 4 px (0.5 mm)

# Calibration pulse (1 mV high) before each row: flat from CAL_START, up at CAL_RISE, down at
# CAL_FALL, flat to CAL_END.
CAL_START = 95 / REF_WIDTH  # 95 px
CAL_RISE = 104.6 / REF_WIDTH  # 104.6 px
CAL_FALL = 122.1 / REF_WIDTH  # 122.1 px
CAL_END = 131 / REF_WIDTH  # 131 px

# Vertical lines between the lead boxes of rows 1-3, at the start of columns 2-4.
SEPARATOR_TOP = 419 / REF_HEIGHT  # 419 px
SEPARATOR_BOTTOM = 1110 / REF_HEIGHT  # 1110 px
SEPARATOR_WIDTH = 3.0 / REF_WIDTH  # 3 px

# Lead labels (a Times-like serif): left edge just after the box start, bottom just above the
# baseline, so they touch the first millimetres of the trace.
LABEL_CAP_HEIGHT = 19 / REF_HEIGHT  # 19 px
LABEL_DX = 2.5 / REF_WIDTH  # 2.5 px right of the box start
LABEL_RAISE = 7 / REF_HEIGHT  # label bottom 7 px above the baseline

# Header band on the pink page above the grid (not shifted with the printed area).
HEADER_TITLE_X = (485 / REF_WIDTH, 2062 / REF_WIDTH)  # black title within x 485..2062 px
HEADER_TITLE_TOP = 34 / REF_HEIGHT  # its capitals from 34 px ...
HEADER_TITLE_CAP = 50 / REF_HEIGHT  # ... 50 px high
HEADER_SUBTITLE_X = (1014 / REF_WIDTH, 1361 / REF_WIDTH)  # red "ECG Report", x 1014..1361 px
HEADER_SUBTITLE_TOP = 143 / REF_HEIGHT  # 143 px
HEADER_SUBTITLE_CAP = 44 / REF_HEIGHT  # 44 px
HEADER_RULE_Y = (170 / REF_HEIGHT, 179 / REF_HEIGHT)  # red rule, y 170..179 px
HEADER_SQUIGGLE_X = (391 / REF_WIDTH, 560 / REF_WIDTH)  # red ECG squiggle, x 391..560 px
HEADER_SQUIGGLE_Y = (82 / REF_HEIGHT, 229 / REF_HEIGHT)  # y 82..229 px
HEADER_EMBLEM = (265 / REF_WIDTH, 128 / REF_HEIGHT, 105 / REF_HEIGHT)  # centre x, y; radius
HEADER_LINE_WIDTH = 6 / REF_HEIGHT  # 6 px
HEADER_FIELDS_TOP = 214 / REF_HEIGHT  # fake patient fields below the rule (not on the real ones)
HEADER_FIELDS_CAP = 22 / REF_HEIGHT

# Colours (RGB) and grid ink, matched to the real files' blank grid (mean, spread and darkest
# percentiles of the grey levels, at 2213 x 1572 and at 1106 x 786).
PAGE_PINK = (247, 161, 170)
HEADER_RED = (233, 27, 35)
HEADER_TEXT = (0, 0, 0)
TRACE_INK = (0, 0, 0)
PAPER_WHITE = (255, 251, 250)
GRID_INK = (110, 60, 62)  # grey-pink dots: one per mm crossing, every 0.5 mm along 5 mm lines
GRID_DOT = 1.1 / REF_HEIGHT  # 1.1 px dots
GRID_MIN_SPREAD = 1.2  # output px; thinner dots are spread (blurred) over this width
PAPER_RED = (255, 251, 252)  # the redder paper of about 11 % of the images ...
RED_PAPER_LINE = (222, 218, 220)  # ... has grey 5 mm lines, darkest at the line and
RED_PAPER_LINE_WIDTH = 5 / REF_HEIGHT  # fading out over the 5 px before it,
RED_PAPER_DOT_INK = 0.6  # and fainter 1 mm dots

#: Share of real images printed on the redder paper (53 of 486 distinct images).
RED_PAPER_SHARE = 0.11
#: JPEG quality drawn per image (the real files use 75, with 4:2:0 chroma subsampling).
JPEG_QUALITY_RANGE = (75, 90)
#: Largest random shift of the printed area, in mm (the real files show none).
MAX_OFFSET_MM = 0.3
#: Largest random change of the paper colour, in RGB levels.
MAX_TINT = 2.0
#: The ink is drawn at this many times the output resolution and averaged down (anti-aliasing).
SUPERSAMPLE = 3

#: File prefixes of the real data set, in ``CLASS_NAMES`` order (its class folders: ``CLASS_FOLDERS``,
#: from ``.dataset``).
FILE_PREFIXES = ("Normal", "HB", "MI", "PMI")

_PLACES = ("Riverside", "Northfield", "Lakeview", "Eastbrook", "Westmoor", "Hillcrest")
_INSTITUTIONS = ("Heart Institute", "Cardiac Centre", "Heart Foundation", "Teaching Hospital")
_SURNAMES = ("Rahman", "Ahmed", "Khan", "Smith", "Garcia", "Chen", "Okafor", "Novak", "Silva")
_CAP_HEIGHT = {"STIXGeneral.ttf": 0.662, "DejaVuSans.ttf": 0.729, "DejaVuSans-Bold.ttf": 0.729}


def render_report(
    signal,
    fs: float = 100.0,
    *,
    seed: int = 0,
    width: int = 2213,
    height: int = 1572,
    red_paper: bool | None = None,
    jpeg_quality: int | None = None,
) -> Image.Image:
    """Draw a 10 s 12-lead signal as a JPEG-compressed paper report (chapter 1).

    Rows 1-3 show lead ``REPORT_LAYOUT[r][c]`` during seconds 2.5c..2.5(c+1); the bottom row
    is lead II for 10 s; 25 mm/s, 10 mm/mV. Waves that run past the printed area are cut off
    at its edge, as on the real reports.

    Args:
        signal: float (12, samples) in mV, leads in ``LEAD_NAMES`` order, at least 10 s long
            (only the first 10 s are drawn).
        fs: sampling rate of ``signal`` in Hz.
        seed: draws everything that varies: paper, JPEG quality, a shift of the printed area
            (at most ``MAX_OFFSET_MM``), paper tint and header text. Same seed, same pixels.
        width, height: image size in px (the real files are 2213 x 1572, or 1106 x 786).
        red_paper: True draws the redder paper with shaded 5 mm lines, False the dotted one;
            None draws it from the seed (probability ``RED_PAPER_SHARE``).
        jpeg_quality: 1-95; None draws it from ``JPEG_QUALITY_RANGE`` with the seed.

    Returns:
        RGB image of ``width`` x ``height`` px that went through JPEG encoding and decoding.
    """
    data = _report_jpeg(signal, fs, seed, width, height, red_paper, jpeg_quality)
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def render_dataset_images(
    signals, labels, folder, *, fs=100.0, seed=0, width=1106, height=786
) -> list[Path]:
    """Write one report image per signal in the real data set's folder layout (chapter 1).

    Files are ``folder/<ClassFolder>/<prefix>(<i>).jpg`` with the real set's short folder
    names (``CLASS_FOLDERS``) and prefixes (``FILE_PREFIXES``), numbered from 1 within each
    class, e.g. ``folder/Abnormal_Heartbeat/HB(3).jpg``. Paper, JPEG quality and the rest are
    drawn per image, from a seed derived from ``seed``.

    Args:
        signals: float (n, 12, samples) in mV, leads in ``LEAD_NAMES`` order, >= 10 s each.
        labels: int (n,), indices into ``CLASS_NAMES``.
        folder: output folder (created when missing).
        fs: sampling rate in Hz.
        seed: one seed for the whole set.
        width, height: image size in px (default: the half-size real images).

    Returns:
        The paths written, in the order of ``signals``.
    """
    signals = np.asarray(signals, dtype=float)
    labels = np.asarray(labels)
    if signals.ndim != 3:
        raise ValueError(f"signals must have shape (n, 12, samples), got {signals.shape}")
    if labels.shape != (len(signals),):
        raise ValueError(
            f"labels must have shape ({len(signals)},) to match signals, got {labels.shape}"
        )
    if len(labels) and (
        not np.issubdtype(labels.dtype, np.integer)
        or labels.min() < 0
        or labels.max() >= len(CLASS_NAMES)
    ):
        raise ValueError(
            f"labels must be integers in 0..{len(CLASS_NAMES) - 1} (indices into CLASS_NAMES), "
            f"got values {np.unique(labels).tolist()}"
        )
    folder = Path(folder)
    image_seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(signals))
    counts = [0] * len(CLASS_NAMES)
    paths = []
    for i, (signal, label) in enumerate(zip(signals, labels)):
        counts[label] += 1
        path = folder / CLASS_FOLDERS[label] / f"{FILE_PREFIXES[label]}({counts[label]}).jpg"
        try:
            data = _report_jpeg(signal, fs, int(image_seeds[i]), width, height, None, None)
        except ValueError as error:
            raise ValueError(f"signals[{i}]: {error}") from None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths


@dataclass(frozen=True)
class _Page:
    """Pixel geometry of one report: its size and the shift (px) of the printed area."""

    width: int
    height: int
    dx: float
    dy: float

    def x(self, fraction: float) -> float:
        """A horizontal position of the printed area, given as a fraction of the width -> px."""
        return fraction * self.width + self.dx

    def y(self, fraction: float) -> float:
        """A vertical position of the printed area, given as a fraction of the height -> px."""
        return fraction * self.height + self.dy

    def grid_box(self) -> tuple[int, int, int, int]:
        """``(left, top, right, bottom)`` of the printed area, in whole px."""
        return (
            round(self.x(GRID_LEFT)),
            round(self.y(GRID_TOP)),
            round(self.x(GRID_RIGHT)),
            round(self.y(GRID_BOTTOM)),
        )

    @property
    def px_per_second(self) -> float:
        return MM_PER_SECOND * TRACE_MM_X * self.width

    @property
    def px_per_mv(self) -> float:
        return MM_PER_MV * TRACE_MM_Y * self.height


def _report_jpeg(signal, fs, seed, width, height, red_paper, jpeg_quality) -> bytes:
    """The whole drawing; returns the bytes of the JPEG file."""
    leads, rhythm, fs = _check_signal(signal, fs)
    _check_size(width, height)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(seed)
    drawn_red = rng.random() < RED_PAPER_SHARE
    drawn_quality = int(rng.integers(JPEG_QUALITY_RANGE[0], JPEG_QUALITY_RANGE[1] + 1))
    shift_mm = rng.uniform(-MAX_OFFSET_MM, MAX_OFFSET_MM, size=2)
    tint = rng.uniform(-MAX_TINT, MAX_TINT, size=3)
    red_paper = drawn_red if red_paper is None else bool(red_paper)
    quality = drawn_quality if jpeg_quality is None else _check_quality(jpeg_quality)

    dx, dy = shift_mm[0] * TRACE_MM_X * width, shift_mm[1] * TRACE_MM_Y * height
    page = _Page(width, height, dx, dy)
    image = Image.new("RGB", (width, height), PAGE_PINK)
    box = page.grid_box()
    image.paste(_grid(page, red_paper, tint), box[:2])
    image.paste(TRACE_INK, box, _ink_mask(page, leads, rhythm, fs))
    _draw_header(image, rng)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, subsampling=2)
    return buffer.getvalue()


def _check_signal(signal, fs) -> tuple[np.ndarray, np.ndarray, float]:
    """Validate; return the report's windows (``report_segments``) and fs as a float."""
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        raise ValueError(f"fs must be a positive sampling rate in Hz, got {fs!r}") from None
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"fs must be a positive sampling rate in Hz, got {fs}")
    signal = np.asarray(signal, dtype=float)
    if signal.ndim != 2 or signal.shape[0] != len(LEAD_NAMES):
        raise ValueError(
            f"signal must have shape (12, samples) with leads in LEAD_NAMES order, got "
            f"{signal.shape}; transpose a channels-last (samples, 12) array with signal.T"
        )
    needed = 4 * int(round(LEAD_SECONDS * fs))
    if signal.shape[1] < needed:
        raise ValueError(
            f"signal must hold at least {RHYTHM_SECONDS:g} s ({needed} samples at fs={fs:g} Hz), "
            f"got {signal.shape[1]} samples"
        )
    finite = np.isfinite(signal[:, :needed]).all(axis=1)
    if not finite.all():
        bad = [LEAD_NAMES[i] for i in np.flatnonzero(~finite)]
        raise ValueError(
            f"signal contains NaN or inf in leads {bad}; interpolate or drop them first"
        )
    leads, rhythm = report_segments(signal, fs)
    return leads, rhythm, fs


def _check_size(width, height) -> None:
    sizes = (width, height)
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes):
        raise ValueError(f"width and height must be integers (px), got {width!r} x {height!r}")
    if width < 400 or height < 280:
        raise ValueError(
            f"width x height must be at least 400 x 280 px to draw a report, "
            f"got {width} x {height}"
        )


def _check_quality(quality) -> int:
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)):
        raise ValueError(f"jpeg_quality must be an integer in 1..95, got {quality!r}")
    if not 1 <= quality <= 95:
        raise ValueError(f"jpeg_quality must be an integer in 1..95, got {quality}")
    return int(quality)


def _grid(page: _Page, red_paper: bool, tint: np.ndarray) -> Image.Image:
    """The printed area: paper with its millimetre grid, RGB, the size of ``page.grid_box()``."""
    left, top, right, bottom = page.grid_box()
    size = (right - left, bottom - top)
    mm_x, mm_y = GRID_MM_X * page.width, GRID_MM_Y * page.height
    x0, y0 = page.x(GRID_ORIGIN_X) - left, page.y(GRID_ORIGIN_Y) - top
    dot = GRID_DOT * page.height

    def dots(step_x, step_y):
        return np.outer(
            _line_coverage(size[1], y0, step_y, dot), _line_coverage(size[0], x0, step_x, dot)
        )

    def paint(image, ink, colour):
        mask = Image.fromarray(np.rint(ink * 255).astype(np.uint8), "L")
        return Image.composite(Image.new("RGB", size, colour), image, mask)

    paper = PAPER_RED if red_paper else PAPER_WHITE
    image = Image.new("RGB", size, tuple(int(round(c + t)) for c, t in zip(paper, tint)))
    ink = dots(mm_x, mm_y)
    # The real grid leaves out the column of dots 1 mm right of each 5 mm line, so that the
    # 5 mm squares stand apart.
    ink -= np.outer(
        _line_coverage(size[1], y0, mm_y, dot), _line_coverage(size[0], x0 + mm_x, 5 * mm_x, dot)
    )
    np.clip(ink, 0, 1, out=ink)
    if red_paper:
        image = paint(image, RED_PAPER_DOT_INK * ink, GRID_INK)
        fade = RED_PAPER_LINE_WIDTH * page.height
        lines = np.maximum.outer(
            _shaded_line(size[1], y0, 5 * mm_y, fade), _shaded_line(size[0], x0, 5 * mm_x, fade)
        )
        return paint(image, lines, RED_PAPER_LINE)
    np.maximum(ink, dots(mm_x / 2, 5 * mm_y), out=ink)
    np.maximum(ink, dots(5 * mm_x, mm_y / 2), out=ink)
    return paint(image, ink, GRID_INK)


def _line_coverage(n: int, start: float, pitch: float, thickness: float) -> np.ndarray:
    """Share (0..1) of each of ``n`` pixels covered by lines ``thickness`` px wide at
    ``start + k * pitch`` (all integers k), each centred on a pixel as a printer places it.
    Lines thinner than ``GRID_MIN_SPREAD`` px are spread over that width with the same total
    ink, as a scan or a downsized copy blurs them. float32 (n,)."""
    spread = max(thickness, GRID_MIN_SPREAD)
    centres = np.arange(n) + 0.5
    nearest = np.floor(start + np.round((centres - start) / pitch) * pitch) + 0.5
    distance = np.abs(centres - nearest)
    overlap = np.minimum(0.5, spread / 2 - distance) - np.maximum(-0.5, -spread / 2 - distance)
    return (np.clip(overlap, 0.0, 1.0) * (thickness / spread)).astype(np.float32)


def _shaded_line(n: int, start: float, pitch: float, fade: float) -> np.ndarray:
    """Lines at ``start + k * pitch`` that darken over ``fade`` px up to each line and stop
    sharply there (the 5 mm lines of the redder paper). float32 (n,) in 0..1."""
    before = (start - np.arange(n) - 0.5) % pitch
    return np.clip(1 - before / fade, 0.0, 1.0).astype(np.float32)


def _ink_mask(page: _Page, leads: np.ndarray, rhythm: np.ndarray, fs: float) -> Image.Image:
    """Coverage (``"L"`` image, 0-255) of the black ink inside ``page.grid_box()``: traces,
    calibration pulses, separators and lead labels. Drawn at ``SUPERSAMPLE`` times the
    resolution and averaged down (anti-aliasing); ink past the box is cut off."""
    s = SUPERSAMPLE
    left, top, right, bottom = page.grid_box()
    canvas = Image.new("L", ((right - left) * s, (bottom - top) * s), 0)
    draw = ImageDraw.Draw(canvas)
    pen = max(1, round(TRACE_WIDTH * page.height * s))

    def polyline(x, y):
        x = (x - left) * s
        y = (np.clip(y, top - pen, bottom + pen) - top) * s  # far outside: invisible anyway
        draw.line(list(zip(x.tolist(), y.tolist())), fill=255, width=pen)
        for cx, cy in zip(*_sharp_corners(x, y, pen)):
            draw.ellipse((cx - pen / 2, cy - pen / 2, cx + pen / 2, cy + pen / 2), fill=255)

    font = _font("STIXGeneral.ttf", LABEL_CAP_HEIGHT * page.height * s)
    rows = [[(name, leads[LEAD_NAMES.index(name)]) for name in row] for row in REPORT_LAYOUT]
    rows.append([("II", rhythm)])
    lead_px = LEAD_SECONDS * page.px_per_second
    corners = (CAL_START, CAL_RISE, CAL_RISE, CAL_FALL, CAL_FALL, CAL_END)
    pulse_x = np.array([page.x(fraction) for fraction in corners])
    for row, boxes in enumerate(rows):
        baseline = page.y(ROW_BASELINES[row])
        high = baseline - page.px_per_mv
        polyline(pulse_x, np.array([baseline, baseline, high, high, baseline, baseline]))
        for column, (name, values) in enumerate(boxes):
            box_start = page.x(TRACE_LEFT) + column * lead_px
            x = box_start + np.arange(len(values)) * page.px_per_second / fs
            polyline(x, baseline - values * page.px_per_mv)
            label_x = (box_start + LABEL_DX * page.width - left) * s
            label_y = (baseline - LABEL_RAISE * page.height - top) * s
            draw.text((label_x, label_y), name, fill=255, font=font, anchor="ls")
    separator = max(1, round(SEPARATOR_WIDTH * page.width * s))
    y0, y1 = (page.y(SEPARATOR_TOP) - top) * s, (page.y(SEPARATOR_BOTTOM) - top) * s
    for column in range(1, len(REPORT_LAYOUT[0])):
        x = (page.x(TRACE_LEFT) + column * lead_px - left) * s
        draw.line([(x, y0), (x, y1)], fill=255, width=separator)
    return canvas.reduce(s)


def _sharp_corners(x: np.ndarray, y: np.ndarray, pen: float) -> tuple[np.ndarray, np.ndarray]:
    """The inner vertices of a polyline that turn enough to leave a visible notch between two
    thick segments; a round dot there closes it (much cheaper than Pillow's ``joint="curve"``,
    which draws one at every vertex)."""
    angle = np.arctan2(np.diff(y), np.diff(x))
    turn = np.abs((np.diff(angle) + np.pi) % (2 * np.pi) - np.pi)
    sharp = np.flatnonzero(turn * pen / 2 > 0.5) + 1
    return x[sharp], y[sharp]


def _draw_header(image: Image.Image, rng: np.random.Generator) -> None:
    """Header band on the pink page: emblem, ECG squiggle, a fake institution, the red
    "ECG Report" title on its rule, and fake patient fields (names and numbers from ``rng``)."""
    width, height = image.size
    draw = ImageDraw.Draw(image)
    line = max(1, round(HEADER_LINE_WIDTH * height))

    cx, cy, radius = HEADER_EMBLEM[0] * width, HEADER_EMBLEM[1] * height, HEADER_EMBLEM[2] * height
    ring = [cx - radius, cy - radius, cx + radius, cy + radius]
    draw.ellipse(ring, outline=HEADER_RED, width=line)
    r = radius / 3
    draw.ellipse([cx - 2 * r, cy - 1.6 * r, cx, cy + 0.4 * r], fill=HEADER_RED)
    draw.ellipse([cx, cy - 1.6 * r, cx + 2 * r, cy + 0.4 * r], fill=HEADER_RED)
    heart_tip = [(cx - 1.93 * r, cy - 0.2 * r), (cx + 1.93 * r, cy - 0.2 * r), (cx, cy + 2.2 * r)]
    draw.polygon(heart_tip, fill=HEADER_RED)

    rule_top, rule_bottom = HEADER_RULE_Y[0] * height, HEADER_RULE_Y[1] * height
    rule = (rule_top + rule_bottom) / 2
    x0, x1 = HEADER_SQUIGGLE_X[0] * width, HEADER_SQUIGGLE_X[1] * width
    high, low = HEADER_SQUIGGLE_Y[0] * height, HEADER_SQUIGGLE_Y[1] * height
    xs = x0 + (x1 - x0) * np.array([0, 0.15, 0.22, 0.28, 0.34, 0.42, 0.5, 1.0])
    ys = [rule, rule, high, low, rule - 0.25 * (rule - high), rule + 0.1 * (low - rule), rule, rule]
    draw.line(list(zip(xs.tolist(), ys)), fill=HEADER_RED, width=line, joint="curve")

    title = f"{rng.choice(_PLACES)} {rng.choice(_INSTITUTIONS)}"
    title_place = (HEADER_TITLE_X, HEADER_TITLE_TOP, HEADER_TITLE_CAP, HEADER_TEXT)
    _centred_text(draw, image.size, title, *title_place)
    subtitle_place = (HEADER_SUBTITLE_X, HEADER_SUBTITLE_TOP, HEADER_SUBTITLE_CAP, HEADER_RED)
    words = _centred_text(draw, image.size, "ECG Report", *subtitle_place)
    gap = line * 3
    draw.rectangle([x1, rule_top, words[0] - gap, rule_bottom], fill=HEADER_RED)
    draw.rectangle([words[2] + gap, rule_top, width, rule_bottom], fill=HEADER_RED)

    fields = (
        f"Patient: {chr(65 + int(rng.integers(26)))}. {rng.choice(_SURNAMES)}    "
        f"ID: {int(rng.integers(10000, 99999))}    Age: {int(rng.integers(18, 90))}    "
        f"Sex: {rng.choice(['F', 'M'])}    "
        f"Date: 20{int(rng.integers(15, 22))}-{int(rng.integers(1, 13)):02d}-"
        f"{int(rng.integers(1, 29)):02d}    25 mm/s   10 mm/mV"
    )
    font = _font("DejaVuSans.ttf", HEADER_FIELDS_CAP * height)
    position = (HEADER_TITLE_X[0] * width, HEADER_FIELDS_TOP * height)
    draw.text(position, fields, fill=HEADER_TEXT, font=font)


def _centred_text(draw, size, text, x_range, cap_top, cap_height, colour) -> tuple:
    """Bold text centred in ``x_range`` (fractions of the image ``size``), its capitals from
    ``cap_top`` down ``cap_height`` (fractions of the height), shrunk to fit. Returns its box."""
    width, height = size
    left, right = x_range[0] * width, x_range[1] * width
    font = _font("DejaVuSans-Bold.ttf", cap_height * height)
    text_width = draw.textlength(text, font=font)
    if text_width > right - left:
        font = _font("DejaVuSans-Bold.ttf", cap_height * height * (right - left) / text_width)
    position = ((left + right) / 2, (cap_top + cap_height) * height)
    draw.text(position, text, fill=colour, font=font, anchor="ms")
    return draw.textbbox(position, text, font=font, anchor="ms")


def _font(name: str, cap_height: float) -> ImageFont.FreeTypeFont:
    """A TrueType font shipped with matplotlib (DejaVu, STIX) whose capitals are
    ``cap_height`` px high."""
    return _font_of_size(name, max(1, round(cap_height / _CAP_HEIGHT[name])))


@lru_cache(maxsize=32)
def _font_of_size(name: str, size: int) -> ImageFont.FreeTypeFont:
    matplotlib = Path(importlib.util.find_spec("matplotlib").origin).parent
    return ImageFont.truetype(str(matplotlib / "mpl-data" / "fonts" / "ttf" / name), size)
