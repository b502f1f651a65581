"""How good is a digitized report? The PhysioNet Challenge 2024 scores, per printed lead (chapter 1).

The George B. Moody PhysioNet Challenge 2024 ("Digitization and Classification of ECG Images")
scores a digitized lead x̂ against the true samples x of the window the image shows with a
signal-to-noise ratio, SNR = 10 log10(Σx² / Σ(x̂ − x)²) in dB: no time alignment and no offset
removal, NaN counted as 0, and a lead that is not returned counts as zeros (0 dB). Beside it:
the SNR after removing each lead's mean (a constant offset is cheap to lose and costly in the
Challenge SNR) and Pearson r.

A standard report prints 13 windows: the 12 leads of ``REPORT_LAYOUT`` for 2.5 s each (column c
shows seconds 2.5c..2.5(c+1)) and the 10 s rhythm strip (``RHYTHM_LEAD``, lead II). Each is
scored on its own.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecgkeras.data.dataset import LEAD_NAMES, LEAD_SECONDS, REPORT_LAYOUT, RHYTHM_SECONDS
from ecgkeras.data.digitize import digitize_report
from ecgkeras.data.digitize_trace import resample  # noqa: F401  (public here too: scoring resamples each lead)
from ecgkeras.data.render import render_report
from ecgkeras.data.synthetic import make_signals

#: The digitizer was tuned on the development set's synthetic records syn000..syn015 only.
TUNING_RECORDS = 16

#: The lead the rhythm strip of a standard report repeats (and of ``digitize_report``'s ``rhythm``).
RHYTHM_LEAD = "II"


@dataclass(frozen=True)
class PrintedLead:
    """One window of a report: lead ``name`` printed from ``start`` to ``stop`` seconds."""

    name: str
    start: float
    stop: float
    rhythm: bool = False


def standard_windows() -> list[PrintedLead]:
    """The 13 printed windows of the standard layout: the 3 x 4 leads, then the rhythm strip."""
    windows = [
        PrintedLead(name, column * LEAD_SECONDS, (column + 1) * LEAD_SECONDS)
        for names in REPORT_LAYOUT
        for column, name in enumerate(names)
    ]
    return windows + [PrintedLead(RHYTHM_LEAD, 0.0, RHYTHM_SECONDS, rhythm=True)]


def challenge_snr(truth, digitized) -> float:
    """The Challenge's SNR in dB of one lead: 10 log10(Σx² / Σ(x̂ − x)²).

    Args:
        truth: float (samples,) the true signal x, mV.
        digitized: float (samples,) or None: x̂ on the same sample times; NaN counts as 0,
            None (a lead not returned) as all zeros, which scores 0 dB.

    Returns:
        dB; +inf for a perfect copy, 0 when the error is as large as the signal.
    """
    truth = np.asarray(truth, dtype=np.float64)
    digitized = np.zeros_like(truth) if digitized is None else np.nan_to_num(np.asarray(digitized, np.float64))
    if digitized.shape != truth.shape:
        raise ValueError(f"digitized has shape {digitized.shape}, truth {truth.shape}; resample first")
    signal, noise = float(np.sum(truth**2)), float(np.sum((digitized - truth) ** 2))
    if noise == 0:
        return float("inf")
    if signal == 0:
        return float("-inf")
    return float(10 * np.log10(signal / noise))


def pearson_r(truth, digitized) -> float:
    """Pearson r of two equal-length leads; NaN where either is constant."""
    truth, digitized = np.asarray(truth, np.float64), np.nan_to_num(np.asarray(digitized, np.float64))
    if truth.std() == 0 or digitized.std() == 0:
        return float("nan")
    return float(np.corrcoef(truth, digitized)[0, 1])


@dataclass
class LeadScores:
    """Scores of every printed window of one or more reports (arrays of equal length).

    Attributes:
        snr: float (windows,) Challenge SNR in dB (0 for a lead not returned).
        snr_offset_free: float (windows,) SNR after removing each lead's and truth's mean.
        r: float (windows,) Pearson r (NaN for a lead not returned).
        names: lead name of each window (``"II rhythm"`` for the strip).
    """

    snr: np.ndarray
    snr_offset_free: np.ndarray
    r: np.ndarray
    names: list[str]


def score_report(leads, rhythm, truth, fs: float, windows: list[PrintedLead] | None = None) -> LeadScores:
    """Score one digitized report against the true 12-lead signal, the Challenge way.

    Args:
        leads: float (12, samples_per_lead) mV in ``LEAD_NAMES`` order, each over its 2.5 s
            window (``DigitizedReport.leads``), or None for a refused image (every window 0 dB).
        rhythm: float (rhythm_samples,) mV over 10 s, or None.
        truth: float (12, >= 10 s * fs) the true signals in mV, ``LEAD_NAMES`` order.
        fs: sampling rate of ``truth`` in Hz (500 in the Challenge); each digitized window is
            resampled to it.
        windows: the printed windows (default ``standard_windows()``).

    Returns:
        ``LeadScores`` with one entry per window.
    """
    truth = np.asarray(truth, dtype=np.float64)
    windows = standard_windows() if windows is None else windows
    snr, offset_free, r, names = [], [], [], []
    for window in windows:
        first, stop = int(round(window.start * fs)), int(round(window.stop * fs))
        if stop > truth.shape[1]:
            raise ValueError(
                f"truth holds {truth.shape[1] / fs:.2f} s, the {window.name} window ends at {window.stop} s"
            )
        x = truth[LEAD_NAMES.index(window.name), first:stop]
        digitized = rhythm if window.rhythm else (None if leads is None else leads[LEAD_NAMES.index(window.name)])
        names.append(f"{window.name} rhythm" if window.rhythm else window.name)
        if digitized is None:
            snr.append(0.0), offset_free.append(0.0), r.append(np.nan)
            continue
        x_hat = resample(digitized, len(x))
        snr.append(challenge_snr(x, x_hat))
        offset_free.append(challenge_snr(x - x.mean(), x_hat - x_hat.mean()))
        r.append(pearson_r(x, x_hat))
    return LeadScores(np.array(snr), np.array(offset_free), np.array(r), names)


@dataclass
class ImageScore:
    """One image's scores, means over its printed windows (a refused image scores 0 dB).

    Attributes:
        setting: which set or drawing it belongs to (e.g. ``"red"``, ``"ecgkeras"``).
        name: the record's name.
        snr, snr_offset_free: mean Challenge SNR and offset-free SNR over the windows, dB.
        r: median Pearson r over the windows (NaN when refused).
        quality: the digitizer's own quality score, dB (NaN when the page could not be read).
        refused: why the digitizer refused the image ("" when it did not).
    """

    setting: str
    name: str
    snr: float
    snr_offset_free: float
    r: float
    quality: float
    refused: str = ""


def score_image(image, truth, fs: float, setting: str, name: str, windows=None) -> ImageScore:
    """Digitize one image with ``digitize_report`` and score it against its true signals.

    A refused image counts as returning no lead (0 dB); its quality is still measured (it is
    read once, with ``keep_poor``, and refused for the problems ``digitize_report`` would refuse
    it for), so that the quality measure can be checked against the true error.

    Args:
        image: a path, PIL image or uint8 (H, W, 3) array of a report.
        truth: float (12, >= 10 s * fs) mV, ``LEAD_NAMES`` order; fs: its rate in Hz.
        setting, name: labels for the table.
        windows: the printed windows (default: the standard layout).
    """
    samples = int(round(LEAD_SECONDS * fs)), int(round(RHYTHM_SECONDS * fs))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a poor reading's warning: it is refused below
            report = digitize_report(image, samples_per_lead=samples[0], rhythm_samples=samples[1],
                                     keep_poor=True)
    except ValueError as error:  # the page could not be read at all
        return ImageScore(setting, name, 0.0, 0.0, float("nan"), float("nan"), str(error).split(": ", 1)[-1])
    quality, problems = report.quality.score, report.quality.problems()
    if problems:
        return ImageScore(setting, name, 0.0, 0.0, float("nan"), quality, "; ".join(problems))
    scores = score_report(report.leads, report.rhythm, truth, fs, windows)
    mean_snr, mean_offset_free = float(scores.snr.mean()), float(scores.snr_offset_free.mean())
    return ImageScore(setting, name, mean_snr, mean_offset_free, float(np.nanmedian(scores.r)), quality)


def score_development_set(folder, settings=None, names=None) -> list[ImageScore]:
    """Score the digitizer on a development set laid out as ``../shared/data/ecg-image-kit-dev``.

    The folder holds ``truth.npz`` (``signals`` (n, 12, samples) mV, ``fs``, ``ids``) and one
    subfolder per setting with ``<id>.png`` and ``<id>.json`` (the leads each image prints:
    ``lead_name``, ``start_sample``, ``end_sample``); the JSON is read for scoring only. Every
    PNG of a setting's folder is scored (a setting may hold only some of the records).

    Args:
        folder: the set's folder.
        settings: subfolders to score (default: every subfolder).
        names: record ids to score (default: all).

    Returns:
        one ``ImageScore`` per image, setting by setting.
    """
    folder = Path(folder)
    truth_file = folder / "truth.npz"
    if not truth_file.is_file():
        raise FileNotFoundError(f"{truth_file}: no truth.npz; is {folder} a development set of report images?")
    with np.load(truth_file) as truth:
        signals, fs, ids = truth["signals"], float(truth["fs"]), [str(i) for i in truth["ids"]]
    settings = settings or sorted(p.name for p in folder.iterdir() if p.is_dir())
    scores = []
    for setting in settings:
        for image in sorted((folder / setting).glob("*.png")):
            if names is not None and image.stem not in names:
                continue
            if image.stem not in ids:
                raise ValueError(
                    f"{image}: no record {image.stem!r} in {truth_file}; every image needs its true signals"
                )
            windows = _printed_windows(image.with_suffix(".json"), fs)
            scores.append(score_image(image, signals[ids.index(image.stem)], fs, setting, image.stem, windows))
    return scores


def _printed_windows(layout_file: Path, fs: float) -> list[PrintedLead]:
    """The windows an image's JSON says it prints; the 10 s one is the rhythm strip."""
    leads = json.loads(layout_file.read_text())["leads"]
    full = max(lead["end_sample"] - lead["start_sample"] for lead in leads)
    return [
        PrintedLead(lead["lead_name"], lead["start_sample"] / fs, lead["end_sample"] / fs,
                    rhythm=lead["end_sample"] - lead["start_sample"] == full and full > LEAD_SECONDS * fs)
        for lead in leads
    ]


