"""Benchmarks printed by ``ecgkeras bench``: figures and ratios, not timed tests.

Chapter 2 ("How fast is a scalogram?"). :func:`bench_views` compares :func:`to_scalogram`
(``pywt.cwt`` with ``method="fft"`` on float32 batches, chunked) with the loop a first version
would write: one ``pywt.cwt`` call per signal and lead (default method, float64), followed by the
same magnitude / resize / decibel steps, and checks that both give the same images.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pywt

from ecgkeras.data.dataset import FS
from ecgkeras.data.synthetic import beat_waves
from ecgkeras.views import CWT_PRECISION, ScalogramSpec, to_scalogram, to_spectrum

#: Largest difference allowed between the batched and the naive scalogram (values in [0, 1]).
ATOL = 1e-4

#: P, QRS and T waves of the benchmark's beats: (offset from the R peak in s, width in s, mV).
_WAVES = ((-0.2, 0.025, 0.15), (0.0, 0.012, 1.0), (0.3, 0.05, 0.3))


def bench_views(
    n: int = 500, samples: int = 250, leads: int = 12, *, repeat: int = 3, naive_n: int = 50, seed=0
) -> dict:
    """Time the scalogram and the spectrum on ``n`` ECG-like signals; compare with a naive loop.

    Chapter 2. Rates are signals per second (a signal is all ``leads`` leads), best of
    ``repeat`` runs. The naive loop runs on the first ``naive_n`` signals only (it is slow),
    and its images are compared with the batched ones for those signals. Peak memory is
    measured with ``tracemalloc`` over one more ``to_scalogram`` call on all ``n`` signals.

    Args:
        n, samples, leads: shape of the float32 (n, samples, leads) batch, at 100 Hz.
        repeat: timed runs per method; the fastest counts.
        naive_n: signals given to the naive loop.
        seed: int or ``numpy.random.Generator`` for the signals.

    Returns:
        dict with ``project_per_s``, ``naive_per_s``, ``ratio`` (project / naive),
        ``max_abs_diff``, ``atol``, ``equal`` (``max_abs_diff <= atol``), ``spectrum_per_s``,
        ``peak_mib`` and ``output_mib`` of ``to_scalogram``, and the sizes used.
    """
    if min(n, samples, leads, repeat, naive_n) < 1:
        raise ValueError("n, samples, leads, repeat and naive_n must all be positive")
    signals = ecg_like_signals(n, samples, leads, seed=seed)
    naive_n = min(naive_n, n)

    project_seconds, images = _best_time(lambda: to_scalogram(signals, fs=FS), repeat)
    naive_seconds, naive_images = _best_time(lambda: naive_scalogram(signals[:naive_n]), repeat)
    spectrum_seconds, _ = _best_time(lambda: to_spectrum(signals, fs=FS), repeat)
    max_abs_diff = float(np.abs(images[:naive_n] - naive_images).max())

    tracemalloc.start()
    to_scalogram(signals, fs=FS)
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    project_per_s = n / project_seconds
    naive_per_s = naive_n / naive_seconds
    return {
        "n": n,
        "samples": samples,
        "leads": leads,
        "repeat": repeat,
        "naive_n": naive_n,
        "project_per_s": project_per_s,
        "naive_per_s": naive_per_s,
        "ratio": project_per_s / naive_per_s,
        "max_abs_diff": max_abs_diff,
        "atol": ATOL,
        "equal": max_abs_diff <= ATOL,
        "spectrum_per_s": n / spectrum_seconds,
        "peak_mib": peak_bytes / 2**20,
        "output_mib": images.nbytes / 2**20,
    }


def format_bench(result: dict) -> str:
    """The lines ``ecgkeras bench views`` prints for a :func:`bench_views` result."""
    r = result
    return "\n".join(
        [
            f"views: {r['n']} ECG-like signals x {r['samples']} samples x {r['leads']} leads "
            f"at {FS:g} Hz, best of {r['repeat']}",
            "  scalogram, batched (pywt.cwt fft, float32, chunked): "
            f"{r['project_per_s']:8.1f} signals/s",
            "  scalogram, naive loop (pywt.cwt per lead, float64):  "
            f"{r['naive_per_s']:8.1f} signals/s (on {r['naive_n']} signals)",
            f"  speed-up: {r['ratio']:.1f}x; same images: {'yes' if r['equal'] else 'NO'} "
            f"(max |difference| {r['max_abs_diff']:.1e}, allowed {r['atol']:.0e})",
            f"  spectrum: {r['spectrum_per_s']:8.1f} signals/s",
            f"  peak memory of to_scalogram: {r['peak_mib']:.0f} MiB "
            f"(of which the returned images: {r['output_mib']:.0f} MiB)",
        ]
    )


def naive_scalogram(signals, *, fs: float = FS) -> np.ndarray:
    """The loop a first version would write, with :func:`to_scalogram`'s default settings.

    The baseline of :func:`bench_views`. One ``pywt.cwt`` call per signal and lead (default
    ``method="conv"``, float64), then, per signal, the same magnitude / resize / decibel steps as
    :func:`to_scalogram` (``ScalogramSpec.images``).

    Args:
        signals: float (n, samples, leads), mV, at ``fs`` Hz.

    Returns:
        float32 (n, height, width, leads) in [0, 1] (64 x 64 by default).
    """
    signals = np.asarray(signals, dtype=np.float64)
    spec = ScalogramSpec(fs=fs)
    wavelet, scales = spec.wavelet_and_scales()
    n, samples, leads = signals.shape
    images = np.empty((n, *spec.size, leads), dtype=np.float32)
    for i in range(n):
        coefficients = np.stack(
            [pywt.cwt(signals[i, :, lead], scales, wavelet, precision=CWT_PRECISION)[0]
             for lead in range(leads)], axis=1
        )  # (scales, leads, samples)
        images[i] = spec.images(coefficients).transpose(1, 2, 0)
    return images


def ecg_like_signals(n: int, samples: int, leads: int, *, fs: float = FS, seed=0) -> np.ndarray:
    """Random ECG-like signals for benchmarks and figures (not the book's simulator).

    The input of :func:`bench_views`. Gaussian P, QRS and T waves at a random heart rate (50-110 bpm), each lead a
    random mix of the three waves, plus white noise (0.02 mV) and baseline wander (0.3 Hz).

    Returns:
        float32 (n, samples, leads), mV.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / fs
    signals = np.empty((n, samples, leads), dtype=np.float32)
    for i in range(n):
        rr = 60 / rng.uniform(50, 110)
        r_peaks = np.arange(rng.uniform(0, rr), t[-1] + rr, rr)
        waves = beat_waves(samples, fs, r_peaks, _WAVES)  # (samples, 3): P, QRS, T
        mixing = rng.uniform(-1, 1, size=(len(_WAVES), leads))
        wander = 0.1 * np.sin(2 * np.pi * 0.3 * t[:, None] + rng.uniform(0, 2 * np.pi, leads))
        signals[i] = waves @ mixing + wander + rng.normal(0, 0.02, size=(samples, leads))
    return signals


def _best_time(run, repeat):
    """(fastest of ``repeat`` runs in s, the last run's result)."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result
