"""`ecgkeras score` is fit for a class: a submission cannot read, rebuild or rescore the test labels.

Each submission below runs in the scorer's own child process (`score_file`), on 80 synthetic ECGs
(20 test ECGs). Cheaters answer the labels they found, or always class 0 when they found none:
chance level, at most the largest class's share. The same attacks are shown to work where nothing
stops them (in-process scoring, or no secret), so that their failure here means something.
"""

import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import ecgkeras.assignment
import ecgkeras.stats
from ecgkeras.assignment import (INPUTS_FILE, SECRET_VARIABLE, held_out_seeds, held_out_split, load_submission,
                                 score_file, score_submission, write_inputs)
from ecgkeras.cli import main
from ecgkeras.experiment import load_data

N, SEED, SECRET = 80, 5, "a long random teacher's secret"
ASSIGNMENTS = Path(__file__).resolve().parents[1] / "assignments"

HONEST = """
import numpy as np


class NearestCentroid:
    views = ("spectrum",)

    def fit(self, train, validation):
        (inputs, labels), _ = train, validation
        x = inputs["spectrum"].reshape(len(labels), -1)
        self.centroids = np.stack([x[labels == c].mean(axis=0) for c in range(4)])

    def predict_proba(self, inputs):
        x = inputs["spectrum"].reshape(len(inputs["spectrum"]), -1)
        distances = ((x[:, None, :] - self.centroids[None]) ** 2).sum(axis=2)
        return np.eye(4)[distances.argmin(axis=1)]
"""

# walks the stack and the garbage collector for the scorer's data sets, finds the one whose
# ECGs are the test inputs, and answers its labels
PEEK_AT_THE_SCORER = """
import gc
import inspect

import numpy as np
from ecgkeras.views import make_views


def _key(spectrum):
    return np.round(spectrum, 4).tobytes()


def _data_sets():
    objects = [value for frame in inspect.stack() for value in frame.frame.f_locals.values()]
    for value in objects + gc.get_objects():
        for candidate in value.values() if isinstance(value, dict) else [value]:
            if type(candidate).__name__ == "ECGDataset":
                yield candidate


class PeekAtTheScorer:
    views = ("spectrum",)

    def fit(self, train, validation):
        pass

    def predict_proba(self, inputs):
        wanted = [_key(spectrum) for spectrum in inputs["spectrum"]]
        for data in _data_sets():
            spectra = make_views(data.signals, fs=data.fs, views=("spectrum",))["spectrum"]
            lookup = {_key(spectrum): label for spectrum, label in zip(spectra, data.labels)}
            if all(key in lookup for key in wanted):
                return np.eye(4)[[lookup[key] for key in wanted]]
        return np.eye(4)[np.zeros(len(wanted), dtype=int)]  # found nothing: always class 0
"""

# regenerates the data set from the public --data/--n/--seed and looks each test ECG up in it
REBUILD_THE_DATA = f"""
import numpy as np
from ecgkeras.experiment import load_data
from ecgkeras.views import make_views


def _key(spectrum):
    return np.round(spectrum, 4).tobytes()


class RebuildTheData:
    views = ("spectrum",)

    def fit(self, train, validation):
        pass

    def predict_proba(self, inputs):
        data = load_data("synthetic", n={N}, seed={SEED})  # the command line's public arguments
        spectra = make_views(data.signals, fs=data.fs, views=("spectrum",))["spectrum"]
        lookup = {{_key(spectrum): label for spectrum, label in zip(spectra, data.labels)}}
        return np.eye(4)[[lookup.get(_key(spectrum), 0) for spectrum in inputs["spectrum"]]]
"""

# replaces the metric and the checks at import, then answers class 0 for every ECG
PATCH_THE_METRIC = """
import numpy as np
import ecgkeras.assignment
import ecgkeras.assignment
import ecgkeras.stats


def _perfect(labels, predicted, n_classes):
    return {"accuracy": np.float64(1.0), "macro_f1": np.float64(1.0)}


ecgkeras.stats.classification_metrics = _perfect
ecgkeras.assignment.check_probabilities = lambda probabilities, n, name="": np.asarray(probabilities, float)


class PatchTheMetric:
    views = ("spectrum",)

    def fit(self, train, validation):
        pass

    def predict_proba(self, inputs):
        return np.eye(4)[np.zeros(len(inputs["spectrum"]), dtype=int)]
"""

CHEATERS = {"peek": PEEK_AT_THE_SCORER, "rebuild": REBUILD_THE_DATA, "metric": PATCH_THE_METRIC}


def _write(folder: Path, name: str, source: str) -> str:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return str(path)


@pytest.fixture(scope="module")
def secret_split():
    return held_out_split("synthetic", n=N, seed=SEED, secret=SECRET)


