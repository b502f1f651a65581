"""reproduce's --out folder and --data (issue 15): one writer at a time, a missing data folder refused
before the folder is claimed, committed folders resumed without their data, what loading found recorded
apart from settings.json, and the naive protocol's release rebuilt in a cache folder of its own."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ecgkeras.cli import main
from ecgkeras.data.dataset import ECGDataset
from ecgkeras.experiment import load_data, loading_record, release_cache_folder, reproduce
from ecgkeras.results import LOCK_FILE, FolderInUse, finished_runs, folder_lock
from ecgkeras.train import TrainConfig

from conftest import REPO

ONE_EPOCH = TrainConfig(epochs=1, patience=0, reduce_lr_patience=0, verbose=0)

HOLD_LOCK = """
import sys, time
from ecgkeras.results import folder_lock
with folder_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_second_reproduce_on_the_same_folder_is_refused_naming_folder_and_lock_file(tmp_path):
    out = tmp_path / "run"
    with folder_lock(out) as lock:
        assert lock == out / LOCK_FILE
        with pytest.raises(FolderInUse) as error:
            reproduce("synthetic", folds=2, models=["1D-CNN"], out=out, n_synthetic=40, train_config=ONE_EPOCH)
    assert str(out) in str(error.value) and str(out / LOCK_FILE) in str(error.value)
    assert not (out / "settings.json").exists(), "the refused command wrote nothing"


def test_the_lock_of_another_process_refuses_the_command_and_dies_with_it(tmp_path, capsys):
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], stdout=subprocess.PIPE, text=True,
                              env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(SystemExit) as exit_info:
            main(["reproduce", "--folds", "2", "--models", "1D-CNN", "--n", "40", "--out", str(out)])
        message = str(exit_info.value.code)
        assert f"process {holder.pid}" in message and str(out / LOCK_FILE) in message
    finally:
        holder.send_signal(signal.SIGKILL)  # a crash: the lock must not outlive the process
        holder.wait()
    with folder_lock(out):  # no stale lock
        pass


def test_the_lock_file_is_ignored_by_git_and_is_not_a_run_file(tmp_path):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git clone")
    ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q",
                              f"results/synthetic/leak-free-12-leads/{LOCK_FILE}"])
    assert ignored.returncode == 0, f"{LOCK_FILE} must be in .gitignore"
    folder = tmp_path / "copy"
    shutil.copytree(REPO / "results" / "synthetic" / "leak-free-12-leads", folder)
    runs = finished_runs(folder)
    with folder_lock(folder):
        assert finished_runs(folder) == runs


def test_a_missing_data_folder_is_refused_before_the_folder_is_claimed(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="no folder"):
        reproduce(f"mendeley:{missing}", folds=2, out=tmp_path / "run", train_config=ONE_EPOCH)
    assert not (tmp_path / "run").exists()
    with pytest.raises(SystemExit):
        main(["reproduce", "--data", f"mendeley:{missing}", "--out", str(tmp_path / "cli")])
    assert "no folder" in capsys.readouterr().err and not (tmp_path / "cli").exists()


def test_a_finished_committed_folder_resumes_without_its_data(tmp_path, monkeypatch):
    """A clean clone without ../shared: the README's command rewrites the summary and loads no data."""
    import ecgkeras.experiment

    name = "mendeley-distinct/naive-lead-II"
    clone = tmp_path / "deep" / "clone"  # no ../shared/data next to it
    shutil.copytree(REPO / "results" / name, clone / "results" / name)
    monkeypatch.chdir(clone)
    monkeypatch.delenv("ECGKERAS_QUICK", raising=False)
    monkeypatch.delenv("ECGKERAS_MENDELEY_DIR", raising=False)
    monkeypatch.setattr(ecgkeras.experiment, "load_data", lambda *a, **k: pytest.fail("data loaded"))
    settings = (clone / "results" / name / "settings.json").read_text()
    assert main(["reproduce", "--data", "mendeley:../shared/data/mendeley-distinct", "--protocol", "naive",
                 "--folds", "5", "--seeds", "1", "--leads", "II", "--out", f"results/{name}"]) == 0
    assert (clone / "results" / name / "settings.json").read_text() == settings
    rewritten = (clone / "results" / name / "results.csv").read_text()
    assert rewritten == (REPO / "results" / name / "results.csv").read_text()