def development_samples() -> Path:
    """The two ecg-image-kit images shipped with ``ecgkeras``, laid out as the development set
    (``truth.npz``, ``red/``, ``random_header/``), for ``score_development_set`` (chapter 1).
    See the folder's README.md for their sources and licences."""
    return Path(__file__).parent / "image_kit_samples"


def score_renderings(n: int = 24, seed: int = 0, width: int = 2213, height: int = 1572) -> list[ImageScore]:
    """Score the digitizer on ``n`` synthetic ECGs drawn by ``ecgkeras``'s own renderer (the
    Mendeley layout; ``ecgkeras.data.render.render_report``), seed by seed as the tests do."""
    signals, _ = make_signals(n, seed)
    return [
        score_image(render_report(signal, seed=seed * 1000 + i, width=width, height=height), signal, 100.0,
                    "ecgkeras", f"synthetic {seed}:{i}")
        for i, signal in enumerate(signals)
    ]


def development_group(name: str) -> str:
    """Which part of the ecg-image-kit development set a record belongs to: the synthetic records
    the digitizer was tuned on (``syn000``-``syn015``), the held-out synthetic ones
    (``syn016``-``syn023``), or the real ones (any other name)."""
    if name.startswith("syn") and name[3:].isdigit():
        return "tuning" if int(name[3:]) < TUNING_RECORDS else "held-out synthetic"
    return "real"


def score_table(scores: list[ImageScore], split=None) -> str:
    """A markdown table of the means per setting, and with ``split`` (record name -> group) also
    per group within each setting: Challenge SNR and offset-free SNR (a refused image counts
    0 dB), median r over the accepted images, and how many images were refused."""
    groups = {}
    for score in scores:
        groups.setdefault((score.setting, "all" if split else ""), []).append(score)
        if split:
            groups.setdefault((score.setting, split(score.name)), []).append(score)
    lines = [
        "| setting | images | Challenge SNR (dB) | offset-free SNR (dB) | median r | refused |",
        "|---|---|---|---|---|---|",
    ]
    for (setting, group), members in groups.items():
        accepted = [s.r for s in members if not s.refused]
        r = f"{np.median(accepted):.3f}" if accepted else "-"
        lines.append(
            f"| {setting}{f' ({group})' if group else ''} | {len(members)} | {np.mean([s.snr for s in members]):.1f} | "
            f"{np.mean([s.snr_offset_free for s in members]):.1f} | {r} | {sum(bool(s.refused) for s in members)} |"
        )
    return "\n".join(lines)
