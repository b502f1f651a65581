"""Tests of the report renderer: size, determinism, geometry (baselines, mV and time scales,
clipping, labels, calibration pulse), the two papers, the data set writer, bad input, and the
measured constants against the real images (skipped where those are absent)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ecgkeras.data import render
from ecgkeras.data.dataset import LEAD_SECONDS, REPORT_LAYOUT, RHYTHM_SECONDS
from ecgkeras.data.render import render_dataset_images, render_report

SIZES = [(1106, 786), (2213, 1572)]
ZERO = np.zeros((12, 1000))
TRACE = 50  # grey level below which a pixel is trace ink (the grid's darkest dots are ~75)


def beats(seed: int = 0, fs: float = 100.0, seconds: float = 10.0) -> np.ndarray:
    """A tiny stand-in ECG: Gaussian P, QRS and T waves per beat; float (12, samples) in mV."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * fs))) / fs
    gains = rng.uniform(0.4, 1.5, 12) * rng.choice([-1.0, 1.0], 12, p=[0.3, 0.7])
    signal = np.zeros((12, len(t)))
    rr = 60.0 / rng.uniform(55, 100)
    for beat in np.arange(rng.uniform(0, rr), seconds, rr):
        waves = ((-0.16, 0.025, 0.12), (0, 0.012, 1.0), (0.28, 0.045, 0.25))  # P, QRS, T
        for offset, width, amplitude in waves:
            signal += np.outer(gains * amplitude, np.exp(-0.5 * ((t - beat - offset) / width) ** 2))
    return signal


def gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=float)


def ink(image: Image.Image) -> np.ndarray:
    return gray(image) < TRACE


def px_per_mm_x(width: int) -> float:
    return render.TRACE_MM_X * width


def px_per_mv(height: int) -> float:
    return render.MM_PER_MV * render.TRACE_MM_Y * height


def max_shift(height: int) -> float:
    """The largest random shift of the printed area, in px (down; across is the same within 1 %)."""
    return render.MAX_OFFSET_MM * render.TRACE_MM_Y * height


def box_starts(width: int) -> np.ndarray:
    """x in px where the four lead boxes of a row start (time 0, 2.5, 5, 7.5 s)."""
    lead_px = LEAD_SECONDS * render.MM_PER_SECOND * px_per_mm_x(width)
    return render.TRACE_LEFT * width + lead_px * np.arange(4)


def trace_rows(dark: np.ndarray, width: int, height: int) -> list[np.ndarray]:
    """Rows of the ink near each baseline, in columns away from labels and separators."""
    starts = box_starts(width)
    keep = np.zeros(width, bool)
    for start, stop in zip(starts, np.append(starts[1:], starts[-1] + starts[1] - starts[0])):
        keep[int(start + 10 * px_per_mm_x(width)) : int(stop - 4)] = True
    rows = []
    for baseline in render.ROW_BASELINES:
        top = int(baseline * height - 0.4 * px_per_mv(height))
        ys = np.nonzero(dark[top : int(baseline * height + 10)][:, keep])[0]
        rows.append(ys + top)
    return rows


@pytest.mark.parametrize("width,height", SIZES)
def test_size_mode_and_determinism(width, height):
    first = render_report(beats(1), seed=3, width=width, height=height)
    second = render_report(beats(1), seed=3, width=width, height=height)
    assert first.size == (width, height) and first.mode == "RGB"
    assert first.tobytes() == second.tobytes()


def test_different_seeds_give_different_images():
    a = render_report(beats(2), seed=0, width=1106, height=786)
    b = render_report(beats(2), seed=1, width=1106, height=786)
    assert a.tobytes() != b.tobytes()


@pytest.mark.parametrize("width,height", SIZES)
def test_flat_zero_signal_lies_on_the_baselines(width, height):
    image = render_report(ZERO, seed=5, width=width, height=height, jpeg_quality=95)
    pen = render.TRACE_WIDTH * height
    for baseline, ys in zip(render.ROW_BASELINES, trace_rows(ink(image), width, height)):
        assert len(ys) > 0.5 * width, "every row draws a trace"
        assert abs(np.median(ys) + 0.5 - baseline * height) <= max_shift(height) + 0.75
        assert ys.max() - ys.min() <= pen + 2, "the trace is one flat line"


