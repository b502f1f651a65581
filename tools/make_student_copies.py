"""Write a student copy of every chapter: solutions removed, outputs cleared.

Chapter: instructors' page. Every chapter ends with exercises: a code cell with a ``...``
placeholder and a self-check (``check_*``), followed by its solution, a cell tagged
``["hide-input", "solution"]``. A student copy drops the solution cells and clears all outputs
and execution counts; everything else (the Colab install cell, the exercise cells, the prose,
the notebook's metadata) is kept, so the copy runs in Colab as the chapter does.

Usage: python tools/make_student_copies.py [--out _build/student]
Writes OUT/notebooks/<chapter>.ipynb for every notebook listed in _toc.yml.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat
import yaml

REPO = Path(__file__).resolve().parents[1]

#: Cell tags that mark an answer; a student copy drops these cells. (The chapters use only
#: "solution"; "hide-input" also hides figure code, so it is not an answer tag by itself.)
ANSWER_TAGS = frozenset({"solution"})


def chapters(repo: Path = REPO) -> list[str]:
    """The notebook chapters of ``_toc.yml``, in book order, e.g. ``"notebooks/02_three_views"``."""

    def files(entries):
        for entry in entries or []:
            if "file" in entry:
                yield entry["file"]
            yield from files(entry.get("sections"))

    toc = yaml.safe_load((repo / "_toc.yml").read_text())
    entries = [entry for part in toc.get("parts", []) for entry in part.get("chapters", [])]
    entries += toc.get("chapters", [])
    return [name for name in files(entries) if (repo / f"{name}.ipynb").is_file()]


#: A discussion exercise's hidden answer notes: a Markdown cell that starts with this admonition.
ANSWER_NOTES = "```{admonition} Answer notes"


def is_answer(cell) -> bool:
    """True for a cell that reveals an answer: tagged with one of ``ANSWER_TAGS``, or a
    discussion exercise's answer notes (a Markdown cell starting with ``ANSWER_NOTES``)."""
    if cell.cell_type == "markdown" and cell.source.lstrip().startswith(ANSWER_NOTES):
        return True
    return bool(ANSWER_TAGS & set(cell.metadata.get("tags", [])))


def make_student_copy(notebook):
    """A copy of ``notebook`` (an nbformat v4 notebook) without answers (solutions, answer notes) or outputs.

    Cells tagged with ``ANSWER_TAGS`` are dropped; code cells lose their outputs, execution
    counts and execution timings. The notebook itself is not changed.
    """
    student = copy.deepcopy(notebook)
    student.cells = [cell for cell in student.cells if not is_answer(cell)]
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    return student


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(REPO / "_build" / "student"),
                        help="output folder (default _build/student)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    names = chapters()
    for name in names:
        notebook = nbformat.read(REPO / f"{name}.ipynb", as_version=4)
        student = make_student_copy(notebook)
        target = out / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student, target)
        print(f"{name}: removed {len(notebook.cells) - len(student.cells)} solution cell(s), "
              f"kept {len(student.cells)} -> {target}")
    print(f"wrote {len(names)} student copies to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
