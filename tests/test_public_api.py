"""The public API that readers use stays put: tests/data/public_api.json (tools/snapshot_public_api.py).

Readers' code (the notebooks' code cells and prose, assignments/*.py, README.md, book/*.md,
assignments/README.md) imports names from ``ecgkeras`` and runs ``ecgkeras <command> --option``.
These tests check that

- every name in the snapshot still imports from the same module path, with the same kind
  (function, class, constant, module) and the same ``inspect.signature`` (for a constant: type);
- every name and module the sources use now is in the snapshot (a new use is snapshotted on purpose);
- every ``ecgkeras`` subcommand, option string and choice in the snapshot still exists, and every
  one the sources use is in the snapshot.

A deliberate API change regenerates the snapshot in the same commit (the command is in the file's
``regenerate`` field); otherwise restore the old import path (e.g. re-export a moved name from its
old module) or the old signature.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT_PATH = REPO / "tests" / "data" / "public_api.json"

_spec = importlib.util.spec_from_file_location("snapshot_public_api", REPO / "tools" / "snapshot_public_api.py")
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)

SNAPSHOT = json.loads(SNAPSHOT_PATH.read_text(encoding="utf-8"))
REGENERATE = SNAPSHOT["regenerate"]
SNAPSHOT_NAMES = {(module, name): entry for module, entries in SNAPSHOT["names"].items()
                  for name, entry in entries.items()}
KNOWN_BROKEN = {(entry["module"], entry["name"]) for entry in SNAPSHOT["known_broken"].values()}
FIX = (f"Fix: restore the old import path or signature (readers' code uses it; a moved name can be "
       f"re-exported from its old module), or, for a deliberate API change that updates the book's "
       f"code too, regenerate the snapshot in the same commit: {REGENERATE}")


@pytest.fixture(scope="module")
def uses() -> dict:
    """What the readers' sources use now (recomputed from the files)."""
    return tool.collect_uses(REPO, known_modules=set(SNAPSHOT["modules"]))


def _where(uses: dict, module: str, name: str = "") -> str:
    places = uses["names"].get((module, name), set()) if name else uses["modules"].get(module, set())
    if not places:
        return "(no longer used by the sources)"
    places = sorted(places)
    return "used in " + ", ".join(places[:6]) + (f" and {len(places) - 6} more" if len(places) > 6 else "")


def _lookup(module: str, name: str):
    """The object, or skip if a third-party dependency of the module is missing here."""
    try:
        return tool.lookup(module, name)
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] != tool.PACKAGE:
            pytest.skip(f"optional dependency {error.name!r} is not installed: cannot import {module}")
        raise


def _describe_now(module: str, name: str) -> dict:
    try:
        return tool.describe(_lookup(module, name))
    except (ImportError, AttributeError) as error:
        return {"kind": "missing", "error": f"{type(error).__name__}: {error}"}


def test_snapshot_is_well_formed():
    assert set(SNAPSHOT) >= {"about", "regenerate", "modules", "names", "known_broken", "cli"}
    assert "tools/snapshot_public_api.py" in SNAPSHOT["regenerate"]
    assert SNAPSHOT_NAMES, "the snapshot lists no names: regenerate it with " + REGENERATE


@pytest.mark.parametrize("module", SNAPSHOT["modules"])
def test_snapshot_module_imports(module, uses):
    try:
        importlib.import_module(module)
        failure = None
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] != tool.PACKAGE:
            pytest.skip(f"optional dependency {error.name!r} is not installed: cannot import {module}")
        failure = f"{type(error).__name__}: {error}"
    if failure:
        pytest.fail(f"`import {module}` fails ({failure}); {_where(uses, module)}.\n{FIX}", pytrace=False)


@pytest.mark.parametrize("module,name", sorted(SNAPSHOT_NAMES), ids=[f"{m}.{n}" for m, n in sorted(SNAPSHOT_NAMES)])
def test_snapshot_name_unchanged(module, name, uses):
    recorded = SNAPSHOT_NAMES[(module, name)]
    now = _describe_now(module, name)
    statement = f"from {module} import {name.split('.')[0]}"
    if now["kind"] == "missing":
        pytest.fail(f"`{statement}` no longer works ({now['error']}); {_where(uses, module, name)}.\n{FIX}",
                    pytrace=False)
    if now["kind"] != recorded["kind"]:
        pytest.fail(f"{module}.{name} was a {recorded['kind']} and is now a {now['kind']}; "
                    f"{_where(uses, module, name)}.\n{FIX}", pytrace=False)
    if recorded["kind"] in ("function", "class") and now.get("signature") != recorded.get("signature"):
        pytest.fail(f"the signature of {module}.{name} changed:\n  snapshot: {recorded.get('signature')}\n"
                    f"  now:      {now.get('signature')}\n{_where(uses, module, name)}.\n{FIX}", pytrace=False)
    if recorded["kind"] == "constant" and now.get("type") != recorded.get("type"):
        pytest.fail(f"{module}.{name} was a {recorded['type']} and is now a {now['type']}; "
                    f"{_where(uses, module, name)}.\n{FIX}", pytrace=False)


def test_sources_parse(uses):
    """Every Python snippet of the sources parses (IPython magics aside): an unparsed cell is not checked."""
    assert uses["snippets"] > 100, f"only {uses['snippets']} Python snippets found: is the source scan broken?"
    if uses["unparsed"]:
        pytest.fail("these code cells or blocks do not parse, so their ecgkeras imports are not checked; fix "
                    "them:\n  " + "\n  ".join(uses["unparsed"]), pytrace=False)


