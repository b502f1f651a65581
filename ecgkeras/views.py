"""The three views of a heartbeat: time, time-frequency and frequency.

Chapter 2. One batch of signals, float32 (n, samples, leads) in mV, becomes the input of each
domain's model, computed per sample and per lead (channels-last, as Keras expects):

- time: the signal itself, centred and scaled, float32 (n, samples, leads);
- time-frequency: a continuous-wavelet scalogram image, float32 (n, height, width, leads);
- frequency: an FFT magnitude spectrum, float32 (n, bins, leads).

Every normalisation uses only the sample and lead it is applied to. Nothing is fitted on a data
set, so computing views before splitting leaks nothing from test to training data, and a signal
scaled by any positive factor (mV or uV, a larger printout) gives the same views.

Both frequency-based views are in decibels relative to their own peak, mapped to [0, 1]:
1 is the strongest point of that sample's lead, 0 is ``TOP_DB`` dB below it or weaker.

Every function takes a batch, ndim 3. For one signal of shape (samples, leads) pass
``signal[None]``; for a batch of single-lead signals of shape (n, samples) pass ``x[..., None]``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import partial

import numpy as np
import pywt
import scipy.signal

#: Dynamic range of the log views, in dB: weaker points are clipped to 0.
TOP_DB = 60.0

#: The views, in the order the book introduces them, with the axes of each input after the batch
#: axis (channels-last). The one definition of the views' names: ``VIEW_NAMES``,
#: ``ecgkeras.models.VIEWS`` and the models' input checks read it.
VIEW_LAYOUTS = {
    "time": ("samples", "leads"),
    "scalogram": ("scales", "width", "leads"),
    "spectrum": ("bins", "leads"),
}

#: The views :func:`make_views` knows, in the order the book introduces them.
VIEW_NAMES = tuple(VIEW_LAYOUTS)

#: The mother wavelet is sampled at 2**CWT_PRECISION points (PyWavelets >= 1.9; older versions
#: fixed 10, which gives visibly different scalograms and is why pyproject requires 1.9).
CWT_PRECISION = 12

_EXAMPLE_WAVELETS = ("morl", "mexh", "cmor1.5-1.0", "gaus1", "cgau1")


def normalize_signals(signals, *, min_std: float = 1e-3) -> np.ndarray:
    """The time view: each sample's lead minus its median, divided by its standard deviation.

    Chapter 2. The median is the isoelectric baseline (most of an ECG lies on it), so the
    baseline ends at 0 and a QRS complex at a few units. Leads flatter than ``min_std`` mV
    (a missing or empty lead) are only centred, not blown up into noise.

    Args:
        signals: float (n, samples, leads), mV.
        min_std: floor of the divisor, in the signals' unit (mV).

    Returns:
        float32 (n, samples, leads), unitless.
    """
    signals = _check_signals(signals)
    if not min_std > 0:
        raise ValueError(f"min_std must be positive, got {min_std}")
    centre = np.median(signals, axis=1, keepdims=True)
    scale = np.maximum(signals.std(axis=1, keepdims=True), min_std)
    return ((signals - centre) / scale).astype(np.float32)


@dataclass(frozen=True)
class ScalogramSpec:
    """The scalogram's settings, defined once: what :func:`to_scalogram` computes, what
    :func:`scalogram_frequencies` labels and what the benchmark's naive loop repeats.

    Chapter 2. Rows of the image are scales from smallest to largest, so row 0 (the top of an
    image) is the highest frequency.

    Attributes:
        fs: sampling rate of the signals in Hz.
        wavelet: a continuous wavelet name of PyWavelets, e.g. "morl", "mexh", "cmor1.5-1.0".
        scales: explicit wavelet scales (in samples), or None: ``n_scales`` log-spaced scales
            whose frequencies span ``fmax`` down to ``fmin`` Hz (those three are unused otherwise).
        n_scales, fmin, fmax: number of scales and their frequency range in Hz.
        size: (height, width) of the image in px; height resamples scales, width resamples time.
        log: decibels relative to the image's peak mapped to [0, 1] (True), or linear magnitude
            divided by the peak (False).
    """

    fs: float = 100.0
    wavelet: str = "morl"
    scales: tuple | None = None
    n_scales: int = 64
    fmin: float = 1.0
    fmax: float = 40.0
    size: tuple[int, int] = (64, 64)
    log: bool = True

    def __post_init__(self):
        _check_fs(self.fs)
        object.__setattr__(self, "size", _check_size(self.size))
        if self.scales is not None:  # hashable and immutable, like the rest of the spec
            object.__setattr__(self, "scales", tuple(np.atleast_1d(np.asarray(self.scales, dtype=float)).tolist()))
        self.wavelet_and_scales()  # raises ValueError on a bad wavelet or scales

    def __str__(self) -> str:
        """One line for a chapter's output: "Morlet wavelet ('morl'), 64 scales, 40 to 1 Hz at ..."."""
        wavelet, scales = self.wavelet_and_scales()
        hz = np.asarray(pywt.scale2frequency(wavelet, scales), dtype=float) * self.fs
        return (f"{wavelet.family_name} ({self.wavelet!r}), {len(scales)} scales, {hz.max():.3g} to "
                f"{hz.min():.3g} Hz at fs = {self.fs:g} Hz, {self.size[0]} x {self.size[1]} px, "
                f"{'dB' if self.log else 'linear'}")

    @classmethod
    def with_settings(cls, spec: "ScalogramSpec | None" = None, **settings) -> "ScalogramSpec":
        """``spec`` (default: the book's settings) with the named ``settings`` replaced."""
        unknown = sorted(set(settings) - {field.name for field in fields(cls)})
        if unknown:
            raise ValueError(f"unknown scalogram settings {unknown}; the settings are "
                             f"{[field.name for field in fields(cls)]}")
        return replace(spec or cls(), **settings)

    def wavelet_and_scales(self) -> tuple[pywt.ContinuousWavelet, np.ndarray]:
        """The checked wavelet and its scales: (``pywt.ContinuousWavelet``, float64 (scales,))."""
        return _wavelet_and_scales(self.fs, self.wavelet, self.scales, self.n_scales, self.fmin, self.fmax)

    def frequencies(self) -> np.ndarray:
        """Frequency in Hz of each image row: float64 (height,), decreasing from the top row.

        A row that averages several scales gets their area-weighted geometric mean.
        """
        wavelet, scales = self.wavelet_and_scales()
        frequencies = np.asarray(pywt.scale2frequency(wavelet, scales), dtype=float) * self.fs
        return np.exp(_area_weights(len(scales), self.size[0]) @ np.log(frequencies))

    def images(self, coefficients) -> np.ndarray:
        """Wavelet coefficients (scales, m, samples) -> float32 images (m, height, width) in [0, 1].

        The steps after ``pywt.cwt``: magnitude, area averaging to ``size``, peak-relative scale.
        """
        n_scales, _, samples = np.shape(coefficients)
        return _scalogram_images(coefficients, _area_weights(n_scales, self.size[0]),
                                 _area_weights(samples, self.size[1]), self.log)


