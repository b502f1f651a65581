"""``ecgkeras bench digitize --against``: the same code reads the same signals; the comparison is right."""

import math
from pathlib import Path

import numpy as np
import pytest

import ecgkeras
from ecgkeras import cli
from ecgkeras.bench_digitize import R_AGREE, bench_digitize, compare_signals, format_bench_digitize, pearson
from ecgkeras.data.render import render_report
from ecgkeras.data.synthetic import make_signals

# the folder holding the imported package: the clone in an editable install, site-packages where
# the package is installed (not a git clone); a folder holding a package is a version either way
PACKAGE_ROOT = Path(ecgkeras.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def two_images(tmp_path_factory):
    """Two rendered synthetic reports (1106 x 786 px PNG) in a folder of their own."""
    folder = tmp_path_factory.mktemp("reports")
    signals, _ = make_signals(2, 0)
    for i, signal in enumerate(signals):
        render_report(signal, seed=i, width=1106, height=786).save(folder / f"report{i}.png")
    return folder


def test_the_same_code_reads_the_same_signals(two_images):
    result = bench_digitize([two_images], str(PACKAGE_ROOT), repeat=1)
    assert result["images"] == 2 and result["size"] == (1106, 786)
    assert result["this"]["root"] == result["other"]["root"] == str(PACKAGE_ROOT)
    assert result["this"]["ms_per_image"] > 0 and result["other"]["ms_per_image"] > 0
    assert result["ratio"] == result["this"]["ms_per_image"] / result["other"]["ms_per_image"] > 0
    assert result["compared"] == 2 and result["min_r"] == 1.0 and result["below"] == 0
    assert not result["refused_by_this_only"] and not result["refused_by_other_only"]
    printed = format_bench_digitize(result)
    assert "ratio this/other" in printed and "min 1.000000" in printed and "0 images below" in printed, printed


def test_a_folder_without_a_package_is_refused(tmp_path, two_images):
    with pytest.raises(ValueError, match="without an ecgkeras package"):
        bench_digitize([two_images], str(tmp_path), repeat=1)
    with pytest.raises(ValueError, match="repeat must be"):
        bench_digitize([two_images], str(PACKAGE_ROOT), repeat=0)


def signals(files, leads, refused=()):
    """A :func:`read_signals`-like dict: ``leads`` (n, 12, 250), the rhythm its first lead 4 times."""
    return {"files": files, "leads": leads, "rhythm": np.tile(leads[:, 0], 4),
            "refused": {file: f"{file}: not a report" for file in refused}}


def test_compare_signals_names_refusals_and_computes_r():
    rng = np.random.default_rng(0)
    leads = rng.normal(size=(3, 12, 250)).astype(np.float32)
    changed = leads.copy()
    changed[1] += 0.5 * rng.normal(size=(12, 250)).astype(np.float32)
    files = ["a.png", "b.png", "c.png"]
    result = compare_signals(signals(files, leads, refused=["c.png"]), signals(files, changed))
    this, other = signals(files, leads), signals(files, changed)
    expected = np.corrcoef(np.concatenate([this["leads"][1].ravel(), this["rhythm"][1]]),
                           np.concatenate([other["leads"][1].ravel(), other["rhythm"][1]]))[0, 1]
    assert result["compared"] == 2 and result["min_r_file"] == "b.png"
    assert result["min_r"] == pytest.approx(expected, abs=1e-9) and result["min_r"] < R_AGREE
    assert result["below"] == 1
    assert result["refused_by_this_only"] == {"c.png": "c.png: not a report"}
    assert result["refused_by_other_only"] == {} and result["refused_by_both"] == []
    reverse = compare_signals(signals(files, changed), signals(files, leads, refused=["c.png"]))
    assert list(reverse["refused_by_other_only"]) == ["c.png"] and not reverse["refused_by_this_only"]
    with pytest.raises(ValueError, match="different files"):
        compare_signals(signals(files, leads), signals(files[::-1], leads))


def test_pearson_edge_cases():
    x = np.arange(10.0)
    assert pearson(x, 2 * x + 1) == pytest.approx(1.0) and pearson(x, -x) == pytest.approx(-1.0)
    assert pearson(np.ones(4), np.ones(4)) == 1.0 and pearson(np.ones(4), x[:4]) == 0.0
    assert math.isnan(pearson(np.array([1.0, np.nan]), np.array([1.0, 2.0])))


def test_the_command_compares_only_with_against(monkeypatch, capsys, two_images):
    calls = []

    def fake_bench_digitize(paths, against, repeat):
        calls.append(("against", paths, against, repeat))
        raise ValueError("no such version")

    monkeypatch.setattr("ecgkeras.bench_digitize.bench_digitize", fake_bench_digitize)
    monkeypatch.setattr("ecgkeras.data.digitize_batch.digitize_report", lambda file: calls.append(("today", file)))
    assert cli.main(["bench", "digitize", str(two_images)]) == 0
    assert [call[0] for call in calls] == ["today", "today"] and "ms_per_image: " in capsys.readouterr().out
    with pytest.raises(SystemExit, match="ecgkeras bench digitize: no such version"):
        cli.main(["bench", "digitize", str(two_images), "--against", "HEAD~1", "--repeat", "1"])
    assert calls[-1] == ("against", [str(two_images)], "HEAD~1", 1)


def test_bench_train_still_defaults_to_head(monkeypatch):
    seen = []
    monkeypatch.setattr("ecgkeras.bench_train.bench_train", lambda against, **options: seen.append(against))
    monkeypatch.setattr("ecgkeras.bench_train.format_bench_train", lambda result: "")
    assert cli.main(["bench", "train"]) == 0 and cli.main(["bench", "train", "--against", "v1"]) == 0
    assert seen == ["HEAD", "v1"]
