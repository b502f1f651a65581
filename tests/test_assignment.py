"""The assignment scorer: group-aware held-out split, clear errors, the baseline beats the majority."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ecgkeras.assignment import (LEADERBOARD_HEADER, SubmissionError, leaderboard_row, load_submission,
                                 score_submission)
from ecgkeras.cli import main
from ecgkeras.data.synthetic import make_dataset

ASSIGNMENTS = Path(__file__).resolve().parents[1] / "assignments"


@pytest.fixture(scope="module")
def small():
    """80 synthetic ECGs, each present twice (copies share a group, as duplicates of the real set)."""
    data = make_dataset(80, seed=3)
    twice = np.repeat(np.arange(len(data)), 2)
    return replace(data, signals=data.signals[twice], labels=data.labels[twice], groups=data.groups[twice],
                   rhythm=None if data.rhythm is None else data.rhythm[twice])


class Recorder:
    """A fake submission that keeps what it is given and answers uniform probabilities."""

    views = ("time",)
    seen = {}

    def fit(self, train, validation):
        Recorder.seen.update(train=train, validation=validation)

    def predict_proba(self, inputs):
        Recorder.seen["test"] = inputs
        return np.full((len(inputs["time"]), 4), 0.25)


def _rows(inputs) -> set[bytes]:
    return {row.tobytes() for row in inputs["time"]}


def test_fit_never_sees_a_test_ecg(small):
    row = score_submission(Recorder, data=small, seed=0)
    seen = Recorder.seen
    (train_inputs, train_labels), (val_inputs, val_labels) = seen["train"], seen["validation"]
    assert set(seen["test"]) == set(train_inputs) == {"time"}, "only the views the class asks for"
    assert train_inputs["time"].dtype == np.float32 and train_inputs["time"].ndim == 3
    assert train_labels.dtype.kind == "i" and set(np.unique(train_labels)) == {0, 1, 2, 3}
    assert len(seen["test"]["time"]) == row["test_size"] > 0
    # every ECG is in the data twice: a split of files would put copies of test ECGs in training
    test = _rows(seen["test"])
    assert not test & _rows(train_inputs) and not test & _rows(val_inputs)
    assert len(val_labels) == len(val_inputs["time"]) > 0
    assert row["accuracy"] == pytest.approx(row["majority_baseline"], abs=0.2)  # uniform answers


def test_the_baseline_beats_the_majority_class():
    baseline = load_submission(str(ASSIGNMENTS / "baseline.py"))
    row = score_submission(baseline, n=200, seed=0)
    assert row["name"] == "SpectrumLogisticRegression" and row["test_size"] >= 40
    assert row["accuracy"] > row["majority_baseline"] + 0.1 and row["macro_f1"] > 0.35
    line = leaderboard_row(row)
    header = LEADERBOARD_HEADER.split("\n")[0]
    assert line.startswith("| SpectrumLogisticRegression |") and line.count("|") == header.count("|")


def _answering(probabilities):
    class Model:
        views = ("spectrum",)

        def fit(self, train, validation):
            pass

        def predict_proba(self, inputs):
            return probabilities(len(inputs["spectrum"]))

    return Model


@pytest.mark.parametrize("probabilities, message", [
    (lambda n: np.zeros(n, dtype=int), r"shape \(\d+, 4\); got \(\d+,\).*one class per ECG"),
    (lambda n: np.full((n, 3), 1 / 3), r"one column per class"),
    (lambda n: np.full((n, 4), np.nan), r"NaN or inf in \d+ row"),
    (lambda n: np.ones((n, 4)), r"every row must sum to 1.*row 0 sums to 4.*softmax"),
    (lambda n: np.tile([2.0, -1.0, 0.0, 0.0], (n, 1)), r"negative values.*softmax"),
    (lambda n: "not numbers", r"must return a float array"),
])
def test_bad_probabilities_are_named(small, probabilities, message):
    with pytest.raises(SubmissionError, match=message):
        score_submission(_answering(probabilities), data=small)


def test_errors_in_fit_say_where(small):
    class Broken:
        def fit(self, train, validation):
            return 1 / 0

        def predict_proba(self, inputs):
            pass

    with pytest.raises(SubmissionError, match=r"Broken.fit raised ZeroDivisionError.*test_assignment.py, line"):
        score_submission(Broken, data=small, views=("spectrum",))


def test_the_template_says_what_to_write(small):
    template = load_submission(str(ASSIGNMENTS / "template.py"))
    with pytest.raises(SubmissionError, match=r"MyModel.fit is not implemented yet: write fit\(\).*baseline.py"):
        score_submission(template, data=small, views=("spectrum",))


def test_load_submission_finds_the_one_class(tmp_path):
    two = tmp_path / "two.py"
    two.write_text("class A:\n    def fit(self, t, v): pass\n    def predict_proba(self, x): pass\n"
                   "class B(A):\n    pass\nclass Helper:\n    pass\n")
    with pytest.raises(SubmissionError, match=r"found several \(A, B\); name one"):
        load_submission(str(two))
    assert load_submission(f"{two}:B").__name__ == "B"
    with pytest.raises(SubmissionError, match="defines no class C; classes with fit and predict_proba: A, B"):
        load_submission(f"{two}:C")
    (tmp_path / "none.py").write_text("class Helper:\n    pass\n")
    with pytest.raises(SubmissionError, match="found none"):
        load_submission(str(tmp_path / "none.py"))
    (tmp_path / "typo.py").write_text("import numpy as np\nnp.zeros(\n")
    with pytest.raises(SubmissionError, match="importing .*typo.py failed: SyntaxError"):
        load_submission(str(tmp_path / "typo.py"))


def test_cli_prints_a_leaderboard_row(capsys):
    assert main(["score", str(ASSIGNMENTS / "baseline.py"), "--n", "120", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert LEADERBOARD_HEADER in printed
    assert "| SpectrumLogisticRegression | synthetic, seed 1 |" in printed


def test_cli_exits_2_on_a_missing_file_and_3_on_a_template(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["score", str(tmp_path / "nowhere.py")])
    assert exit_info.value.code == 2 and "no file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["score", str(ASSIGNMENTS / "template.py"), "--n", "60"])
    printed = capsys.readouterr()
    assert exit_info.value.code == 3 and "not implemented yet" in printed.err and "|" not in printed.out


def test_sys_exit_in_fit_is_a_submission_error_in_process_too(small):
    class Quitter:
        def fit(self, train, validation):
            raise SystemExit(0)

        def predict_proba(self, inputs):
            pass

    with pytest.raises(SubmissionError, match=r"Quitter.fit called sys.exit\(0\)"):
        score_submission(Quitter, data=small, views=("spectrum",))


def test_unknown_views_are_named(small):
    with pytest.raises(SubmissionError, match=r"Model.views must name one or more of .*'fft'"):
        score_submission(_answering(lambda n: np.full((n, 4), 0.25)), data=small, views=("fft",))
