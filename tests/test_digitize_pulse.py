"""Tests of the page model for other printers: calibration pulses (ecgkeras.data.digitize_pulse) and grid
lines told from the trace by colour (ecgkeras.data.digitize_trace.grid_colours)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ecgkeras.data.dataset import sample_image_paths
from ecgkeras.data.digitize import load_image, to_gray, trace_mask, vertical_runs
from ecgkeras.data.digitize_pulse import find_pulse
from ecgkeras.data.digitize_trace import grid_colours

PX_PER_MM = 8


def row_image(pulse_at: str | None, joined: bool = True, width: int = 600) -> tuple[np.ndarray, float]:
    """A white row with a 3 px pen: a 10 mm x 5 mm pulse (start, end or none) and a wavy trace."""
    image = Image.new("L", (width, 300), 255)
    draw = ImageDraw.Draw(image)
    baseline, top = 200, 200 - 10 * PX_PER_MM
    x = np.arange(100, width - 100)
    trace = [(int(a), int(baseline - 6 * np.sin(a / 9.0))) for a in x]
    if pulse_at == "start":
        rise, fall = 40, 40 + 5 * PX_PER_MM
        draw.line([(rise, baseline), (rise, top), (fall, top), (fall, baseline)], fill=0, width=3)
        trace = [(fall if joined else fall + 20, baseline)] + trace
    elif pulse_at == "end":
        rise, fall = width - 100 + 20, width - 100 + 20 + 5 * PX_PER_MM
        trace = trace + [(rise, baseline)]
        draw.line([(rise, baseline), (rise, top), (fall, top), (fall, baseline)], fill=0, width=3)
    draw.line(trace, fill=0, width=3)
    gray = np.asarray(image)
    return gray, float(baseline)


@pytest.mark.parametrize("joined", [True, False])
def test_a_pulse_at_the_start_of_a_row_is_found(joined):
    gray, baseline = row_image("start", joined)
    mask = gray < 128
    pulse = find_pulse(vertical_runs(mask), 255.0 - gray, baseline, 280.0, 3.0)
    assert pulse is not None and pulse.at_start
    assert pulse.rise == pytest.approx(40.5, abs=1.0) and pulse.fall == pytest.approx(80.5, abs=1.0)
    assert pulse.height == pytest.approx(10 * PX_PER_MM, abs=1.5)
    assert pulse.foot == pytest.approx(baseline, abs=1.5)


def test_a_pulse_at_the_end_of_a_row_is_found_and_none_where_there_is_none():
    gray, baseline = row_image("end")
    pulse = find_pulse(vertical_runs(gray < 128), 255.0 - gray, baseline, 280.0, 3.0)
    assert pulse is not None and not pulse.at_start
    gray, baseline = row_image(None)
    assert find_pulse(vertical_runs(gray < 128), 255.0 - gray, baseline, 280.0, 3.0) is None


def grid_page(line_colour, size=(400, 300)) -> np.ndarray:
    """White paper, 1 px grid lines of ``line_colour`` every 7 px both ways, a black sine trace."""
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 7):
        draw.line([(x, 0), (x, size[1])], fill=line_colour)
    for y in range(0, size[1], 7):
        draw.line([(0, y), (size[0], y)], fill=line_colour)
    x = np.arange(size[0])
    draw.line(list(zip(x.tolist(), (150 + 40 * np.sin(x / 20)).astype(int).tolist())), fill=(30, 30, 30), width=3)
    return np.asarray(image)


@pytest.mark.parametrize("colour", [(255, 0, 0), (60, 50, 120), (20, 90, 30)])
def test_dark_grid_lines_are_removed_by_their_colour_and_the_trace_kept(colour):
    rgb = grid_page(colour)
    gray = to_gray(rgb)
    brightness_only = trace_mask(gray)
    with_colour = trace_mask(gray, rgb)
    assert brightness_only[::7].mean() > 0.5  # the grid lines pass the darkness threshold as trace
    assert with_colour[::7, ::7].sum() <= 3 * 60  # but not their colour: what is left is the trace
    trace = np.all(rgb == (30, 30, 30), axis=-1)
    assert with_colour[trace].mean() >= 0.99
    assert len(grid_colours(rgb, gray < 128)) >= 1


def test_a_light_pink_grid_and_its_black_trace_are_left_as_they_were():
    rgb, _ = load_image(sample_image_paths()["Normal"])
    gray = to_gray(rgb)
    assert grid_colours(rgb, gray < 0.5 * np.median(gray)) == []
    assert np.array_equal(trace_mask(gray, rgb), trace_mask(gray))