def test_used_names_are_in_the_snapshot(uses):
    problems = []
    for module, name in sorted(uses["names"]):
        if (module, name) in SNAPSHOT_NAMES or (module, name) in KNOWN_BROKEN:
            continue
        now = _describe_now(module, name)
        where = _where(uses, module, name)
        if now["kind"] == "missing":
            problems.append(f"- {module}.{name} does not import ({now['error']}); {where}. Fix the source "
                            f"(use the name's real module path) or the package.")
        else:
            problems.append(f"- {module}.{name} ({now['kind']}) is not in the snapshot; {where}. If it is a new "
                            f"use of a public name, snapshot it: {REGENERATE}. If it is an old name under a "
                            f"new path, restore the old path instead.")
    for module in sorted(uses["modules"]):
        if module not in SNAPSHOT["modules"] and module not in SNAPSHOT["known_broken"]:
            problems.append(f"- module {module} is not in the snapshot; {_where(uses, module)}. If the book "
                            f"now uses a new module, snapshot it: {REGENERATE}.")
    if problems:
        pytest.fail("names the sources use that the snapshot does not know:\n" + "\n".join(problems), pytrace=False)


def test_known_broken_names(uses):
    """Names the sources use that did not import when the snapshot was made (bugs in the sources):
    once fixed, the snapshot is regenerated so that their signatures are recorded."""
    fixed = []
    for dotted, entry in SNAPSHOT["known_broken"].items():
        module, name = entry["module"], entry["name"]
        ok = (tool._is_module(module, set()) if not name
              else _describe_now(module, name)["kind"] != "missing")
        if ok:
            fixed.append(f"- {dotted} now imports: regenerate the snapshot to record it: {REGENERATE}")
        else:
            warnings.warn(f"{dotted} is used in {', '.join(entry['used_in'])} but does not import "
                          f"({entry['error']}): a known bug in the sources", stacklevel=1)
    if fixed:
        pytest.fail("\n".join(fixed), pytrace=False)


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cli_now() -> dict:
    try:
        return tool.cli_spec()
    except ModuleNotFoundError as error:
        pytest.skip(f"cannot import ecgkeras.cli here: {error}")


@pytest.mark.parametrize("command", sorted(SNAPSHOT["cli"]["commands"]))
def test_cli_command_unchanged(command, cli_now):
    recorded = SNAPSHOT["cli"]["commands"][command]
    if command not in cli_now:
        pytest.fail(f"`ecgkeras {command}` is gone from ecgkeras.cli.build_parser() (it has: "
                    f"{', '.join(sorted(cli_now))}).\n{FIX}", pytrace=False)
    now = cli_now[command]
    gone = sorted(set(recorded["options"]) - set(now["options"]))
    if gone:
        pytest.fail(f"`ecgkeras {command}` lost option(s) {', '.join(gone)} (now: {', '.join(now['options'])})."
                    f"\n{FIX}", pytrace=False)
    for key, choices in recorded["choices"].items():
        lost = sorted(set(choices) - set(now["choices"].get(key, [])))
        if lost:
            pytest.fail(f"`ecgkeras {command}` {key} no longer accepts {', '.join(lost)} "
                        f"(now: {now['choices'].get(key)}).\n{FIX}", pytrace=False)
    if len(now["positionals"]) != len(recorded["positionals"]):
        pytest.fail(f"`ecgkeras {command}` takes positionals {now['positionals']}, the snapshot "
                    f"{recorded['positionals']}.\n{FIX}", pytrace=False)


def test_cli_uses_are_in_the_snapshot(uses, cli_now):
    commands = SNAPSHOT["cli"]["commands"]
    problems = []
    for (command, word), places in sorted(uses["cli"].items()):
        where = "used in " + ", ".join(sorted(places)[:4])
        shown = f"`ecgkeras {command}{' ' + word if word else ''}`"
        if command not in commands:
            problems.append(f"- {shown}: no command {command!r} in the snapshot; {where}")
        elif word.startswith("--"):
            if word not in commands[command]["options"]:
                problems.append(f"- {shown}: no option {word} in the snapshot; {where}")
        elif word and commands[command]["choices"]:
            positional_choices = {c for key, cs in commands[command]["choices"].items()
                                  if not key.startswith("-") for c in cs}
            if positional_choices and word not in positional_choices:
                problems.append(f"- {shown}: {word!r} is not one of {sorted(positional_choices)}; {where}")
        if command in commands and command not in cli_now:
            problems.append(f"- {shown}: ecgkeras.cli.build_parser() has no command {command!r}; {where}")
        elif word.startswith("--") and command in cli_now and word not in cli_now[command]["options"]:
            problems.append(f"- {shown}: ecgkeras.cli.build_parser() has no option {word} for {command}; {where}")
    if problems:
        pytest.fail("command lines in the sources that the snapshot or the parser does not know:\n"
                    + "\n".join(problems) + f"\nFix the source, or the parser, or (a new command or option "
                    f"on purpose) regenerate: {REGENERATE}", pytrace=False)


def test_parser_is_argparse():
    """The snapshot reads ``build_parser()``'s subcommands; a parser without them would pass vacuously."""
    from ecgkeras.cli import build_parser

    parser = build_parser()
    assert any(isinstance(action, argparse._SubParsersAction) for action in parser._actions)
    assert SNAPSHOT["cli"]["commands"], "the snapshot lists no commands: regenerate it with " + REGENERATE