def test_reproduce_records_what_loading_found_in_its_own_file(tmp_path):
    out = tmp_path / "run"
    reproduce("synthetic", folds=2, models=["1D-CNN"], out=out, n_synthetic=40, train_config=ONE_EPOCH,
              progress=False)
    assert json.loads((out / "loading.json").read_text()) == {
        "data": "synthetic", "found": 40, "used": 40, "skipped": 0, "skipped_by_reason": {}}
    assert "loading" not in json.loads((out / "settings.json").read_text())


def test_the_loading_record_of_real_images_counts_names_and_holds_no_machine_path(mendeley_sample_dir, tmp_path,
                                                                                monkeypatch):
    from PIL import Image

    from ecgkeras.data.mendeley import load_mendeley

    monkeypatch.setenv("ECGKERAS_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    (data / "Normal").mkdir(parents=True)
    shutil.copy(sorted((mendeley_sample_dir / "Normal").glob("*.jpg"))[0], data / "Normal")
    Image.new("RGB", (1100, 780), "white").save(data / "Normal" / "blank.jpg")
    (data / "Paranormal").mkdir()
    Image.new("RGB", (10, 10), "white").save(data / "Paranormal" / "x.jpg")
    record = loading_record(f"mendeley:{data}", load_mendeley(data, progress=False))
    assert {key: record[key] for key in ("found", "used", "skipped", "unknown_folders")} == {
        "found": 3, "used": 1, "skipped": 2, "unknown_folders": ["Paranormal"]}
    assert sorted(path for path, _ in record["skipped_files"]) == ["Normal/blank.jpg", "Paranormal"]
    assert str(tmp_path) not in json.dumps(record)


def _distinct_folder(root: Path, names: dict[str, list[str]]) -> Path:
    """A folder like mendeley-distinct: class folders of images and a manifest.tsv (each image once)."""
    rows = ["class\tfile\tmd5\tbytes\tsource_names"]
    for folder, files in names.items():
        (root / folder).mkdir(parents=True)
        for name in files:
            (root / folder / name).write_bytes(name.encode())
            rows.append(f"{folder}\t{name}\tx\t1\t{name}")
    (root / "manifest.tsv").write_text("\n".join(rows) + "\n")
    return root


def test_the_naive_release_of_a_small_folder_holds_only_its_images(tmp_path, monkeypatch):
    monkeypatch.setenv("ECGKERAS_CACHE_DIR", str(tmp_path / "cache"))
    seen = []

    def fake_load_mendeley(root, **kwargs):
        files = sorted(str(path.relative_to(root)) for path in Path(root).rglob("*.jpg"))
        seen.append(files)
        return ECGDataset(signals=np.zeros((len(files), 250, 12)), labels=[0] * len(files), groups=range(len(files)))

    monkeypatch.setattr("ecgkeras.data.mendeley.load_mendeley", fake_load_mendeley)
    big = _distinct_folder(tmp_path / "big", {"Normal": ["Normal(1).jpg", "Normal(2).jpg"],
                                               "History_of_MI": ["PMI(1).jpg"]})
    small = _distinct_folder(tmp_path / "small", {"Normal": ["Normal(3).jpg"]})
    load_data(f"mendeley:{big}", protocol="naive")
    stale = release_cache_folder(small) / "Normal" / "Normal(9).jpg"  # left by an older rebuild of this folder
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    load_data(f"mendeley:{small}", protocol="naive")
    assert seen == [["History_of_MI/PMI(1).jpg", "Normal/Normal(1).jpg", "Normal/Normal(2).jpg"],
                    ["Normal/Normal(3).jpg"]]
    key = release_cache_folder(small)
    assert key != release_cache_folder(big)
    (small / "Normal" / "Normal(3).jpg").rename(small / "Normal" / "Normal(4).jpg")
    assert release_cache_folder(small) != key, "keyed by the file list too"
