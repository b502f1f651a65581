"""Every chapter has the book's shape: Colab install cell, environment cell, exercises with solutions.

These checks read the committed notebooks; executing them is nbval's job (``make test``).
"""

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
def test_second_cell_prints_versions_mode_and_gpu(path):
    cell = nbformat.read(path, as_version=4).cells[1]
    assert "describe_environment()" in cell.source


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
