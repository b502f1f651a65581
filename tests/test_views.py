"""Tests of the three views (chapter 2) and of their benchmark."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from ecgkeras import views
from ecgkeras.bench import bench_views, ecg_like_signals, format_bench, naive_scalogram
from ecgkeras.views import (
    TOP_DB,
    make_views,
    normalize_signals,
    scalogram_frequencies,
    spectrum_frequencies,
    to_scalogram,
    to_spectrum,
)

FS = 100.0


def sine(frequency, samples=250, fs=FS):
    """float32 (1, samples, 1): one sine of ``frequency`` Hz."""
    t = np.arange(samples) / fs
    return np.sin(2 * np.pi * frequency * t).astype(np.float32)[None, :, None]


@pytest.fixture(scope="module")
def ecgs():
    return ecg_like_signals(6, 250, 12, seed=1)


# Known answers


@pytest.mark.parametrize("frequency", [2.0, 7.6, 23.2, 41.0])
def test_spectrum_of_a_sine_peaks_at_its_frequency(frequency):
    spectrum = to_spectrum(sine(frequency))
    bins = spectrum_frequencies(250)
    assert bins[np.argmax(spectrum[0, :, 0])] == bins[np.argmin(np.abs(bins - frequency))]


@pytest.mark.parametrize("frequency", [3.0, 10.0, 25.0])
def test_scalogram_of_a_sine_peaks_in_its_row(frequency):
    image = to_scalogram(sine(frequency))[0, :, :, 0]
    rows = scalogram_frequencies()
    one_row = np.log(rows[0] / rows[1])
    assert abs(np.log(rows[np.argmax(image.mean(axis=1))] / frequency)) <= one_row


def test_scalogram_ridge_follows_a_chirp():
    t = np.arange(1000) / FS
    chirp = scipy.signal.chirp(t, f0=2, t1=t[-1], f1=30).astype(np.float32)[None, :, None]
    image = to_scalogram(chirp)[0, :, :, 0]
    ridge = scalogram_frequencies()[np.argmax(image, axis=0)]
    column_times = (np.arange(64) + 0.5) / 64 * t[-1]
    expected = 2 + (30 - 2) * column_times / t[-1]
    inner = slice(6, 58)
    assert np.median(np.abs(ridge[inner] / expected[inner] - 1)) < 0.1
    assert ridge[inner][-5:].min() > 3 * ridge[inner][:5].max()


def test_area_weights_average_the_covered_cells():
    np.testing.assert_allclose(views._area_weights(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    np.testing.assert_allclose(
        views._area_weights(3, 2), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]], rtol=1e-6
    )
    np.testing.assert_allclose(views._area_weights(250, 64).sum(axis=1), 1, rtol=1e-6)


def test_log_views_are_decibels_of_the_linear_views(ecgs):
    for view in (to_scalogram, to_spectrum):
        linear = view(ecgs[:2], log=False)
        expected = np.clip(1 + 20 * np.log10(np.maximum(linear, 1e-30)) / TOP_DB, 0, 1)
        np.testing.assert_allclose(view(ecgs[:2]), expected, atol=1e-5)


def test_normalize_signals_centres_on_the_median_and_scales_by_the_std():
    signals = np.array([[[1.0], [2.0], [3.0], [10.0]]], dtype=np.float32)
    std = np.std([1.0, 2.0, 3.0, 10.0])
    expected = (np.array([1, 2, 3, 10]) - 2.5) / std
    np.testing.assert_allclose(normalize_signals(signals)[0, :, 0], expected, rtol=1e-6)


# Shapes, dtypes, ranges


def test_make_views_shapes_dtypes_and_ranges(ecgs):
    result = make_views(ecgs)
    assert list(result) == ["time", "scalogram", "spectrum"]
    assert result["time"].shape == (6, 250, 12)
    assert result["scalogram"].shape == (6, 64, 64, 12)
    assert result["spectrum"].shape == (6, 126, 12)
    assert all(array.dtype == np.float32 for array in result.values())
    np.testing.assert_allclose(np.median(result["time"], axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(result["time"].std(axis=1), 1, rtol=1e-4)
    for name, axes in (("scalogram", (1, 2)), ("spectrum", 1)):
        assert result[name].min() >= 0
        np.testing.assert_allclose(result[name].max(axis=axes), 1)


def test_other_sizes_scales_and_frequency_axes(ecgs):
    options = dict(n_scales=40, fmin=2.0, fmax=30.0, size=(32, 48))
    assert to_scalogram(ecgs[:2], **options).shape == (2, 32, 48, 12)
    rows = scalogram_frequencies(**options)
    assert rows.shape == (32,)
    assert np.all(np.diff(rows) < 0) and rows[0] <= 30.0 and rows[-1] >= 2.0
    np.testing.assert_allclose(scalogram_frequencies()[[0, -1]], [40.0, 1.0], rtol=1e-6)
    assert to_spectrum(ecgs[:2], fmax=40.0).shape == (2, 101, 12)
    np.testing.assert_allclose(spectrum_frequencies(250, fmax=40.0)[[1, -1]], [0.4, 40.0])


def test_explicit_scales_and_complex_wavelet(ecgs):
    images = to_scalogram(ecgs[:2], wavelet="cmor1.5-1.0", scales=np.arange(3, 60), size=(57, 50))
    assert images.shape == (2, 57, 50, 12) and images.dtype == np.float32
    np.testing.assert_allclose(images.max(axis=(1, 2)), 1)
    rows = scalogram_frequencies(wavelet="cmor1.5-1.0", scales=np.arange(3, 60), size=(57, 50))
    np.testing.assert_allclose(rows, FS / np.arange(3, 60), rtol=1e-6)


def test_views_subset_and_options(ecgs):
    result = make_views(ecgs, views="spectrum", spectrum=dict(fmax=20.0))
    assert list(result) == ["spectrum"] and result["spectrum"].shape == (6, 51, 12)
    result = make_views(ecgs, views=("scalogram", "time"), scalogram=dict(size=(16, 16)))
    assert list(result) == ["scalogram", "time"] and result["scalogram"].shape == (6, 16, 16, 12)


def test_flat_leads_and_empty_batches_give_zeros_not_nan():
    result = make_views(np.zeros((2, 250, 3), dtype=np.float32))
    for array in result.values():
        assert np.all(array == 0)
    empty = make_views(np.zeros((0, 250, 3), dtype=np.float32))
    assert [array.shape for array in empty.values()] == [(0, 250, 3), (0, 64, 64, 3), (0, 126, 3)]


# Batching, chunking and normalisation do not change the answer


def test_batch_result_equals_per_signal_result(ecgs):
    batch = make_views(ecgs)
    for i in (0, 4):
        single = make_views(ecgs[i : i + 1])
        for name in batch:
            np.testing.assert_allclose(batch[name][i], single[name][0], atol=1e-6)
    one_lead = make_views(ecgs[:, :, [3]])
    for name in batch:
        np.testing.assert_allclose(batch[name][..., [3]], one_lead[name], atol=1e-6)


@pytest.mark.parametrize("chunk", [1, 13, 10_000])
def test_chunk_size_does_not_change_the_answer(ecgs, chunk):
    np.testing.assert_allclose(to_scalogram(ecgs, chunk=chunk), to_scalogram(ecgs), atol=1e-6)


def test_scaled_signals_give_the_same_views(ecgs):
    original, scaled = make_views(ecgs), make_views(3 * ecgs)
    for name in original:
        # float32 rounding, magnified by the log in pixels far below the peak
        np.testing.assert_allclose(scaled[name], original[name], atol=1e-4)


def test_an_offset_changes_neither_the_time_view_nor_the_spectrum(ecgs):
    original = make_views(ecgs, views=("time", "spectrum"))
    shifted = make_views(ecgs + 5, views=("time", "spectrum"))
    for name in original:
        # float32 keeps about 7 digits: adding 5 mV rounds the signal itself by ~5e-7 mV
        np.testing.assert_allclose(shifted[name], original[name], atol=1e-3)


def test_views_of_a_sample_do_not_depend_on_other_samples(ecgs):
    alone = make_views(ecgs[:1])
    with_outlier = make_views(np.concatenate([ecgs[:1], 100 * ecgs[1:2]]))
    for name in alone:
        np.testing.assert_allclose(with_outlier[name][:1], alone[name], atol=1e-6)


# Bad input


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_signals_name_the_samples(ecgs, bad):
    signals = ecgs.copy()
    signals[2, 10, 0] = bad
    signals[4, 0, 5] = bad
    for function in (normalize_signals, to_scalogram, to_spectrum, make_views):
        with pytest.raises(ValueError, match=r"NaN or inf in 2 samples, indices \[2, 4\]"):
            function(signals)


@pytest.mark.parametrize("shape", [(250,), (250, 12), (2, 250, 12, 1)])
def test_wrong_ndim_says_how_to_fix_it(shape):
    for function in (normalize_signals, to_scalogram, to_spectrum, make_views):
        with pytest.raises(ValueError, match=r"\(n, samples, leads\).*signal\[None\]"):
            function(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("fs", [0, -100.0, np.nan, np.inf])
def test_non_positive_fs(ecgs, fs):
    for call in (
        lambda: to_scalogram(ecgs, fs=fs),
        lambda: to_spectrum(ecgs, fs=fs),
        lambda: make_views(ecgs, fs=fs),
        lambda: spectrum_frequencies(250, fs=fs),
        lambda: scalogram_frequencies(fs=fs),
    ):
        with pytest.raises(ValueError, match="fs must be a positive sampling rate"):
            call()


def test_too_few_samples_for_the_scales():
    with pytest.raises(ValueError, match=r"150 samples, too few.*1 Hz.*200 samples"):
        to_scalogram(np.zeros((1, 150, 1)))
    assert to_scalogram(np.zeros((1, 150, 1)), fmin=2.0).shape == (1, 64, 64, 1)
    with pytest.raises(ValueError, match="at least 2 samples"):
        to_spectrum(np.zeros((1, 1, 1)))


@pytest.mark.parametrize("wavelet", ["morlet", "db4", "haar"])
def test_unknown_wavelet_lists_valid_ones(ecgs, wavelet):
    with pytest.raises(ValueError, match=rf"wavelet='{wavelet}'.*'morl'.*pywt.wavelist"):
        to_scalogram(ecgs, wavelet=wavelet)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(fmax=60.0), "Nyquist"),
        (dict(fmin=10.0, fmax=5.0), "fmin < fmax"),
        (dict(fmin=0.0), "fmin < fmax"),
        (dict(n_scales=0), "n_scales"),
        (dict(scales=[0.0, 4.0]), "scales must be"),
        (dict(scales=[[2.0, 4.0]]), "scales must be"),
        (dict(scales=[0.5, 4.0]), "above the Nyquist"),
        (dict(size=(64,)), "size must be"),
        (dict(size=(0, 64)), "size must be"),
        (dict(size=(32.5, 64)), "size must be"),
        (dict(chunk=0), "chunk must be"),
    ],
)
def test_bad_scalogram_options(ecgs, options, message):
    with pytest.raises(ValueError, match=message):
        to_scalogram(ecgs, **options)


def test_bad_spectrum_options(ecgs):
    with pytest.raises(ValueError, match=r"window='nope'.*'hann'"):
        to_spectrum(ecgs, window="nope")
    with pytest.raises(ValueError, match="fmax must be a positive"):
        to_spectrum(ecgs, fmax=0)
    with pytest.raises(ValueError, match="samples must be an integer >= 2"):
        spectrum_frequencies(1)
    with pytest.raises(ValueError, match="min_std must be positive"):
        normalize_signals(ecgs, min_std=0)


def test_bad_make_views_arguments(ecgs):
    with pytest.raises(ValueError, match=r"unknown views \['fft'\]"):
        make_views(ecgs, views=("time", "fft"))
    with pytest.raises(ValueError, match=r"options given for \['spectrum'\]"):
        make_views(ecgs, views=("time",), spectrum=dict(fmax=40))


# Benchmark


def test_naive_loop_gives_the_same_images(ecgs):
    signals = ecgs[:2, :, :3]
    np.testing.assert_allclose(naive_scalogram(signals), to_scalogram(signals), atol=1e-4)


def test_bench_views_reports_rates_and_agreement():
    result = bench_views(n=4, samples=250, leads=2, repeat=1, naive_n=2)
    assert result["equal"] and result["max_abs_diff"] <= result["atol"]
    assert result["naive_n"] == 2
    for key in ("project_per_s", "naive_per_s", "ratio", "spectrum_per_s", "peak_mib"):
        assert result[key] > 0
    assert result["output_mib"] == pytest.approx(4 * 64 * 64 * 2 * 4 / 2**20)
    text = format_bench(result)
    assert "speed-up" in text and "same images: yes" in text and "MiB" in text
    with pytest.raises(ValueError, match="must all be positive"):
        bench_views(n=0)


def test_ecg_like_signals_are_reproducible():
    a, b = ecg_like_signals(3, 250, 2, seed=7), ecg_like_signals(3, 250, 2, seed=7)
    assert a.shape == (3, 250, 2) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, ecg_like_signals(3, 250, 2, seed=8))
    rng = np.random.default_rng(0)
    assert ecg_like_signals(1, 250, 1, seed=rng).shape == (1, 250, 1)


@pytest.mark.parametrize("shape", [(3, 12, 250), (3, 1, 250)])
def test_leads_first_signals_are_refused_with_how_to_transpose(shape):
    """Issue 15: (n, 12, 250) used to give a spectrum of shape (n, 7, 250)."""
    for function in (normalize_signals, to_scalogram, to_spectrum, make_views):
        with pytest.raises(ValueError, match=r"look leads-first .* np\.swapaxes\(signals, 1, 2\)"):
            function(np.ones(shape, dtype=np.float32))
    assert to_spectrum(np.ones((3, 250, 12), dtype=np.float32)).shape == (3, 126, 12)  # channels-last works


def test_the_scalogram_spec_is_the_one_home_of_its_settings(ecgs):
    signals = ecgs
    from ecgkeras.views import ScalogramSpec

    spec = ScalogramSpec(size=(32, 48), wavelet="mexh", fmin=2.0, log=False)
    by_spec = to_scalogram(signals, spec)
    by_settings = to_scalogram(signals, size=(32, 48), wavelet="mexh", fmin=2.0, log=False)
    assert by_spec.shape == (len(signals), 32, 48, 12) and np.array_equal(by_spec, by_settings)
    # settings given next to a spec replace its fields
    assert np.array_equal(to_scalogram(signals, ScalogramSpec(), size=(32, 48), wavelet="mexh", fmin=2.0,
                                       log=False), by_spec)
    assert np.array_equal(spec.frequencies(), scalogram_frequencies(spec))
    assert np.array_equal(scalogram_frequencies(), ScalogramSpec().frequencies())
    assert ScalogramSpec(scales=[2, 4, 8]) == ScalogramSpec(scales=(2.0, 4.0, 8.0))  # hashable, compared by value
    assert "Mexican hat" in str(spec) and "32 x 48 px" in str(spec) and "linear" in str(spec)
    with pytest.raises(ValueError, match=r"unknown scalogram settings \['sizes'\]"):
        to_scalogram(signals, sizes=(32, 32))
    with pytest.raises(ValueError, match="not a continuous wavelet"):
        ScalogramSpec(wavelet="db4")
    with pytest.raises(ValueError, match="size must be"):
        ScalogramSpec(size=(0, 32))