@pytest.fixture(scope="module")
def practice_split():
    return held_out_split("synthetic", n=N, seed=SEED)


@pytest.mark.parametrize("attack", sorted(CHEATERS))
def test_cheaters_score_at_chance(attack, secret_split, tmp_path):
    row = score_file(_write(tmp_path, attack, CHEATERS[attack]), secret_split, time_limit=120)
    assert row["test_size"] == 20 and row["secret"]
    # always class 0: that class's share of the test split, at most the largest class's
    assert row["accuracy"] <= row["majority_baseline"] + 1e-9 and row["accuracy"] < 0.6
    assert row["macro_f1"] < 0.6


@pytest.mark.parametrize("attack", ["peek", "metric"])
def test_the_same_attacks_work_in_process(attack, tmp_path, monkeypatch):
    """score_submission (practice in a notebook) runs the class next to the labels: it is cheated."""
    monkeypatch.setattr(ecgkeras.stats, "classification_metrics", ecgkeras.stats.classification_metrics)
    monkeypatch.setattr(ecgkeras.assignment, "check_probabilities", ecgkeras.assignment.check_probabilities)
    cheater = load_submission(_write(tmp_path, attack, CHEATERS[attack]))
    assert score_submission(cheater, n=N, seed=SEED)["accuracy"] == 1.0


def test_without_a_secret_anyone_can_rebuild_the_split(practice_split, tmp_path):
    """Practice mode is what the scorer says it is: reproducible, labels included."""
    row = score_file(_write(tmp_path, "rebuild", REBUILD_THE_DATA), practice_split, time_limit=120)
    assert row["accuracy"] >= 0.9 and not row["secret"]


def test_the_secret_hides_the_data_and_the_split(secret_split, practice_split):
    assert held_out_seeds(SEED) == (SEED, SEED) and held_out_seeds(SEED, "") == (SEED, SEED)
    seeds = held_out_seeds(SEED, SECRET)
    assert seeds == held_out_seeds(SEED, SECRET) != held_out_seeds(SEED, SECRET + "!")
    assert seeds != held_out_seeds(SEED + 1, SECRET) and 0 <= seeds[1] < 2**32
    public = {signal.tobytes() for signal in load_data("synthetic", n=N, seed=SEED).signals}
    assert not public & {signal.tobytes() for signal in secret_split.test.signals}
    assert {signal.tobytes() for signal in practice_split.test.signals} <= public
    # the same arguments and secret give the same split: one split grades a whole class alike
    again = held_out_split("synthetic", n=N, seed=SEED, secret=SECRET)
    assert np.array_equal(again.test.signals, secret_split.test.signals)
    assert np.array_equal(again.test.labels, secret_split.test.labels)


def test_the_child_gets_no_test_labels_and_no_secret(secret_split, tmp_path, monkeypatch):
    with np.load(write_inputs(secret_split, tmp_path / INPUTS_FILE), allow_pickle=False) as saved:
        assert sorted(saved.files) == ["fs", "test_signals", "train_labels", "train_signals", "val_labels",
                                       "val_signals"]
        assert len(saved["test_signals"]) == len(secret_split.test)
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    spy = HONEST.replace("class NearestCentroid:", textwrap.dedent(f"""
        import os
        import sys
        from pathlib import Path

        if {SECRET!r} in " ".join([*os.environ.values(), *sys.argv]):
            raise RuntimeError("the child can see the secret")
        with np.load(Path.cwd().parent / "inputs.npz") as saved:
            if saved.files != ["train_signals", "train_labels", "val_signals", "val_labels", "test_signals", "fs"]:
                raise RuntimeError(f"the child can see {{saved.files}}")


        class NearestCentroid:"""))
    assert score_file(_write(tmp_path, "spy", spy), secret_split, time_limit=120)["accuracy"] > 0


@pytest.mark.parametrize("exit_call", ["sys.exit(0)", "os._exit(0)"])
def test_exiting_in_fit_is_a_submission_error(exit_call, tmp_path, capsys):
    source = HONEST.replace("        (inputs, labels), _ = train", f"        import os, sys\n        {exit_call}\n"
                                                                  "        (inputs, labels), _ = train")
    with pytest.raises(SystemExit) as exit_info:
        main(["score", _write(tmp_path, "quitter", source), "--n", str(N), "--seed", str(SEED)])
    printed = capsys.readouterr()
    assert exit_info.value.code == 3 and "|" not in printed.out  # no leaderboard row
    assert "submission error (exit 3)" in printed.err
    expected = "called sys.exit(0)" if exit_call == "sys.exit(0)" else "exited with code 0 before writing"
    assert expected in printed.err


