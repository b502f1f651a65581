"""The one container every data source returns, and the report layout it follows.

Chapter 1. A 12-lead paper report shows each lead for 2.5 s only, in a 3 x 4 grid
(I, aVR, V1, V4 / II, aVL, V2, V5 / III, aVF, V3, V6), plus a 10 s lead II rhythm strip.
Synthetic signals and digitized images are both cut to this layout, so a model never
knows (and cannot exploit) where its data came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

#: The four classes of the Mendeley data set, in label order 0..3.
CLASS_NAMES = ("Normal", "Abnormal heartbeat", "Myocardial infarction", "History of MI")

#: The 12 leads in the order of the ``leads`` axis.
LEAD_NAMES = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")

#: Sampling rate of every signal in a dataset, in Hz.
FS = 100.0
#: Seconds of each lead box on a report, and of the rhythm strip.
LEAD_SECONDS = 2.5
RHYTHM_SECONDS = 10.0
#: Paper speed (mm per second) and gain (mm per mV) of a standard report: what the renderer prints
#: and the digitizer reads back (``ecgkeras.data.render``, ``ecgkeras.data.digitize``).
MM_PER_SECOND = 25.0
MM_PER_MV = 10.0

#: File suffixes read as report images (lower case), by the digitizer and the Mendeley loader.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

#: Class folder names -> label: the short names (what ``ecgkeras.data.render`` writes and the book's
#: data folders use) and the published release's long names (Mendeley Data V2; the myocardial
#: infarction folder says 240 although it holds 239 files).
CLASS_FOLDERS = ("Normal", "Abnormal_Heartbeat", "Myocardial_Infarction", "History_of_MI")
PUBLISHED_CLASS_FOLDERS = (
    "Normal Person ECG Images (284x12=3408)",
    "ECG Images of Patient that have abnormal heartbeat (233x12=2796)",
    "ECG Images of Myocardial Infarction Patients (240x12=2880)",
    "ECG Images of Patient that have History of MI (172x12=2064)",
)
CLASS_FOLDER_NAMES = {name: label for names in (CLASS_FOLDERS, PUBLISHED_CLASS_FOLDERS)
                      for label, name in enumerate(names)}
_FOLDER_LABELS = {name.casefold(): label for name, label in CLASS_FOLDER_NAMES.items()}

#: Lead names per row of the report (rows top to bottom, columns left to right).
REPORT_LAYOUT = (
    ("I", "aVR", "V1", "V4"),
    ("II", "aVL", "V2", "V5"),
    ("III", "aVF", "V3", "V6"),
)


def report_segments(signal: np.ndarray, fs: float = FS) -> tuple[np.ndarray, np.ndarray]:
    """Cut a continuous 10 s 12-lead signal into what a paper report shows.

    Args:
        signal: float (12, samples) in mV, leads in ``LEAD_NAMES`` order, 10 s long.
        fs: its sampling rate in Hz.

    Returns:
        ``(leads, rhythm)``: float32 (12, 2.5 * fs) with each lead's 2.5 s window (column c of
        the report shows seconds 2.5c..2.5(c+1)), and float32 (10 * fs,) lead II for 10 s.
    """
    signal = np.asarray(signal, dtype=np.float32)
    if signal.ndim != 2 or signal.shape[0] != len(LEAD_NAMES):
        raise ValueError(f"signal must have shape (12, samples), got {signal.shape}")
    n_lead = int(round(LEAD_SECONDS * fs))
    if signal.shape[1] < 4 * n_lead:
        raise ValueError(
            f"signal must hold at least {RHYTHM_SECONDS} s ({4 * n_lead} samples at {fs} Hz), "
            f"got {signal.shape[1]} samples"
        )
    leads = np.empty((len(LEAD_NAMES), n_lead), dtype=np.float32)
    for row in REPORT_LAYOUT:
        for column, name in enumerate(row):
            i = LEAD_NAMES.index(name)
            leads[i] = signal[i, column * n_lead : (column + 1) * n_lead]
    rhythm = signal[LEAD_NAMES.index("II"), : 4 * n_lead].copy()
    return leads, rhythm


def channels_last(lead_major) -> np.ndarray:
    """Lead-major report leads -> the package's channels-last layout: the one conversion.

    Inside ``ecgkeras.data`` a report is lead-major, as it is drawn and read: float (12, samples)
    per ECG or (n, 12, samples) per batch (``report_segments``, ``DigitizedReport.leads``,
    ``DigitizeResult.leads``). Past the data package (``ECGDataset``, the views, the models) a
    batch is channels-last, (n, samples, leads), as Keras expects; this function is where one
    becomes the other.

    Args:
        lead_major: float (12, samples) or (n, 12, samples), leads in ``LEAD_NAMES`` order.

    Returns:
        float32 (samples, 12) or (n, samples, 12): a view of the input (no copy) where it is
        float32 already. Float32 sums depend on the memory layout in the last bits, so a caller
        that needs the contiguous array's exact numbers copies it (``np.ascontiguousarray``).
    """
    x = np.asarray(lead_major, dtype=np.float32)
    if x.ndim not in (2, 3) or x.shape[-2] != len(LEAD_NAMES):
        raise ValueError(f"expected lead-major leads (12, samples) or (n, 12, samples), got shape {x.shape}; "
                         "an array that is already channels-last needs no conversion")
    return np.swapaxes(x, -1, -2)


@dataclass
class ECGDataset:
    """ECG signals with labels and group ids, channels-last.

    Attributes:
        signals: float32 (n, samples, leads), mV; one 2.5 s window per lead (report layout).
        labels: int64 (n,), indices into ``class_names``.
        groups: int64 (n,); all copies of one ECG share a group id (leak-free splits use it).
        rhythm: float32 (n, rhythm_samples), the 10 s lead II strip, or None.
        fs: sampling rate in Hz.
        lead_names: names of the ``leads`` axis.
        class_names: names of the labels.
        files: source file per sample (real data), or None.
    """

    signals: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    rhythm: np.ndarray | None = None
    fs: float = FS
    lead_names: tuple[str, ...] = LEAD_NAMES
    class_names: tuple[str, ...] = CLASS_NAMES
    files: tuple[str, ...] | None = None
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        self.signals = np.asarray(self.signals, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.groups = np.asarray(self.groups, dtype=np.int64)
        n = len(self.signals)
        if self.signals.ndim != 3 or self.signals.shape[2] != len(self.lead_names):
            raise ValueError(
                f"signals must be (n, samples, {len(self.lead_names)} leads), got {self.signals.shape}"
            )
        for name in ("labels", "groups"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries for {n} signals")
        if self.rhythm is not None:
            self.rhythm = np.asarray(self.rhythm, dtype=np.float32)
            if len(self.rhythm) != n:
                raise ValueError(f"rhythm has {len(self.rhythm)} entries for {n} signals")
        if not np.isfinite(self.signals).all():
            bad = np.flatnonzero(~np.isfinite(self.signals).all(axis=(1, 2)))
            raise ValueError(
                f"signals contain NaN or inf in samples {bad[:10].tolist()}; "
                "interpolate or drop them before building a dataset"
            )
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= len(self.class_names)):
            raise ValueError(f"labels must lie in 0..{len(self.class_names) - 1}")

    def __len__(self) -> int:
        return len(self.signals)

    def subset(self, index) -> "ECGDataset":
        """The samples at ``index`` (integer array or boolean mask), all fields kept aligned."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return replace(
            self,
            signals=self.signals[index],
            labels=self.labels[index],
            groups=self.groups[index],
            rhythm=None if self.rhythm is None else self.rhythm[index],
            files=None if self.files is None else tuple(self.files[i] for i in index),
        )

    def repeat(self, copies) -> "ECGDataset":
        """Sample i repeated ``copies[i]`` times, all copies sharing its group (chapter 3).

        Builds a data set with the duplicate structure of the real release from distinct ECGs
        (see ``ecgkeras.data.mendeley.release_copies``).
        """
        copies = np.asarray(copies)
        if copies.shape != (len(self),) or (copies < 1).any():
            raise ValueError(f"copies must hold one count >= 1 per sample ({len(self)}), got shape {copies.shape}")
        return self.subset(np.repeat(np.arange(len(self)), copies))

    def select_leads(self, leads) -> "ECGDataset":
        """Keep only the named leads, e.g. ``("II",)`` for the study's single-signal case."""
        if isinstance(leads, str):
            leads = (self.lead_names if leads == "all" else (leads,))
        unknown = [name for name in leads if name not in self.lead_names]
        if unknown:
            raise ValueError(f"unknown leads {unknown}; choose from {self.lead_names} or 'all'")
        index = [self.lead_names.index(name) for name in leads]
        return replace(self, signals=self.signals[:, :, index], lead_names=tuple(leads))

    def class_counts(self) -> dict[str, int]:
        """Number of samples per class name."""
        counts = np.bincount(self.labels, minlength=len(self.class_names))
        return dict(zip(self.class_names, counts.tolist()))


def class_from_folder(name: str) -> int | None:
    """The label in ``CLASS_NAMES`` of a class folder's name, or None when it is not one.

    Only the known names count (``CLASS_FOLDER_NAMES``), compared whole (case and surrounding
    spaces aside): the short ones ("Normal", "Abnormal_Heartbeat", "Myocardial_Infarction",
    "History_of_MI") and the published long ones such as "Normal Person ECG Images (284x12=3408)".
    A name that merely contains a class's word ("Not_Normal", "Paranormal", "ecg_history_backup")
    is not a class folder.
    """
    return _FOLDER_LABELS.get(" ".join(str(name).split()).casefold())


def sample_image_paths() -> dict[str, Path]:
    """The four real report images shipped with the package (half resolution, CC BY 4.0), by class name.

    Chapter 1 digitizes them; see ``ecgkeras/data/sample_images/README.md`` for the credit.
    """
    root = Path(__file__).parent / "sample_images"
    found = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        label = class_from_folder(folder.name)
        found[CLASS_NAMES[label]] = next(folder.glob("*.jpg"))
    return {name: found[name] for name in CLASS_NAMES}