def to_scalogram(signals, spec: ScalogramSpec | None = None, *, chunk: int = 256, **settings) -> np.ndarray:
    """The time-frequency view: a continuous-wavelet scalogram image per sample and lead.

    Chapter 2. Steps: ``pywt.cwt`` along the samples axis (``method="fft"`` on float32, a few
    signals at a time), magnitude, area averaging down to ``size`` (mean magnitude per pixel),
    then decibels relative to the image's peak mapped to [0, 1] (``log=True``), or magnitude
    divided by the peak (``log=False``). :func:`scalogram_frequencies` gives each row's
    frequency in Hz.

    Args:
        signals: float (n, samples, leads), mV, sampled at ``fs`` Hz.
        spec: the settings (:class:`ScalogramSpec`); None: the book's (64 Morlet scales from 40
            down to 1 Hz at 100 Hz, 64 x 64 px, decibels).
        chunk: how many one-lead signals go into one ``pywt.cwt`` call (rounded down to whole
            ECGs, at least one ECG). It bounds the working memory: each float32 copy of a
            chunk's coefficients takes ``chunk * n_scales * samples * 4`` bytes (16 MB for 250
            samples and 64 scales). The returned images take ``n * height * width * leads * 4``
            bytes (375 MiB for 2000 ECGs of 12 leads at 64 x 64).
        **settings: fields of :class:`ScalogramSpec` that replace the spec's, e.g.
            ``fs=250, size=(32, 32), wavelet="mexh"``.

    Returns:
        float32 (n, size[0], size[1], leads) in [0, 1].
    """
    spec = ScalogramSpec.with_settings(spec, **settings)
    signals = _check_signals(signals, fs=spec.fs)
    wavelet, scales = spec.wavelet_and_scales()
    height, width = spec.size
    if not (isinstance(chunk, (int, np.integer)) and chunk >= 1):
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    n, samples, leads = signals.shape
    lowest = float(pywt.scale2frequency(wavelet, scales.max())) * spec.fs
    if samples < 2 * spec.fs / lowest:
        raise ValueError(
            f"signals have {samples} samples, too few for the lowest scale ({lowest:.3g} Hz): "
            f"it needs at least two periods ({int(np.ceil(2 * spec.fs / lowest))} samples at {spec.fs} Hz); "
            "raise fmin, pass smaller scales, or use longer signals"
        )
    images = np.empty((n, height, width, leads), dtype=np.float32)
    per_chunk = max(1, chunk // leads)
    for start in range(0, n, per_chunk):
        block = signals[start : start + per_chunk]
        series = block.transpose(0, 2, 1).reshape(-1, samples)
        coefficients, _ = pywt.cwt(series, scales, wavelet, method="fft",
                                   precision=CWT_PRECISION)
        images[start : start + len(block)] = spec.images(coefficients).reshape(
            len(block), leads, height, width
        ).transpose(0, 2, 3, 1)
    return images


def scalogram_frequencies(spec: ScalogramSpec | None = None, **settings) -> np.ndarray:
    """Frequency in Hz of each row of :func:`to_scalogram`'s images, for axis labels.

    Chapter 2. Pass the same ``spec`` and settings as to :func:`to_scalogram` (``chunk`` aside).
    A row that averages several scales gets their area-weighted geometric mean.

    Returns:
        float64 (size[0],), Hz, decreasing from the top row.
    """
    return ScalogramSpec.with_settings(spec, **settings).frequencies()


def to_spectrum(
    signals, *, fs: float = 100.0, fmax: float | None = None, window: str = "hann", log: bool = True
) -> np.ndarray:
    """The frequency view: the FFT magnitude spectrum of each sample's lead.

    Chapter 2. Steps: remove a straight-line trend, multiply by ``window``, real FFT
    (``scipy.signal.periodogram``), keep bins up to ``fmax``, then decibels relative to the
    spectrum's peak mapped to [0, 1] (``log=True``) or magnitude divided by the peak.
    A lead of ``samples`` samples gives ``samples // 2 + 1`` bins, ``fs / samples`` Hz apart
    (0.4 Hz for a 2.5 s lead at 100 Hz); :func:`spectrum_frequencies` gives them in Hz.

    Args:
        signals: float (n, samples, leads), mV, sampled at ``fs`` Hz.
        fs: sampling rate in Hz.
        fmax: highest frequency kept, in Hz; None keeps up to ``fs / 2``.
        window: a window name of ``scipy.signal.get_window``, e.g. "hann", "hamming", "boxcar".
        log: decibels (True) or linear magnitude (False).

    Returns:
        float32 (n, bins, leads) in [0, 1].
    """
    signals = _check_signals(signals, fs=fs)
    if signals.shape[1] < 2:
        raise ValueError(f"signals need at least 2 samples for a spectrum, got {signals.shape[1]}")
    keep = len(spectrum_frequencies(signals.shape[1], fs=fs, fmax=fmax))
    try:
        _, power = scipy.signal.periodogram(
            signals, fs=fs, window=window, detrend="linear", scaling="spectrum", axis=1
        )
    except ValueError as error:
        raise ValueError(
            f"window={window!r} is not a window scipy knows ({error}); try 'hann', 'hamming', "
            "'blackman' or 'boxcar'"
        ) from None
    power = power[:, :keep].astype(np.float32)
    return _relative_to_peak(power, axes=1, log=log, power=True)


def spectrum_frequencies(samples: int, fs: float = 100.0, fmax: float | None = None) -> np.ndarray:
    """Frequency in Hz of each bin of :func:`to_spectrum` for signals of ``samples`` samples.

    Chapter 2. Returns float64 (bins,): 0, fs/samples, 2 fs/samples, ... up to ``fmax``.
    """
    _check_fs(fs)
    if not (isinstance(samples, (int, np.integer)) and samples >= 2):
        raise ValueError(f"samples must be an integer >= 2, got {samples!r}")
    if fmax is not None and not fmax > 0:
        raise ValueError(f"fmax must be a positive frequency in Hz or None, got {fmax}")
    frequencies = np.fft.rfftfreq(samples, d=1.0 / fs)
    return frequencies if fmax is None else frequencies[frequencies <= fmax]


def view_names(views) -> tuple[str, ...]:
    """``views`` (one name or several) as a tuple of names from ``VIEW_NAMES``, checked.

    Raises:
        ValueError: a name that is not a view, with the names to choose from.
    """
    views = (views,) if isinstance(views, str) else tuple(views)
    unknown = [name for name in views if name not in VIEW_NAMES]
    if unknown:
        raise ValueError(f"unknown views {unknown}; choose from {VIEW_NAMES}")
    return views


def make_views(
    signals, *, fs: float = 100.0, views=VIEW_NAMES, **options
) -> dict[str, np.ndarray]:
    """The model inputs of each named view, all from the same batch of signals.

    Chapter 2. Sample ``i`` of every returned array comes from ``signals[i]``, so the views of
    one ECG stay aligned when they are split, balanced and fed to a fusion model together.

    Args:
        signals: float (n, samples, leads), mV, sampled at ``fs`` Hz.
        fs: sampling rate in Hz.
        views: names from ``VIEW_NAMES``: "time", "scalogram", "spectrum".
        **options: per view, a dict of keyword arguments for its function, e.g.
            ``scalogram=dict(size=(32, 32), fmin=0.5), spectrum=dict(fmax=40)``,
            ``time=dict(min_std=0.01)``.

    Returns:
        {view name: float32 array}: time (n, samples, leads), scalogram (n, height, width,
        leads), spectrum (n, bins, leads).
    """
    views = view_names(views)
    stray = [name for name in options if name not in views]
    if stray:
        raise ValueError(
            f"options given for {stray}, which are not among views={tuple(views)}; options are "
            "keyed by view name, e.g. scalogram=dict(size=(32, 32))"
        )
    signals = _check_signals(signals, fs=fs)
    functions = {
        "time": normalize_signals,
        "scalogram": partial(to_scalogram, fs=fs),
        "spectrum": partial(to_spectrum, fs=fs),
    }
    return {name: functions[name](signals, **options.get(name, {})) for name in views}


def _scalogram_images(coefficients, row_weights, column_weights, log):
    """Wavelet coefficients (scales, m, samples) -> float32 images (m, height, width) in [0, 1]."""
    magnitude = np.abs(coefficients).astype(np.float32, copy=False)
    columns = np.tensordot(magnitude, column_weights, axes=(2, 1))  # (scales, m, width)
    images = np.tensordot(row_weights, columns, axes=(1, 0))  # (height, m, width)
    images = images.transpose(1, 0, 2)
    return _relative_to_peak(images, axes=(1, 2), log=log, power=False)


def _relative_to_peak(values, axes, log, power):
    """Non-negative magnitudes (or powers) -> [0, 1] relative to their peak over ``axes``.

    ``log``: 1 + dB / TOP_DB, clipped at 0 (a value TOP_DB dB below the peak or weaker).
    Otherwise the magnitude divided by the peak. All-zero inputs give zeros.
    """
    magnitude = np.sqrt(values) if power else values
    peak = magnitude.max(axis=axes, keepdims=True)
    ratio = magnitude / np.where(peak > 0, peak, 1)
    if not log:
        return ratio.astype(np.float32)
    decibels = 20 * np.log10(np.maximum(ratio, 10.0 ** (-TOP_DB / 20)))
    # clip: at the floor, rounding can leave 1 + dB / TOP_DB a few 1e-8 below 0
    return np.clip(1 + decibels / TOP_DB, 0, 1).astype(np.float32)


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """float32 (n_out, n_in): row j averages the inputs under output bin j, by overlap.

    Bin j covers [j, j + 1) * n_in / n_out input cells; weights are overlaps, rows sum to 1
    (the box filter of image resizing, written as a matrix).
    """
    edges = np.linspace(0, n_in, n_out + 1)
    low, high = edges[:-1, None], edges[1:, None]
    cells = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(high, cells + 1) - np.maximum(low, cells), 0, None)
    return (overlap / (high - low)).astype(np.float32)