@pytest.mark.parametrize("width,height", SIZES)
def test_one_millivolt_step_moves_the_trace_by_10_mm(width, height):
    step = ZERO.copy()
    step[:, 500:] = 1.0  # 0 mV for 5 s, then 1 mV
    flat = ink(render_report(ZERO, seed=7, width=width, height=height, jpeg_quality=95))
    stepped = ink(render_report(step, seed=7, width=width, height=height, jpeg_quality=95))
    ten_mm = px_per_mv(height)
    rhythm = render.ROW_BASELINES[3] * height
    start = render.TRACE_LEFT * width
    px_per_second = render.MM_PER_SECOND * px_per_mm_x(width)
    step_x = start + 5.0 * px_per_second
    band = slice(int(rhythm - 1.5 * ten_mm), int(rhythm + 10))
    after = slice(int(step_x + 20), int(step_x + 0.1 * width))
    y_flat = np.nonzero(flat[band, after])[0].mean()
    assert y_flat - np.nonzero(stepped[band, after])[0].mean() == pytest.approx(ten_mm, abs=1.0)
    before = np.nonzero(stepped[band, int(start + 20) : int(step_x - 20)])[0].mean()
    assert before == pytest.approx(y_flat, abs=0.5), "before the step the strip stays at 0 mV"

    # Time axis, measured within the image so that the random shift cancels: the strip's first
    # ink is sample 0 (the pen ends flat); the rise is drawn between samples 499 and 500, and
    # its left edge lies half a pen width before the middle of that segment.
    after_pulse = int(start - render.MAX_OFFSET_MM * px_per_mm_x(width) - 2)
    first_ink = np.flatnonzero(stepped[int(rhythm - 3) : int(rhythm + 3), after_pulse:].any(0))[0]
    rise = np.flatnonzero(stepped[int(rhythm - ten_mm / 2), after_pulse:])[0]
    expected = 4.995 * px_per_second - render.TRACE_WIDTH * height / 2
    assert rise - first_ink == pytest.approx(expected, abs=1.0)


def test_tall_waves_are_cut_at_the_edge_of_the_printed_area():
    width, height = 1106, 786
    signal = ZERO.copy()
    signal[:, 100:120] = 30.0  # 30 mV spikes run far past the top ...
    signal[1, 300:320] = -30.0  # ... and lead II (also the rhythm strip) past the bottom
    dark = ink(render_report(signal, seed=2, width=width, height=height))
    top, bottom = render.GRID_TOP * height, render.GRID_BOTTOM * height
    columns = slice(int(render.GRID_LEFT * width + 5), int(render.GRID_RIGHT * width - 5))
    shift = max_shift(height)
    assert not dark[int(top - 15) : int(top - shift - 1), columns].any(), "no ink on the page"
    assert not dark[int(bottom + shift + 1) :, columns].any(), "no ink on the page below"
    assert dark[int(top + shift + 1), columns].any(), "the spikes reach the top edge"
    assert dark[int(bottom - shift - 2), columns].any(), "and the bottom edge"


def test_labels_touch_the_start_of_each_trace():
    width, height = 2213, 1572
    dark = ink(render_report(ZERO, seed=0, width=width, height=height))
    cap = render.LABEL_CAP_HEIGHT * height
    for row in range(len(REPORT_LAYOUT)):
        baseline = render.ROW_BASELINES[row] * height
        label_rows = slice(int(baseline - render.LABEL_RAISE * height - cap + 4), int(baseline - 5))
        for column, x in enumerate(box_starts(width)):
            assert dark[label_rows, int(x + 4) : int(x + 40)].any(), f"no label at {row}, {column}"
        assert not dark[label_rows, int(x + 150) : int(x + 300)].any(), "no ink above a flat trace"


def test_calibration_pulse_is_one_millivolt_high():
    width, height = 2213, 1572
    dark = ink(render_report(ZERO, seed=4, width=width, height=height))
    x = int((render.CAL_RISE + render.CAL_FALL) / 2 * width)
    for baseline in render.ROW_BASELINES:
        y = baseline * height
        top = np.flatnonzero(dark[int(y - 100) : int(y - 20), x]).mean() + int(y - 100) + 0.5
        assert top == pytest.approx(y - px_per_mv(height), abs=3)


def test_red_paper_has_shaded_lines_instead_of_dark_dots():
    blank = (slice(1420, 1500), slice(300, 1900))  # below the rhythm strip: grid only
    dotted = gray(render_report(ZERO, seed=1, red_paper=False))[blank]
    shaded = gray(render_report(ZERO, seed=1, red_paper=True))[blank]
    assert (dotted < 150).mean() > 0.01
    assert (shaded < 150).mean() < 0.001
    assert abs(dotted.mean() - shaded.mean()) < 5, "both papers are about as light overall"


def test_render_dataset_images_writes_the_real_layout(tmp_path):
    signals = np.stack([beats(i) for i in range(5)])
    labels = np.array([0, 1, 1, 3, 2])
    paths = render_dataset_images(signals, labels, tmp_path, seed=9, width=600, height=426)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "Normal/Normal(1).jpg",
        "Abnormal_Heartbeat/HB(1).jpg",
        "Abnormal_Heartbeat/HB(2).jpg",
        "History_of_MI/PMI(1).jpg",
        "Myocardial_Infarction/MI(1).jpg",
    ]
    with Image.open(paths[0]) as image:
        assert image.format == "JPEG" and image.size == (600, 426)
    again = render_dataset_images(signals, labels, tmp_path / "b", seed=9, width=600, height=426)
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


