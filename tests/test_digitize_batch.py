"""Tests of ecgkeras.data.digitize_batch: the one batch loop, its skips and its cache."""

from __future__ import annotations

import ast
import importlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ecgkeras.data import digitize_batch
from ecgkeras.data.dataset import sample_image_paths
from ecgkeras.data.digitize import DIGITIZER_MODULES, digitize_paths, digitizer_version
from ecgkeras.data.digitize_batch import (
    SKIP_NOT_A_REPORT,
    SKIP_UNREADABLE_IMAGE,
    cache_folder,
    digitize_files,
)



@pytest.fixture
def good_image(tmp_path) -> Path:
    folder = tmp_path / "Normal"
    folder.mkdir()
    return Path(shutil.copy(sample_image_paths()["Normal"], folder / "good.jpg"))


def test_an_image_over_the_pixel_limit_is_a_counted_skip_not_a_crash(good_image, monkeypatch):
    with Image.open(good_image) as opened:
        pixels = opened.width * opened.height
    folder = good_image.parent
    side = int(np.ceil(np.sqrt(pixels)))
    Image.new("RGB", (2 * side, side + 1), "white").save(folder / "bomb.png")  # over twice the limit: an error
    Image.new("RGB", (side + 1, side + 1), "white").save(folder / "warned.png")  # over it: a warning in Pillow
    shutil.copy(good_image, folder / "later.jpg")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pixels)  # the report itself is just under it
    result = digitize_paths([folder])
    assert [Path(file).name for file in result.files] == ["good.jpg", "later.jpg"]
    skipped = dict(result.skipped)
    assert sorted(Path(file).name for file in skipped) == ["bomb.png", "warned.png"]
    assert all("decompression-bomb limit" in reason and "MAX_IMAGE_PIXELS" in reason for reason in skipped.values())
    batch = digitize_files(sorted(folder.iterdir()))
    assert batch.skip_counts == {SKIP_UNREADABLE_IMAGE: 2}


def test_skips_are_returned_by_kind_and_copies_are_digitized_once(good_image, monkeypatch):
    folder = good_image.parent
    Image.new("RGB", (600, 400), "white").save(folder / "blank.png")
    shutil.copy(folder / "blank.png", folder / "blank_copy.png")
    shutil.copy(good_image, folder / "good_copy.jpg")
    calls = []
    real = digitize_batch.digitize_report
    monkeypatch.setattr(digitize_batch, "digitize_report", lambda *a, **k: calls.append(1) or real(*a, **k))
    files = sorted(folder.iterdir())
    batch = digitize_files(files)
    assert len(calls) == 2, "each distinct file (MD5) is digitized once"
    assert [Path(f).name for f in batch.digitized] == ["good.jpg", "good_copy.jpg"]
    assert [Path(f).name for f, _ in batch.skipped] == ["blank.png", "blank_copy.png"]
    assert "a copy of" in batch.skipped[1][1] and "blank.png" in batch.skipped[1][1]
    assert batch.skip_counts == {SKIP_NOT_A_REPORT: 2}


def test_the_cache_is_written_atomically_and_a_broken_entry_is_named_deleted_and_redone(good_image, tmp_path,
                                                                                         monkeypatch):
    monkeypatch.setenv("ECGKERAS_CACHE_DIR", str(tmp_path / "cache"))
    first = digitize_files([good_image], cache=True)
    assert first.from_cache == 0
    entries = list(cache_folder().iterdir())
    assert [entry.name for entry in entries] == [f"{first.md5[str(good_image)]}-250-1000.npz"]
    second = digitize_files([good_image], cache=True)
    assert second.from_cache == 1
    digest = first.md5[str(good_image)]
    np.testing.assert_array_equal(second.signals[digest][0], first.signals[digest][0])

    entries[0].write_bytes(b"not an npz file")
    with pytest.warns(UserWarning, match=f"{entries[0]}: broken cache entry"):
        third = digitize_files([good_image], cache=True)
    assert third.from_cache == 0 and third.digitized == [str(good_image)]
    np.testing.assert_array_equal(third.signals[digest][1], first.signals[digest][1])
    with np.load(entries[0]) as stored:  # rewritten whole
        np.testing.assert_array_equal(stored["leads"], first.signals[digest][0])
    assert [entry.name for entry in cache_folder().iterdir()] == [entries[0].name], "no temporary file left"


def test_a_failed_cache_write_leaves_no_partial_entry(good_image, tmp_path, monkeypatch):
    monkeypatch.setenv("ECGKERAS_CACHE_DIR", str(tmp_path / "cache"))

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(digitize_batch.np, "savez", full_disk)
    with pytest.raises(OSError, match="No space"):
        digitize_files([good_image], cache=True)
    assert list(cache_folder().iterdir()) == []


def _source(module: str) -> Path:
    """The file the imported module was loaded from (the clone, or site-packages in colab-check)."""
    return Path(importlib.import_module(module).__file__)


def _data_imports(module: str) -> set[str]:
    """The ecgkeras.data modules ``module`` imports at its top level."""
    path = _source(module)
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ecgkeras.data."):
            found.add(node.module)
    return found


def test_the_cache_key_covers_every_module_the_digitizer_reads():
    seen, todo = set(), ["ecgkeras.data.digitize"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_data_imports(module))
    assert seen == set(DIGITIZER_MODULES)
    assert len(digitizer_version()) == 12


def test_the_cache_key_changes_when_any_digitizer_module_changes(monkeypatch):
    before = digitizer_version()
    read_bytes = Path.read_bytes
    for module in DIGITIZER_MODULES:
        changed = _source(module)
        monkeypatch.setattr(Path, "read_bytes",
                            lambda self, changed=changed: read_bytes(self) + (b"#" if self == changed else b""))
        assert digitizer_version() != before, f"{module} changed but the cache key did not"
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert digitizer_version() == before
    assert os.fspath(cache_folder()).endswith(before)


def test_a_digitize_result_gives_its_leads_channels_last():
    from ecgkeras.data.digitize_batch import DigitizeResult

    leads = np.random.default_rng(0).normal(size=(3, 12, 250)).astype(np.float32)
    result = DigitizeResult(leads=leads, rhythm=np.zeros((3, 1000), np.float32), labels=np.zeros(3, np.int64),
                            files=["a", "b", "c"], coverage=np.ones((3, 13), np.float32), skipped=[])
    assert result.signals.shape == (3, 250, 12)  # what ECGDataset and the views take
    assert np.array_equal(result.signals[:, :, 4], leads[:, 4, :])
