"""How long each chapter takes to run, measured, not guessed (the numbers of book/instructors.md).

Full mode: read from the committed notebooks. `jupyter execute` (and `make notebooks`) records, in
each code cell's metadata, when the cell started (`iopub.execute_input`) and when its reply came
(`shell.execute_reply`); the committed outputs are full-mode outputs, so the span from the first
cell's start to the last cell's reply is the chapter's full-mode run time (kernel start-up, a few
seconds, not included). The mode each notebook was run in is read from its environment cell.

Quick mode (ECGKERAS_QUICK=1), two ways:
  --durations LOG   a pytest log made with `--durations=0` (e.g.
                    `ECGKERAS_QUICK=1 pytest --nbval-lax notebooks --durations=0 | tee LOG`):
                    the setup, call and teardown times of each notebook's cells are added up
                    (nbval starts the kernel in the first cell's setup, so start-up is included).
  --quick           executes each chapter here, in quick mode, in memory (nbclient; nothing is
                    written, the committed notebook is untouched) and times it, kernel start-up
                    included. Slow on a busy CPU: give chapter paths to time only some.

Usage:
  python tools/chapter_times.py                         # every notebooks/*.ipynb, full mode
  python tools/chapter_times.py --durations pytest.log  # plus a quick-mode column from pytest
  python tools/chapter_times.py --quick notebooks/04_time_1d_cnn.ipynb
Prints a markdown table, one row per chapter.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def parse_time(stamp: str) -> datetime:
    """An ISO timestamp as Jupyter writes it ('2026-11-25T06:22:45.391358Z')."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def title_of(nb) -> str:
    """The chapter's title: its first level-1 markdown heading, without the number."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.MULTILINE)
            if match:
                return match.group(1).strip()
    return "(untitled)"


def mode_of(nb) -> str:
    """'full' or 'quick' as printed by the chapter's environment cell, '?' if not found."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            match = re.search(r"^mode: (\w+)", output.get("text", ""), flags=re.MULTILINE)
            if match:
                return match.group(1)
    return "?"


def cell_timing(nb) -> dict | None:
    """Span, executed cells and slowest cell of a notebook's recorded execution; None if none.

    Returns dict with 'seconds' (first cell's start to last cell's reply), 'cells' (code cells
    with timestamps / all code cells), 'slowest' (seconds, index of the cell in the notebook)
    and 'date' (day of the run).
    """
    starts, ends, slowest = [], [], (0.0, None)
    code_cells = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        code_cells += 1
        execution = cell.metadata.get("execution", {})
        start = execution.get("iopub.execute_input") or execution.get("iopub.status.busy")
        end = execution.get("shell.execute_reply") or execution.get("iopub.status.idle")
        if not (start and end):
            continue
        start, end = parse_time(start), parse_time(end)
        starts.append(start)
        ends.append(end)
        seconds = (end - start).total_seconds()
        if seconds > slowest[0]:
            slowest = (seconds, index)
    if not starts:
        return None
    return {"seconds": (max(ends) - min(starts)).total_seconds(),
            "cells": f"{len(starts)}/{code_cells}", "slowest": slowest,
            "date": min(starts).date().isoformat()}


def pytest_durations(log: Path) -> dict[str, float]:
    """Seconds per notebook (file name) summed over the lines of a pytest `--durations` report."""
    pattern = re.compile(r"^\s*([\d.]+)s\s+(?:setup|call|teardown)\s+(\S*?\.ipynb)::")
    totals: dict[str, float] = {}
    for line in log.read_text(errors="replace").splitlines():
        match = pattern.match(line)
        if match:
            name = Path(match.group(2)).name
            totals[name] = totals.get(name, 0.0) + float(match.group(1))
    return totals


def run_quick(path: Path, timeout: int) -> float:
    """Execute a copy of the notebook in memory with ECGKERAS_QUICK=1; wall seconds, start-up included."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    previous = {name: os.environ.get(name) for name in ("ECGKERAS_QUICK", "TF_CPP_MIN_LOG_LEVEL")}
    os.environ["ECGKERAS_QUICK"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        start = time.perf_counter()
        # the kernel runs in the notebook's folder, as with `jupyter execute` and jupyter-book
        NotebookClient(nb, timeout=timeout, resources={"metadata": {"path": str(path.parent)}}).execute()
        return time.perf_counter() - start
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "not measured"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="chapters to report (default: every notebooks/*.ipynb)")
    parser.add_argument("--durations", type=Path, help="a pytest log with --durations=0 (quick mode)")
    parser.add_argument("--quick", action="store_true",
                        help="execute each chapter here in quick mode and time it (slow)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell with --quick")
    args = parser.parse_args(argv)

    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    durations = pytest_durations(args.durations) if args.durations else {}
    quick_column = bool(args.durations or args.quick)

    header = "| chapter | full mode, CPU | slowest cell | run on |"
    rule = "|---|---|---|---|"
    if quick_column:
        header += " quick mode, CPU |"
        rule += "---|"
    print(header)
    print(rule)
    total_full, total_quick = 0.0, 0.0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        timing = cell_timing(nb)
        mode = mode_of(nb)
        if timing is None:
            full, slowest, when = "not measured (no outputs)", "", ""
        else:
            full = format_seconds(timing["seconds"])
            if mode != "full":
                full += f" (outputs in {mode} mode!)"
            else:
                total_full += timing["seconds"]
            seconds, index = timing["slowest"]
            slowest = f"{format_seconds(seconds)} (cell {index})" if index is not None else ""
            when = timing["date"]
            if timing["cells"].split("/")[0] != timing["cells"].split("/")[1]:
                when += f", {timing['cells']} cells timed"
        row = f"| {title_of(nb)} | {full} | {slowest} | {when} |"
        if quick_column:
            if args.quick:
                print(f"running {path.name} in quick mode ...", file=sys.stderr, flush=True)
                quick = run_quick(path, args.timeout)
            else:
                quick = durations.get(path.name)
            total_quick += quick or 0.0
            row += f" {format_seconds(quick)} |"
        print(row)
    total = f"| **all chapters** | {format_seconds(total_full or None)} | | |"
    if quick_column:
        total += f" {format_seconds(total_quick or None)} |"
    print(total)
    print("\nFull mode: first cell's start to last cell's reply, from the committed notebooks' "
          "execution metadata (kernel start-up not included).", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