def test_an_endless_loop_is_stopped_at_the_time_limit(tmp_path, capsys):
    source = HONEST.replace("        (inputs, labels), _ = train", "        while True:\n            pass\n"
                                                                  "        (inputs, labels), _ = train")
    start = time.perf_counter()
    with pytest.raises(SystemExit) as exit_info:
        main(["score", _write(tmp_path, "endless", source), "--n", str(N), "--time-limit", "6"])
    assert exit_info.value.code == 4 and time.perf_counter() - start < 6 + 30
    printed = capsys.readouterr()
    assert "|" not in printed.out and "time-out (exit 4)" in printed.err
    assert "did not finish within the time limit of 6 s" in printed.err


def test_deleting_files_does_not_change_the_score(secret_split, tmp_path, monkeypatch):
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "grades.csv").write_text("alice,A\n")
    monkeypatch.chdir(teacher)  # the folder the teacher grades from
    deleter = textwrap.dedent("""
        import os
        import shutil
        from pathlib import Path

        for name in ("grades.csv", "inputs.npz", "../inputs.npz"):  # relative paths: the child's folder
            if os.path.exists(name):
                os.remove(name)
        shutil.rmtree(Path.cwd().parent)  # the whole folder the scorer shares with the child
        """) + HONEST
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    honest = score_file(_write(submissions, "honest", HONEST), secret_split, time_limit=120)
    deleting = score_file(_write(submissions, "deleter", deleter), secret_split, time_limit=120)
    assert (teacher / "grades.csv").read_text() == "alice,A\n"
    assert deleting["accuracy"] == honest["accuracy"] > 0.4 and deleting["macro_f1"] == honest["macro_f1"]


def test_the_baseline_scores_as_in_process(tmp_path):
    """No secret: the isolated scorer splits as score_submission does, and scores alike."""
    baseline = str(ASSIGNMENTS / "baseline.py")
    isolated = score_file(baseline, held_out_split("synthetic", n=120, seed=1), time_limit=300)
    in_process = score_submission(load_submission(baseline), n=120, seed=1)
    for key in ("accuracy", "macro_f1", "majority_baseline", "train_size", "validation_size", "test_size"):
        assert isolated[key] == in_process[key], key
    assert isolated["name"] == "SpectrumLogisticRegression"
    assert isolated["accuracy"] > isolated["majority_baseline"] + 0.1


def test_bad_probabilities_are_checked_by_the_scorer(tmp_path, capsys):
    source = HONEST.replace("return np.eye(4)[distances.argmin(axis=1)]", "return np.ones((len(x), 4))")
    with pytest.raises(SystemExit) as exit_info:
        main(["score", _write(tmp_path, "unnormalised", source), "--n", str(N)])
    assert exit_info.value.code == 3
    assert "every row must sum to 1" in capsys.readouterr().err


def test_a_folder_gives_one_leaderboard(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    _write(tmp_path, "alice", HONEST)
    _write(tmp_path, "bob", HONEST.replace("return np.eye(4)", "return 1 / 0\n        return np.eye(4)"))
    (tmp_path / "notes.txt").write_text("not a submission")
    with pytest.raises(SystemExit) as exit_info:
        main(["score", str(tmp_path), "--n", str(N), "--seed", str(SEED)])
    printed = capsys.readouterr()
    assert exit_info.value.code == 3  # the worst status of the folder
    rows = [line for line in printed.out.splitlines() if line.startswith("| alice")]
    assert len(rows) == 1 and "| alice.py: NearestCentroid | synthetic, seed 5, secret split |" in rows[0]
    assert "bob" not in printed.out and "practice mode" not in printed.err
    assert "bob.py: submission error (exit 3): NearestCentroid.predict_proba raised ZeroDivision" in printed.err
    assert "scored 1 of 2 submissions" in printed.err


def test_usage_errors_and_scorer_failures(tmp_path, capsys, monkeypatch):
    honest = _write(tmp_path, "honest", HONEST)
    for arguments in (["--time-limit", "0"], ["--data", "nowhere"], ["--n", "6"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["score", honest, *arguments])
        assert exit_info.value.code == 2, arguments
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as exit_info:
        main(["score", str(tmp_path / "empty")])
    assert exit_info.value.code == 2
    capsys.readouterr()

    def broken_disk(split, path):
        raise OSError("No space left on device")

    monkeypatch.setattr(ecgkeras.assignment, "write_inputs", broken_disk)
    with pytest.raises(SystemExit) as exit_info:
        main(["score", honest, "--n", str(N)])
    assert exit_info.value.code == 5
    assert "scorer failure (exit 5): OSError: No space left on device" in capsys.readouterr().err
