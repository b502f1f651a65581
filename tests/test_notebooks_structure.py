"""Every chapter has the book's shape: Colab install cell, environment cell, exercises with solutions.

These checks read the committed notebooks; executing them is nbval's job (``make test``).
"""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "_config.yml").read_text())
TOC = yaml.safe_load((REPO / "_toc.yml").read_text())
CHAPTERS = [entry["file"] for part in TOC["parts"] for entry in part["chapters"]]
NOTEBOOKS = [REPO / f"{name}.ipynb" for name in CHAPTERS if (REPO / f"{name}.ipynb").exists()]


def test_every_toc_entry_exists():
    for name in CHAPTERS:
        assert (REPO / f"{name}.ipynb").exists() or (REPO / f"{name}.md").exists(), name


def test_every_notebook_is_in_the_toc():
    listed = {(REPO / f"{name}.ipynb").resolve() for name in CHAPTERS}
    assert set((REPO / "notebooks").glob("*.ipynb")) <= listed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_cell_installs_from_the_configured_repository_only_in_colab(path):
    cell = nbformat.read(path, as_version=4).cells[0]
    repository = CONFIG["repository"]
    assert cell.cell_type == "code"
    assert "remove-cell" in cell.metadata.get("tags", [])
    assert 'if "google.colab" in sys.modules:' in cell.source
    assert f"git+{repository['url']}@{repository['branch']}" in cell.source
    # the install cell must not pin or upgrade Colab's numpy / TensorFlow / Keras
    install = cell.source.split("%pip install")[1]
    assert "--upgrade" not in install and " -U " not in install and "==" not in install
    assert not any(f" {package}" in install for package in ("numpy", "tensorflow", "keras"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_title_first_then_prerequisites_and_time_then_the_environment(path):
    """The page opens with the chapter's title (the install cell is removed from the page), its
    prerequisites and time to run; the environment print-out follows, its output collapsed."""
    cells = nbformat.read(path, as_version=4).cells
    title = cells[1]
    assert title.cell_type == "markdown" and title.source.startswith("# "), "the title comes first"
    assert "**Prerequisites:**" in title.source and "**Time to run:**" in title.source
    environment = cells[2]
    assert environment.cell_type == "code" and "describe_environment()" in environment.source
    assert "hide-output" in environment.metadata.get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_have_self_checks_and_hidden_solutions(path):
    cells = nbformat.read(path, as_version=4).cells
    assert any(c.cell_type == "markdown" and "## Exercises" in c.source for c in cells)
    exercises = [c for c in cells if c.cell_type == "code" and "..." in c.source and "check_" in c.source]
    solutions = [c for c in cells if "solution" in c.metadata.get("tags", [])]
    assert exercises, "each chapter has at least one exercise with a self-check"
    assert len(solutions) == len(exercises)
    for cell in solutions:
        assert "hide-input" in cell.metadata["tags"] and "check_" in cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_with_outputs_and_no_errors(path):
    cells = nbformat.read(path, as_version=4).cells
    code = [c for c in cells[1:] if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "commit executed notebooks (make notebooks)"
    for cell in code:
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", [])), cell.source[:80]


#: Characters that fit on one line of a code or output box of the rendered book in a 1280 px wide
#: window (measured in headless chromium: a 652 px box of 14 px monospace, 8.43 px a character).
#: The README's notes for contributors use the same number.
CODE_WIDTH = 77
#: A hidden solution's box (behind its toggle) is 18 px narrower: two characters fewer.
SOLUTION_WIDTH = CODE_WIDTH - 2
#: Most lines a visible code cell may have (a hidden solution may be longer).
CELL_LINES = 30
#: The chapters that write their Keras models on the page.
KERAS_CHAPTERS = ["04_time_1d_cnn", "05_scalogram_2d_cnn", "06_spectrum_transformer",
                  "07_hybrid_fusion", "08_beyond_concatenation"]


def _shown_code_cells(name):
    cells = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4).cells
    return [c for c in cells if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])]


