import numpy as np
import pytest

from ecgkeras import config
from ecgkeras.data.dataset import (
    CLASS_NAMES,
    LEAD_NAMES,
    REPORT_LAYOUT,
    ECGDataset,
    class_from_folder,
    report_segments,
    sample_image_paths,
)


def _dataset(n=6, samples=250, leads=12):
    rng = np.random.default_rng(0)
    return ECGDataset(
        signals=rng.normal(size=(n, samples, leads)),
        labels=np.arange(n) % 4,
        groups=np.arange(n) // 2,
        rhythm=rng.normal(size=(n, 1000)),
        files=tuple(f"f{i}.jpg" for i in range(n)),
    )


def test_report_segments_takes_each_leads_window():
    samples = 1000
    # lead i carries the value 100 * i + time index, so every cut is identifiable
    signal = 100.0 * np.arange(12)[:, None] + np.arange(samples)[None, :]
    leads, rhythm = report_segments(signal, fs=100.0)
    assert leads.shape == (12, 250) and rhythm.shape == (1000,)
    for row in REPORT_LAYOUT:
        for column, name in enumerate(row):
            i = LEAD_NAMES.index(name)
            assert leads[i, 0] == 100 * i + 250 * column
    np.testing.assert_array_equal(rhythm, signal[LEAD_NAMES.index("II")])


@pytest.mark.parametrize("shape", [(11, 1000), (12,), (12, 999)])
def test_report_segments_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="signal"):
        report_segments(np.zeros(shape), fs=100.0)


def test_dataset_subset_keeps_fields_aligned():
    data = _dataset()
    part = data.subset(np.array([4, 1]))
    assert part.files == ("f4.jpg", "f1.jpg")
    np.testing.assert_array_equal(part.signals[0], data.signals[4])
    np.testing.assert_array_equal(part.rhythm[1], data.rhythm[1])
    assert part.labels.tolist() == [0, 1] and part.groups.tolist() == [2, 0]
    mask = data.labels == 0
    assert len(data.subset(mask)) == mask.sum()


def test_select_leads_single_lead_is_channels_last():
    one = _dataset().select_leads(("II",))
    assert one.signals.shape == (6, 250, 1) and one.lead_names == ("II",)
    assert _dataset().select_leads("all").signals.shape == (6, 250, 12)
    with pytest.raises(ValueError, match="unknown leads"):
        _dataset().select_leads(("V7",))


def test_dataset_rejects_nan_and_misaligned_fields():
    signals = np.zeros((3, 250, 12))
    signals[1, 5, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf in samples \[1\]"):
        ECGDataset(signals=signals, labels=[0, 1, 2], groups=[0, 1, 2])
    with pytest.raises(ValueError, match="labels has 2 entries for 3"):
        ECGDataset(signals=np.zeros((3, 250, 12)), labels=[0, 1], groups=[0, 1, 2])
    with pytest.raises(ValueError, match=r"\(n, samples, 12 leads\)"):
        ECGDataset(signals=np.zeros((3, 250)), labels=[0, 1, 2], groups=[0, 1, 2])
    with pytest.raises(ValueError, match="labels must lie in 0..3"):
        ECGDataset(signals=np.zeros((1, 250, 12)), labels=[7], groups=[0])


@pytest.mark.parametrize(
    "name, label",
    [
        ("Normal Person ECG Images (284x12=3408)", 0),
        ("ECG Images of Patient that have abnormal heartbeat (233x12=2796)", 1),
        ("ECG Images of Myocardial Infarction Patients (240x12=2880)", 2),
        ("ECG Images of Patient that have History of MI (172x12=2064)", 3),
        ("Normal", 0),
        ("Abnormal_Heartbeat", 1),
        ("Myocardial_Infarction", 2),
        ("History_of_MI", 3),
        ("cats", None),
    ],
)
def test_class_from_folder(name, label):
    assert class_from_folder(name) == label


def test_sample_images_one_per_class():
    paths = sample_image_paths()
    assert tuple(paths) == CLASS_NAMES
    assert all(p.is_file() and p.suffix == ".jpg" for p in paths.values())


def test_quick_mode_is_read_at_call_time(monkeypatch):
    monkeypatch.setenv("ECGKERAS_QUICK", "1")
    assert config.is_quick() and config.mode() == "quick" and config.pick(1, 2) == 1
    monkeypatch.delenv("ECGKERAS_QUICK")
    assert not config.is_quick() and config.pick(1, 2) == 2


def test_channels_last_is_the_one_layout_conversion():
    from ecgkeras.data.dataset import channels_last

    batch = np.arange(2 * 12 * 5, dtype=np.float32).reshape(2, 12, 5)  # (n, leads, samples)
    converted = channels_last(batch)
    assert converted.shape == (2, 5, 12) and np.shares_memory(converted, batch)  # a view, as before
    assert converted[1, 3, 7] == batch[1, 7, 3]
    assert channels_last(batch[0]).shape == (5, 12)
    with pytest.raises(ValueError, match="already channels-last"):
        channels_last(converted)
