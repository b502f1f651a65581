"""Docstrings name the chapters that use a function; those chapters must call or show it.

A public function's or class's docstring in ``ecgkeras`` says which chapter explains it
("Chapter 3.", "(chapters 4-7)"). When a chapter stops using a function, or a docstring names
the wrong chapter, this test fails with the docstring and the chapter, so that a reader who
follows the pointer finds the function on that page (issue 14: drift caught by the build).
Module docstrings may speak of chapters more loosely and are not checked.
"""

import ast
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHAPTER_MENTION = re.compile(r"\b[Cc]hapters?\s+(\d+(?:\s*(?:-|–|,|and|or)\s*\d+)*)")


def chapter_numbers(text: str) -> set[int]:
    """Every chapter number a text names: "chapters 4-6 and 8" -> {4, 5, 6, 8}."""
    numbers = set()
    for mention in CHAPTER_MENTION.finditer(text):
        listed = mention.group(1)
        for first, last in re.findall(r"(\d+)\s*[-–]\s*(\d+)", listed):
            numbers |= set(range(int(first), int(last) + 1))
        numbers |= {int(number) for number in re.findall(r"\d+", listed)}
    return numbers


def chapter_sources() -> dict[int, str]:
    sources = {}
    for notebook in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        sources[int(notebook.name[:2])] = "\n".join("".join(cell["source"]) for cell in cells)
    return sources


def documented_names():
    """(module path, name, docstring) of every public top-level function and class."""
    for path in sorted((REPO / "ecgkeras").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                yield path.relative_to(REPO), node.name, ast.get_docstring(node) or ""


def test_chapter_numbers_reads_lists_and_ranges():
    assert chapter_numbers("Chapters 4-6 (one view), chapter 8 and chapters 9, 10") == {4, 5, 6, 8, 9, 10}
    assert chapter_numbers("Chapters 1 and 12.") == {1, 12}
    assert chapter_numbers("no pointer here; see section 3") == set()


def test_every_chapter_a_docstring_names_calls_or_shows_the_function():
    sources = chapter_sources()
    if not sources:
        pytest.skip("no chapters under notebooks/")
    checked, wrong = 0, []
    for path, name, docstring in documented_names():
        text = docstring.split("Args:")[0]  # the explanation, not the arguments' notes
        for chapter in sorted(chapter_numbers(text) & sources.keys()):
            checked += 1
            if not re.search(rf"\b{re.escape(name)}\b", sources[chapter]):
                wrong.append(f"{path}: {name}'s docstring names chapter {chapter}, which neither calls nor shows it")
    assert checked > 50, f"only {checked} chapter pointers found; is the pattern still right?"
    assert not wrong, "fix the docstring or the chapter:\n" + "\n".join(wrong)
