"""Chapters 9, 10 and 12 read the committed results: without a clone and without network they stop
at the first cell that needs them, with one message that says what is missing and how to get it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def offline_cell(cache: Path) -> nbformat.NotebookNode:
    """Run first: no clone (repository_root None), an empty cache, a repository URL that refuses."""
    return nbformat.v4.new_code_cell(
        "import os\n"
        "import ecgkeras.config\n"
        f"os.environ['ECGKERAS_CACHE_DIR'] = {str(cache)!r}\n"
        "os.environ.pop('ECGKERAS_MENDELEY_DIR', None)\n"
        "os.environ['ECGKERAS_QUICK'] = '1'\n"
        "ecgkeras.config.repository_root = lambda: None\n"
        "ecgkeras.config.REPOSITORY = 'http://127.0.0.1:9/ecgkeras'\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize("chapter", ["09_complementary_domains", "10_is_the_gain_real", "12_study_reproduced"])
def test_chapter_stops_with_one_clear_message_without_the_results(chapter, tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(NOTEBOOKS / f"{chapter}.ipynb", as_version=4)
    notebook.cells.insert(0, offline_cell(tmp_path / "cache"))
    first_reader = next(i for i, cell in enumerate(notebook.cells)
                        if cell.cell_type == "code" and ("published_folder(" in cell.source
                                                         or "published_results(" in cell.source))
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError) as failure:
        client.execute()
    failed = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
              and any(output.get("output_type") == "error" for output in cell.get("outputs", []))]
    assert failed == [first_reader], "the first cell that reads the results is the one that stops"
    message = str(failure.value)
    assert "PublishedResultsUnavailable" in message and "is not available" in message
    for hint in ("clone", "ECGKERAS_CACHE_DIR", "ecgkeras.config.REPOSITORY"):
        assert hint in message
    print(message.splitlines()[-1][:600])