def _wavelet_and_scales(fs, wavelet, scales, n_scales, fmin, fmax):
    """Check the wavelet and the scales; return (pywt.ContinuousWavelet, float64 scales)."""
    try:
        wavelet = pywt.ContinuousWavelet(wavelet)
    except ValueError:
        raise ValueError(
            f"wavelet={wavelet!r} is not a continuous wavelet of PyWavelets; try one of "
            f"{_EXAMPLE_WAVELETS} (all: pywt.wavelist(kind='continuous'))"
        ) from None
    if scales is None:
        if not (isinstance(n_scales, (int, np.integer)) and n_scales >= 1):
            raise ValueError(f"n_scales must be a positive integer, got {n_scales!r}")
        if not 0 < fmin < fmax <= fs / 2:
            raise ValueError(
                f"need 0 < fmin < fmax <= fs / 2 = {fs / 2} Hz (Nyquist), "
                f"got fmin={fmin}, fmax={fmax}"
            )
        frequencies = np.geomspace(fmax, fmin, n_scales) / fs
        scales = np.atleast_1d(pywt.frequency2scale(wavelet, frequencies))
    scales = np.asarray(scales, dtype=float)
    if scales.ndim != 1 or len(scales) == 0 or not np.all(np.isfinite(scales) & (scales > 0)):
        raise ValueError(f"scales must be a non-empty 1-D array of positive numbers, got {scales}")
    highest = float(pywt.scale2frequency(wavelet, scales.min())) * fs
    if highest > fs / 2 * (1 + 1e-6):
        raise ValueError(
            f"the smallest scale {scales.min():.3g} means {highest:.3g} Hz, above the Nyquist "
            f"frequency fs / 2 = {fs / 2} Hz; use larger scales"
        )
    return wavelet, scales