@pytest.mark.parametrize("name", [path.stem for path in NOTEBOOKS])
def test_code_fits_the_code_box(name):
    too_wide = [line for cell in _shown_code_cells(name) for line in cell.source.splitlines()
                if len(line) > (SOLUTION_WIDTH if "hide-input" in cell.metadata.get("tags", []) else CODE_WIDTH)]
    assert not too_wide, f"{len(too_wide)} code lines wider than the code box, e.g. {too_wide[:3]}"
    too_long = [cell.source.splitlines()[0] for cell in _shown_code_cells(name)
                if "hide-input" not in cell.metadata.get("tags", [])
                and len(cell.source.splitlines()) > CELL_LINES]
    assert not too_long, f"visible code cells longer than {CELL_LINES} lines, starting: {too_long}"


@pytest.mark.parametrize("name", KERAS_CHAPTERS)
def test_keras_chapters_write_their_models_with_keras_layers(name):
    """The model a chapter reports is built by visible cells tagged keras-model (tests/test_book_keras.py
    compares them with the package), and the chapter has an exercise in which the student writes layers."""
    cells = _shown_code_cells(name)
    definitions = [c for c in cells if "keras-model" in c.metadata.get("tags", [])]
    assert definitions and not any("hide-input" in c.metadata.get("tags", []) for c in definitions)
    source = "\n".join(c.source for c in definitions)
    assert "keras.Model(" in source and "layers." in source
    exercises = [c for c in cells if "..." in c.source and "check_" in c.source]
    assert any("def " in c.source or "keras.Model" in c.source for c in exercises), \
        "an exercise in which the student writes a model or a block"


@pytest.mark.parametrize("name", KERAS_CHAPTERS)
def test_training_logs_are_short(name):
    """At most about 15 lines of log per training run on the page (EpochLog ends each run with a
    line "N epochs, ... lowest val_loss ...")."""
    runs = 0
    for cell in _shown_code_cells(name):
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        for run in re.split(r"^\d+ epochs, .*lowest val_loss.*$", text, flags=re.M)[:-1]:
            runs += 1
            epoch_lines = [line for line in run.splitlines() if re.match(r"^(epoch\s+\d+:|Epoch \d+/)", line)]
            assert 1 <= len(epoch_lines) <= 13, f"{len(epoch_lines)} epoch lines in one run: {cell.source[:60]!r}"
    assert runs, "the chapter trains at least one model on the page"


@pytest.mark.parametrize("name", [path.stem for path in NOTEBOOKS])
def test_every_figure_is_captioned_and_named(name):
    """A cell that draws shows one image, captioned and numbered by myst-nb:
    cell metadata {"mystnb": {"figure": {"caption": ..., "name": "fig-..."}}}."""
    cells = _shown_code_cells(name)
    names = []
    for cell in cells:
        images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        if not images:
            continue
        figure = cell.metadata.get("mystnb", {}).get("figure", {})
        assert len(images) == 1, f"one figure per cell (split the cell): {cell.source[:60]!r}"
        assert figure.get("caption", "").strip() and figure.get("name", "").startswith("fig-"), \
            f"figure without caption or name: {cell.source[:60]!r}"
        names.append(figure["name"])
    assert len(names) == len(set(names)), "figure names are unique"


@pytest.mark.parametrize("name", [path.stem for path in NOTEBOOKS])
def test_every_exercise_is_answered(name):
    """Code exercises have a self-check (and a hidden solution); discussion exercises have hidden
    answer notes: a dropdown admonition titled "Answer notes" before the next exercise."""
    cells = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4).cells
    start = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and "## Exercises" in c.source)
    exercises = []  # (number, cells up to the next exercise)
    for cell in cells[start:]:
        found = re.findall(r"\*\*(\d+\.\d+) ", cell.source) if cell.cell_type == "markdown" else []
        for number in found:
            exercises.append((number, []))
        if exercises:
            exercises[-1][1].append(cell)
    assert exercises
    for number, block in exercises:
        checked = any(c.cell_type == "code" and "check_" in c.source for c in block)
        notes = any(c.cell_type == "markdown" and "Answer notes" in c.source and ":class: dropdown" in c.source
                    for c in block)
        assert checked or notes, f"exercise {number} has neither a self-check nor answer notes"


@pytest.mark.parametrize("name", [path.stem for path in NOTEBOOKS])
def test_summary_quotes_glued_numbers(name):
    """The summary answers the chapter's question with numbers glued from the outputs."""
    cells = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4).cells
    summary = [c for c in cells if c.cell_type == "markdown" and "## Summary" in c.source]
    assert summary and "{glue:" in summary[0].source
    assert any(c.cell_type == "code" and "glue(" in c.source for c in cells)
