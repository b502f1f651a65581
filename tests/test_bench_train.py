"""``ecgkeras bench train``: the same code gives the same losses; changed training is caught."""

import shutil
from pathlib import Path

import pytest

import ecgkeras
from ecgkeras.bench_train import LOSS_ATOL, bench_train, format_bench_train

# the folder holding the imported package: the clone in an editable install, site-packages in
# colab-check's and floors-check's environments (which are not git clones)
PACKAGE_ROOT = Path(ecgkeras.__file__).resolve().parents[1]
TINY = dict(repeat=1, n=40, models=["1D-CNN"])


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setenv("ECGKERAS_QUICK", "1")  # 3 epochs


@pytest.mark.slow  # two short trainings in fresh processes, about 20 s
def test_the_same_code_gives_the_same_losses(quick, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(PACKAGE_ROOT / "ecgkeras", copy / "ecgkeras", ignore=shutil.ignore_patterns("__pycache__"))
    result = bench_train(str(copy), **TINY)
    assert result["other"]["root"] == str(copy.resolve()) and result["this"]["root"] == str(PACKAGE_ROOT)
    assert result["same_epochs"] and result["max_loss_diff"] <= LOSS_ATOL and result["same_results"]
    assert len(result["this"]["models"]["1D-CNN"]["loss"]) == 3
    assert result["speedup"] > 0
    printed = format_bench_train(result)
    assert "same results: yes" in printed and "1D-CNN" in printed


@pytest.mark.slow
def test_a_version_that_trains_differently_is_not_the_same_results(quick, tmp_path):
    copy = tmp_path / "faster" / "ecgkeras"
    shutil.copytree(PACKAGE_ROOT / "ecgkeras", copy, ignore=shutil.ignore_patterns("__pycache__"))
    train = copy / "train.py"
    text = train.read_text()
    assert "    learning_rate: float = 1e-3\n" in text
    train.write_text(text.replace("    learning_rate: float = 1e-3\n", "    learning_rate: float = 3e-3\n"))
    result = bench_train(str(copy), **TINY)  # the package folder itself is accepted too
    assert result["max_loss_diff"] > LOSS_ATOL and not result["same_results"]
    assert "same results: NO" in format_bench_train(result)


def test_bad_versions_are_refused(tmp_path):
    with pytest.raises(ValueError, match="repeat must be"):
        bench_train(str(tmp_path), repeat=0)
    if not (PACKAGE_ROOT / ".git").exists():
        with pytest.raises(ValueError, match="not a git clone"):
            bench_train(str(tmp_path), **TINY)
        return
    with pytest.raises(ValueError, match="git cannot export ecgkeras/ at that revision"):
        bench_train("no-such-revision-123", **TINY)
