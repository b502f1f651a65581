"""The command line: digitize a folder, report duplicates, print a benchmark."""

import shutil

import numpy as np
import pytest

from ecgkeras.cli import main
from ecgkeras.data import sample_image_paths
from ecgkeras.data.digitize import DigitizeResult


@pytest.fixture()
def image_folder(tmp_path):
    for path in sample_image_paths().values():
        (tmp_path / path.parent.name).mkdir()
        shutil.copy(path, tmp_path / path.parent.name / path.name)
    (tmp_path / "Normal" / "broken.jpg").write_text("not an image")
    return tmp_path


def test_digitize_writes_signals_and_reports_skipped_files(image_folder, tmp_path, capsys):
    out = tmp_path / "signals.npz"
    assert main(["digitize", str(image_folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "wrote 4 signals" in printed and "skipped 1 file" in printed and "broken.jpg" in printed
    result = DigitizeResult.load(out)
    assert result.leads.shape == (4, 12, 250) and result.rhythm.shape == (4, 1000)
    assert sorted(result.labels.tolist()) == [0, 1, 2, 3]
    assert len(result.skipped) == 1 and np.isfinite(result.leads).all()


def test_digitize_names_a_missing_path(tmp_path):
    with pytest.raises(SystemExit, match="no such file or folder: .*nowhere"):
        main(["digitize", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.npz")])


def test_duplicates_reports_an_exact_copy(image_folder, capsys):
    normal = sample_image_paths()["Normal"]
    shutil.copy(normal, image_folder / "Normal" / "copy.jpg")
    assert main(["duplicates", str(image_folder)]) == 0
    printed = capsys.readouterr().out
    assert "4 distinct ECGs" in printed and "broken.jpg" in printed


def test_bench_views_prints_the_ratio(capsys):
    assert main(["bench", "views", "--n", "4"]) == 0
    printed = capsys.readouterr().out
    assert "speed-up" in printed and "same images: yes" in printed


def test_digitize_adds_the_npz_suffix_and_says_where_it_wrote(image_folder, tmp_path, capsys):
    assert main(["digitize", str(image_folder), "--out", str(tmp_path / "out")]) == 0
    assert f"to {tmp_path / 'out.npz'}" in capsys.readouterr().out
    assert (tmp_path / "out.npz").is_file() and not (tmp_path / "out").exists()


def test_digitize_checks_out_before_the_work(image_folder, tmp_path, monkeypatch):
    import ecgkeras.data.digitize

    monkeypatch.setattr(ecgkeras.data.digitize, "digitize_paths", lambda *a, **k: pytest.fail("work done first"))
    with pytest.raises(SystemExit, match="the folder .*nowhere does not exist"):
        main(["digitize", str(image_folder), "--out", str(tmp_path / "nowhere" / "x.npz")])
    locked = tmp_path / "locked"
    locked.mkdir()
    def read_only(**options):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.NamedTemporaryFile", read_only)
    with pytest.raises(SystemExit, match="cannot write in .*locked"):
        main(["digitize", str(image_folder), "--out", str(locked / "x.npz")])


def test_digitize_exits_non_zero_when_nothing_was_digitized(tmp_path, capsys):
    (tmp_path / "Normal").mkdir()
    (tmp_path / "Normal" / "broken.jpg").write_text("not an image")
    with pytest.raises(SystemExit, match="no image could be digitized .*nothing written"):
        main(["digitize", str(tmp_path), "--out", str(tmp_path / "x.npz")])
    assert "broken.jpg" in capsys.readouterr().out and not (tmp_path / "x.npz").exists()
