"""Student copies (tools/make_student_copies.py): no solutions, no outputs, still runnable."""

import ast
import importlib.util
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_student_copies", REPO / "tools" / "make_student_copies.py")
students = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(students)

CHAPTERS = students.chapters()
#: The fastest chapters (no training, ~20 s each in quick mode): the first two in the toc are executed.
FAST_CHAPTERS = [name for name in ("notebooks/09_complementary_domains", "notebooks/10_is_the_gain_real",
                                   "notebooks/02_three_views", "notebooks/03_duplicates_splits_balance")
                 if name in CHAPTERS][:2]


def _exercises(cells):
    return [c for c in cells if c.cell_type == "code" and "..." in c.source and "check_" in c.source]


def _python(source: str) -> ast.Module:
    from IPython.core.inputtransformer2 import TransformerManager  # turns %pip and friends into Python

    return ast.parse(TransformerManager().transform_cell(source))


def _names(cell, context) -> set[str]:
    tree = _python(cell.source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}
    if context is ast.Store:
        names |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        names |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
                  if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    return names


@pytest.fixture(scope="module", params=CHAPTERS)
def chapter(request):
    original = nbformat.read(REPO / f"{request.param}.ipynb", as_version=4)
    return original, students.make_student_copy(original)


def test_the_toc_has_chapters():
    assert len(CHAPTERS) >= 9 and len(FAST_CHAPTERS) == 2


def test_no_solution_and_no_output(chapter):
    original, student = chapter
    assert not any("solution" in c.metadata.get("tags", []) for c in student.cells)
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None and "execution" not in cell.metadata
    assert any("solution" in c.metadata.get("tags", []) for c in original.cells), "the original is unchanged"
    assert student.metadata == original.metadata


def test_exercises_and_first_cells_are_kept(chapter):
    original, student = chapter
    assert len(_exercises(student.cells)) == len(_exercises(original.cells)) >= 1
    for kept, source in zip(student.cells[:2], original.cells[:2]):
        assert kept.source == source.source and kept.metadata.get("tags") == source.metadata.get("tags")
    kept = [c.source for c in original.cells if not students.is_answer(c)]
    assert [c.source for c in student.cells] == kept, "every other cell is kept, in order"


def test_no_solution_text_left(chapter):
    original, student = chapter
    solutions = [c.source for c in original.cells if students.is_answer(c)]
    others = "\n".join(c.source for c in original.cells if not students.is_answer(c))
    # lines that only a solution contains (not a shared "check_...(...)" call or a blank line)
    revealing = {line.strip() for source in solutions for line in source.splitlines()
                 if len(line.strip()) > 3 and line.strip() not in others}
    for cell in student.cells:
        assert not any(solution in cell.source for solution in solutions)
        assert not revealing & {line.strip() for line in cell.source.splitlines()}


def test_later_cells_do_not_need_a_solution(chapter):
    """A name defined only by a solution cell and read by a later cell breaks the student copy."""
    original, _ = chapter
    defined_elsewhere = set().union(*(_names(c, ast.Store) for c in original.cells
                                      if c.cell_type == "code" and not students.is_answer(c)))
    only_in_solutions = set()
    for cell in original.cells:
        if cell.cell_type != "code":
            continue
        if students.is_answer(cell):
            only_in_solutions |= _names(cell, ast.Store) - defined_elsewhere
        else:
            needed = _names(cell, ast.Load) & only_in_solutions
            assert not needed, f"{sorted(needed)} come from a solution cell: {cell.source[:80]!r}"


def test_main_writes_every_chapter(tmp_path, capsys):
    assert students.main(["--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for name in CHAPTERS:
        copy = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
        nbformat.validate(copy)
        assert not any(students.is_answer(c) for c in copy.cells)
        assert f"{name}: removed" in printed


@pytest.mark.slow
@pytest.mark.parametrize("name", FAST_CHAPTERS)
def test_student_copy_runs_with_the_placeholders(name, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("ECGKERAS_QUICK", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    student = students.make_student_copy(nbformat.read(REPO / f"{name}.ipynb", as_version=4))
    NotebookClient(student, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    outputs = [o for c in student.cells if c.cell_type == "code" for o in c.outputs]
    assert not any(o.output_type == "error" for o in outputs)
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert printed.count("Not yet:") >= len(_exercises(student.cells)), "each self-check says: not yet"


def test_answer_notes_of_discussion_exercises_are_removed():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("**3.3 (discussion) Returning patients.** Argue both sides."),
        nbformat.v4.new_markdown_cell("```{admonition} Answer notes\n:class: dropdown\nA good answer...\n```"),
        nbformat.v4.new_markdown_cell("**3.4 Next.**"),
    ]
    student = students.make_student_copy(notebook)
    assert [c.source for c in student.cells] == [notebook.cells[0].source, notebook.cells[2].source]