@pytest.mark.parametrize(
    "signal,fs,match",
    [
        (np.zeros((1000, 12)), 100, "signal must have shape"),
        (np.zeros((11, 1000)), 100, "signal must have shape"),
        (np.zeros(1000), 100, "signal must have shape"),
        (np.zeros((12, 999)), 100, "at least 10 s"),
        (ZERO, 0, "fs must be a positive"),
        (ZERO, -100, "fs must be a positive"),
        (ZERO, float("nan"), "fs must be a positive"),
        (ZERO, "fast", "fs must be a positive"),
    ],
)
def test_bad_signal_or_fs_is_rejected(signal, fs, match):
    with pytest.raises(ValueError, match=match):
        render_report(signal, fs, width=600, height=426)


def test_nan_in_a_lead_is_named():
    signal = ZERO.copy()
    signal[7, 10] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf in leads \['V2'\]"):
        render_report(signal)


@pytest.mark.parametrize(
    "options,match",
    [
        ({"width": 100, "height": 70}, "at least 400 x 280"),
        ({"width": 1106.0}, "width and height must be integers"),
        ({"jpeg_quality": 0}, "jpeg_quality"),
        ({"jpeg_quality": 100}, "jpeg_quality"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_options_are_rejected(options, match):
    with pytest.raises(ValueError, match=match):
        render_report(ZERO, **options)


@pytest.mark.parametrize(
    "labels,match",
    [
        (np.array([0, 4]), "labels must be integers in 0..3"),
        (np.array([0.0, 1.0]), "labels must be integers in 0..3"),
        (np.array([0]), r"labels must have shape \(2,\)"),
    ],
)
def test_render_dataset_images_rejects_bad_labels(tmp_path, labels, match):
    with pytest.raises(ValueError, match=match):
        render_dataset_images(np.zeros((2, 12, 1000)), labels, tmp_path)


def test_render_dataset_images_names_the_bad_signal(tmp_path):
    signals = np.zeros((2, 12, 1000))
    signals[1, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"signals\[1\]: signal contains NaN or inf"):
        render_dataset_images(signals, [0, 0], tmp_path, width=600, height=426)


def read_real(folder) -> np.ndarray:
    with Image.open(next(folder.glob("Normal/*.jpg"))) as image:
        assert image.size == (render.REF_WIDTH, render.REF_HEIGHT)
        return gray(image)


def test_constants_match_the_real_reports(mendeley_sample_dir):
    """Calibration pulses, rhythm strip and grid box of a real file sit where the constants say."""
    real = read_real(mendeley_sample_dir)
    height, width = real.shape
    x = int((render.CAL_RISE + render.CAL_FALL) / 2 * width)
    foot_x = int(render.CAL_START * width) + 3
    for baseline in render.ROW_BASELINES:
        y = baseline * height
        top = np.flatnonzero(real[int(y - 100) : int(y - 20), x] < TRACE).mean() + int(y - 100)
        assert top + 0.5 == pytest.approx(y - px_per_mv(height), abs=2)
        foot = np.flatnonzero(real[int(y - 10) : int(y + 10), foot_x] < TRACE).mean() + int(y - 10)
        assert foot + 0.5 == pytest.approx(y, abs=2)

    y = int(render.ROW_BASELINES[3] * height)
    after_pulse = int(render.CAL_END * width) + 10
    strip = np.flatnonzero((real[y - 150 : y + 150, after_pulse:] < TRACE).any(axis=0))
    first, last = strip[[0, -1]] + after_pulse
    ten_seconds = RHYTHM_SECONDS * render.MM_PER_SECOND * px_per_mm_x(width)
    assert abs(first - render.TRACE_LEFT * width) <= 2  # the label "II" starts there too
    assert abs(last - (render.TRACE_LEFT * width + ten_seconds)) <= 3

    paper = real > 200
    left, top = render.GRID_LEFT * width, render.GRID_TOP * height
    assert paper[:, int(left) + 2].mean() > 0.7 and paper[:, int(left) - 3].mean() < 0.1
    assert paper[int(top) + 2, 200:2000].mean() > 0.7
    assert paper[int(top) - 3, 200:2000].mean() < 0.1


def test_blank_grid_looks_like_the_real_one(mendeley_sample_dir):
    """Grey levels of an empty stretch of grid: real file vs rendering at the same size."""
    blank = (slice(1420, 1500), slice(300, 1900))
    real = read_real(mendeley_sample_dir)[blank]
    mine = gray(render_report(ZERO, seed=0, red_paper=False, jpeg_quality=75))[blank]
    assert mine.mean() == pytest.approx(real.mean(), abs=render.MAX_TINT + 1.5)
    assert mine.std() == pytest.approx(real.std(), rel=0.25)
    assert np.percentile(mine, 1) == pytest.approx(np.percentile(real, 1), abs=25)
