"""ECG data: synthetic simulation, report images, digitizing, the real Mendeley set, splits.

Chapter 1 (from a paper ECG to a signal) and chapter 3 (duplicates, splits and class balance).
"""

from ecgkeras.data.dataset import (
    CLASS_NAMES,
    FS,
    LEAD_NAMES,
    LEAD_SECONDS,
    REPORT_LAYOUT,
    RHYTHM_SECONDS,
    ECGDataset,
    class_from_folder,
    report_segments,
    sample_image_paths,
)

__all__ = [
    "CLASS_NAMES",
    "FS",
    "LEAD_NAMES",
    "LEAD_SECONDS",
    "REPORT_LAYOUT",
    "RHYTHM_SECONDS",
    "ECGDataset",
    "class_from_folder",
    "report_segments",
    "sample_image_paths",
]