def _check_size(size):
    if not (
        len(size) == 2 and all(isinstance(side, (int, np.integer)) and side >= 1 for side in size)
    ):
        raise ValueError(f"size must be (height, width) in px, two positive integers, got {size!r}")
    return int(size[0]), int(size[1])


def _check_fs(fs):
    if not (np.isscalar(fs) and np.isfinite(fs) and fs > 0):
        raise ValueError(f"fs must be a positive sampling rate in Hz, got {fs!r}")


def _check_signals(signals, fs: float = 100.0) -> np.ndarray:
    """float32 (n, samples, leads), finite, or a ValueError that says what is wrong."""
    _check_fs(fs)
    signals = np.asarray(signals, dtype=np.float32)
    if signals.ndim != 3:
        raise ValueError(
            f"signals must be float (n, samples, leads), got shape {signals.shape}; for one "
            "signal (samples, leads) pass signal[None], for single-lead (n, samples) pass "
            "x[..., None]"
        )
    if signals.shape[1] in (1, 12) and signals.shape[1] < signals.shape[2]:
        raise ValueError(
            f"signals of shape {signals.shape} look leads-first (n, leads, samples); the views need "
            "channels-last (n, samples, leads): pass np.swapaxes(signals, 1, 2) (a digitized "
            "report's leads are (12, samples): use leads.T)"
        )
    finite = np.isfinite(signals).all(axis=(1, 2))
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ValueError(
            f"signals contain NaN or inf in {len(bad)} samples, indices {bad[:10].tolist()}"
            f"{' (first 10)' if len(bad) > 10 else ''}; interpolate or drop them first"
        )
    return signals
