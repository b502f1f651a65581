"""Snapshot the public API that the book's readers use: tests/data/public_api.json.

Readers' code is the code cells of notebooks/*.ipynb (the student copies of
tools/make_student_copies.py are subsets of them), the .py files of assignments/, and the code of
README.md, book/*.md, assignments/README.md and of the notebooks' Markdown cells: fenced python
blocks, fenced shell blocks (``ecgkeras <command> --option``), and `inline code` that names a
dotted ``ecgkeras.module.name`` or runs an ``ecgkeras <command>``.

For every (module, name) they use, the snapshot records its kind (function, class, constant,
module) and, for functions and classes, ``str(inspect.signature(...))``; for constants only the
type's name. For the command line, every subcommand of ``ecgkeras.cli.build_parser()`` with its
option strings, positionals and choices, and which of them the sources use.

tests/test_public_api.py recomputes the uses from the sources and checks them against this file
and against the package. A deliberate API change regenerates the snapshot in the same commit:

    nice -n 19 .venv/bin/python tools/snapshot_public_api.py          # write tests/data/public_api.json
    nice -n 19 .venv/bin/python tools/snapshot_public_api.py --check  # exit 1 if it would change
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO / "tests" / "data" / "public_api.json"
REGENERATE = "nice -n 19 .venv/bin/python tools/snapshot_public_api.py"
PACKAGE = "ecgkeras"

#: Fenced-block languages read as Python, and as a shell (for ``ecgkeras <command>``).
PYTHON_FENCES = {"python", "py", "python3", "ipython", "ipython3", "pycon"}
SHELL_FENCES = {"bash", "sh", "shell", "console", "shell-session", "zsh", ""}


# ---------------------------------------------------------------------------------------------
# The sources: where readers' code lives
# ---------------------------------------------------------------------------------------------

def _opening_fence(line: str) -> tuple[str, str, str] | None:
    """``(indent, fence, language)`` if ``line`` opens a fenced block, else None. As in CommonMark,
    the info string of a backtick fence holds no backtick: a line of prose that starts with
    inline code written with three or more backticks is not a fence."""
    match = re.match(r"^(\s*)(`{3,}|~{3,})(.*)$", line)
    if not match:
        return None
    indent, fence, info = match.groups()
    if fence[0] == "`" and "`" in info:
        return None
    return indent, fence, (info.split() or [""])[0]


def _closes(line: str, fence: str) -> bool:
    return re.match(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$", line) is not None


def _fenced_blocks(text: str):
    """``(language, first line number (1-based), code)`` of every fenced block of Markdown text.

    Fences nested in MyST directives (a fence whose info string starts with ``{``, e.g.
    ``{admonition}``) are found too: a directive is not a code block, so its body is scanned
    line by line like the rest.
    """
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _opening_fence(lines[i])
        if not opening or opening[2].startswith("{"):  # a MyST directive: its body is Markdown
            i += 1
            continue
        indent, fence, language = opening
        body, j = [], i + 1
        while j < len(lines) and not _closes(lines[j], fence):
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j].lstrip())
            j += 1
        yield language.lower(), i + 2, "\n".join(body)
        i = j + 1


def _prose(text: str) -> str:
    """Markdown text without its fenced code blocks (the bodies of MyST directives are kept)."""
    out, fence = [], None
    for line in text.splitlines():
        if fence is None:
            opening = _opening_fence(line)
            if opening and not opening[2].startswith("{"):
                fence = opening[1]
                continue
            out.append(line)
        elif _closes(line, fence):
            fence = None
    return "\n".join(out)


def _inline_code(text: str):
    """The contents of the `inline code` spans of Markdown text, outside fenced code blocks."""
    for match in re.finditer(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", _prose(text), flags=re.S):
        yield match.group(2).strip()


def _without_magics(code: str) -> tuple[str, int]:
    """``code`` with each IPython magic or shell line (``%...``, ``!...``) replaced by ``pass``."""
    out, magics = [], 0
    for line in code.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            magics += 1
            line = line[: len(line) - len(stripped)] + "pass  # magic"
        out.append(line)
    return "\n".join(out), magics


def sources(repo: Path = REPO) -> list[dict]:
    """Every readers' source: ``{"file", "python": [(where, code)], "markdown": [(where, text)],
    "plain": [(where, text)]}``. The Python snippets of one file run in order in one namespace (a
    notebook's kernel), so an import in one cell serves the cells after it."""
    out = []
    for path in sorted((repo / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        entry = {"file": path.relative_to(repo).as_posix(), "python": [], "markdown": [], "plain": []}
        for index, cell in enumerate(notebook.get("cells", [])):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            where = f"cell {index}"
            if cell.get("cell_type") == "code":
                entry["python"].append((where, source))
                entry["plain"].append((where, source))  # comments: `ecgkeras bench views`, !ecgkeras ...
            elif cell.get("cell_type") == "markdown":
                entry["markdown"].append((where, source))
        out.append(entry)
    for path in sorted((repo / "assignments").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        out.append({"file": path.relative_to(repo).as_posix(), "python": [("file", text)], "markdown": [],
                    "plain": [("file", text)]})
    for path in [repo / "README.md", *sorted((repo / "book").glob("*.md")), repo / "assignments" / "README.md"]:
        if path.is_file():
            out.append({"file": path.relative_to(repo).as_posix(), "python": [],
                        "markdown": [("file", path.read_text(encoding="utf-8"))], "plain": []})
    for entry in out:  # fenced python blocks of Markdown are Python sources too
        for where, text in entry["markdown"]:
            for language, line, code in _fenced_blocks(text):
                if language in PYTHON_FENCES:
                    prefix = "" if where == "file" else f"{where} "
                    entry["python"].append((f"{prefix}line {line}", textwrap.dedent(code)))
    return out


# ---------------------------------------------------------------------------------------------
# Python uses: imports and attribute chains
# ---------------------------------------------------------------------------------------------

class _Uses(ast.NodeVisitor):
    """Records ``from ecgkeras.x import a`` as ``("ecgkeras.x", "a")``, ``import ecgkeras.x [as y]`` as
    module ``ecgkeras.x``, and every attribute chain on a bound name (``y.f``, ``ecgkeras.x.f``,
    ``a.method``) as a dotted path to resolve later. ``bindings`` (name -> dotted path) persists
    across the snippets of one file."""

    def __init__(self, bindings: dict[str, str]):
        self.bindings = bindings
        self.imports: list[tuple[str, str]] = []
        self.modules: list[str] = []
        self.chains: list[str] = []

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                self.modules.append(alias.name)
                if alias.asname:
                    self.bindings[alias.asname] = alias.name
                else:
                    self.bindings[PACKAGE] = PACKAGE
            else:
                self.bindings.pop(alias.asname or alias.name.split(".")[0], None)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        ours = node.level == 0 and (module == PACKAGE or module.startswith(PACKAGE + "."))
        if ours:
            self.modules.append(module)
        for alias in node.names:
            if alias.name == "*":
                continue
            if ours:
                self.imports.append((module, alias.name))
                self.bindings[alias.asname or alias.name] = f"{module}.{alias.name}"
            else:
                self.bindings.pop(alias.asname or alias.name, None)

    def visit_Attribute(self, node):
        names, base = [], node
        while isinstance(base, ast.Attribute):
            names.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name) and base.id in self.bindings:
            self.chains.append(".".join([self.bindings[base.id], *reversed(names)]))
            return
        self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.bindings.pop(node.id, None)

    def visit_Assign(self, node):  # the value before the targets: ``config = config.pick(...)``
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def _scoped(self, node, names):
        saved = {name: self.bindings.pop(name) for name in names if name in self.bindings}
        self.generic_visit(node)
        for name in names:
            self.bindings.pop(name, None)
        self.bindings.update(saved)

    def _function(self, node):
        args = node.args
        names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.visit(default)
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        body = ast.Module(body=node.body if isinstance(node.body, list) else [ast.Expr(node.body)],
                          type_ignores=[])
        self._scoped(body, names)
        if not isinstance(node, ast.Lambda):
            self.bindings.pop(node.name, None)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function


def _is_module(dotted: str, known: set[str]) -> bool:
    if dotted in known:
        return True
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, AttributeError, ValueError):
        return False


def resolve(dotted: str, known_modules: set[str] = frozenset()) -> tuple[str, str]:
    """``"ecgkeras.data.splits.oversample"`` -> ``("ecgkeras.data.splits", "oversample")``: the
    longest importable prefix (or one in ``known_modules``, the snapshot's) is the module, and the
    name keeps one more level only after a class (``"TrainConfig.quick"``). A bare module gives
    ``(module, "")``."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if _is_module(module, set(known_modules)):
            break
    else:
        return parts[0], ".".join(parts[1:2])
    rest = parts[cut:]
    if len(rest) >= 2:
        try:
            keep = 2 if inspect.isclass(getattr(importlib.import_module(module), rest[0])) else 1
        except Exception:
            keep = 1
        rest = rest[:keep]
    return module, ".".join(rest)


_DOTTED = re.compile(rf"(?<![\w./-]){PACKAGE}(?:\.[A-Za-z_]\w*)+")


def collect_uses(repo: Path = REPO, known_modules: set[str] = frozenset()) -> dict:
    """What the readers' sources use: ``{"names": {(module, name): {where}}, "modules": {module:
    {where}}, "cli": {(command, option or ""): {where}}, "unparsed": [where], "magics": int,
    "snippets": int}``. ``where`` is ``"file (cell N)"`` or ``"file (line N)"``."""
    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    modules: dict[str, set[str]] = defaultdict(set)
    cli: dict[tuple[str, str], set[str]] = defaultdict(set)
    unparsed, magics, snippets = [], 0, 0
    for entry in sources(repo):
        bindings: dict[str, str] = {}
        for where, code in entry["python"]:
            label = f"{entry['file']} ({where})" if where != "file" else entry["file"]
            code, n_magics = _without_magics(code)
            magics += n_magics
            snippets += 1
            try:
                tree = ast.parse(code)
            except SyntaxError as error:
                unparsed.append(f"{label}: {error.msg} (line {error.lineno})")
                continue
            visitor = _Uses(bindings)
            visitor.visit(tree)
            for module in visitor.modules:
                modules[module].add(label)
            for pair in visitor.imports:
                names[pair].add(label)
            for chain in visitor.chains:
                module, name = resolve(chain, known_modules)
                if name:
                    names[(module, name)].add(label)
                else:
                    modules[module].add(label)
        for where, text in entry["markdown"]:
            label = entry["file"] if where == "file" else f"{entry['file']} ({where})"
            for span in _inline_code(text):  # prose: `ecgkeras.data.splits.oversample`
                for match in _DOTTED.finditer(span):
                    module, name = resolve(match.group(0), known_modules)
                    (names[(module, name)] if name else modules[module]).add(f"{label} [prose]")
            for command, option in _commands_of_markdown(text):
                cli[(command, option)].add(label)
        for where, text in entry["plain"]:
            label = entry["file"] if where == "file" else f"{entry['file']} ({where})"
            for command, option in _commands_of_plain(text):
                cli[(command, option)].add(label)
    return {"names": dict(names), "modules": dict(modules), "cli": dict(cli), "unparsed": unparsed,
            "magics": magics, "snippets": snippets}


# ---------------------------------------------------------------------------------------------
# Command-line uses: ``ecgkeras <command> --option``
# ---------------------------------------------------------------------------------------------

_COMMAND = re.compile(rf"(?<![\w./@-]){PACKAGE}[ \t]+([a-z][\w-]*)([^\n]*)")


def _command_options(line: str):
    """``(command, option)`` for ``ecgkeras <command> ...`` in one command line, options up to the
    end of the command (``;``, ``&&``, a ``#`` comment); ``(command, "")`` for the command itself."""
    for match in _COMMAND.finditer(line):
        command, rest = match.groups()
        if command in {"import", "from"}:
            continue
        rest = re.split(r"\s#|;|&&|`", rest)[0]
        yield command, ""
        words = rest.split()
        if words and re.fullmatch(r"[a-z][a-z-]*", words[0]):  # ``bench views``: a positional's choice
            yield command, words[0]
        for option in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", rest):
            yield command, option


def _join_continuations(code: str) -> list[str]:
    return re.sub(r"\\\n", " ", code).splitlines()


def _shell_lines(code: str) -> list[str]:
    """Lines of a shell block, with ``\\`` continuations joined, and an indented line that starts with
    ``[--`` or ``--`` (a usage line wrapped without ``\\``) joined to the line before it."""
    out: list[str] = []
    for line in _join_continuations(code):
        if out and line[:1].isspace() and line.lstrip().startswith(("[--", "--")):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return out


def _commands_of_markdown(text: str):
    for language, _, code in _fenced_blocks(text):
        if language in SHELL_FENCES:
            for line in _shell_lines(code):
                yield from _command_options(line)
    for span in _inline_code(text):
        if span.startswith(PACKAGE + " ") or span.startswith("!" + PACKAGE + " "):
            yield from _command_options(span)


def _commands_of_plain(text: str):
    """Python sources: ``!ecgkeras ...`` lines, `ecgkeras ...` in comments, and a docstring line that
    reads ``Label:  ecgkeras <command> ...`` (assignments/*.py)."""
    for line in _join_continuations(text):
        stripped = line.strip()
        if stripped.startswith("!" + PACKAGE + " ") or re.match(rf"^[\w ]{{0,30}}:\s+{PACKAGE} ", stripped):
            yield from _command_options(stripped)
        for span in re.findall(r"`([^`\n]+)`", line):
            if span.startswith(PACKAGE + " "):
                yield from _command_options(span)


# ---------------------------------------------------------------------------------------------
# What the package has now
# ---------------------------------------------------------------------------------------------

def lookup(module: str, name: str):
    """The object ``from module import name`` gives (``name`` may be ``"Class.attr"``); raises
    ImportError or AttributeError as Python would."""
    obj = importlib.import_module(module)
    first, *more = name.split(".")
    if not hasattr(obj, first) and inspect.ismodule(obj):
        try:
            importlib.import_module(f"{module}.{first}")  # ``from ecgkeras import config``
        except ModuleNotFoundError:
            pass
    for part in [first, *more]:
        if not hasattr(obj, part):
            raise ImportError(f"cannot import name {name!r} from {module!r}")
        obj = getattr(obj, part)
    return obj


def _signature(obj) -> str | None:
    try:
        text = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


def describe(obj) -> dict:
    """``{"kind": ..., "signature"/"type": ...}`` of a public object."""
    if inspect.ismodule(obj):
        return {"kind": "module"}
    if inspect.isclass(obj):
        return {"kind": "class", "signature": _signature(obj)}
    if inspect.isroutine(obj):
        return {"kind": "function", "signature": _signature(obj)}
    return {"kind": "constant", "type": type(obj).__name__}


def describe_name(module: str, name: str) -> dict:
    """``describe`` of ``module.name``, or ``{"kind": "missing", "error": ...}`` if it does not import."""
    try:
        return describe(lookup(module, name))
    except Exception as error:  # ImportError, AttributeError, or an error raised on import
        return {"kind": "missing", "error": f"{type(error).__name__}: {error}"}


def cli_spec() -> dict:
    """``{command: {"options": [...], "positionals": [...], "choices": {dest or option: [...]}}}``
    of ``ecgkeras.cli.build_parser()``."""
    from ecgkeras.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    spec = {}
    for command, sub in sorted(commands.choices.items()):
        options, positionals, choices = [], [], {}
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            key = action.option_strings[0] if action.option_strings else action.dest
            (options.extend(action.option_strings) if action.option_strings else positionals.append(key))
            if action.choices is not None:
                choices[key] = sorted(map(str, action.choices))
        spec[command] = {"options": sorted(options), "positionals": positionals, "choices": choices}
    return spec


# ---------------------------------------------------------------------------------------------
# The snapshot
# ---------------------------------------------------------------------------------------------

def _files(places) -> list[str]:
    """The files of ``where`` labels (``"notebooks/x.ipynb (cell 3) [prose]"`` -> ``"notebooks/x.ipynb"``)."""
    return sorted({place.split(" (")[0].split(" [")[0] for place in places})


def build_snapshot(repo: Path = REPO) -> tuple[dict, dict]:
    """``(snapshot, uses)``: the snapshot of what the sources use now, and the uses themselves.

    A name the sources use that does not import today is a bug in the sources (or the package): it
    goes to ``known_broken`` with its error, not to ``names``, and the generator says so."""
    uses = collect_uses(repo)
    names: dict[str, dict[str, dict]] = defaultdict(dict)
    broken: dict[str, dict] = {}
    for module, name in sorted(uses["names"]):
        description = describe_name(module, name)
        if description["kind"] == "missing":
            broken[f"{module}.{name}"] = {"module": module, "name": name, "error": description["error"],
                                          "used_in": _files(uses["names"][(module, name)])}
        else:
            names[module][name] = description
    modules = []
    for module in sorted(uses["modules"]):
        if _is_module(module, set()):
            modules.append(module)
        else:
            broken[module] = {"module": module, "name": "", "error": f"ModuleNotFoundError: no module {module!r}",
                              "used_in": _files(uses["modules"][module])}
    used_cli: dict[str, set[str]] = defaultdict(set)
    for command, option in sorted(uses["cli"]):
        used_cli[command].update([option] if option else [])
    snapshot = {
        "about": ("The public API of ecgkeras that the book's readers use (notebooks, assignments, README.md, "
                  "book/*.md, assignments/README.md), checked by tests/test_public_api.py. Generated by "
                  "tools/snapshot_public_api.py from the code as it is; do not edit by hand. A deliberate API "
                  "change (a renamed, moved or re-signed public name, a new name the book uses, a CLI change) "
                  f"regenerates it in the same commit: {REGENERATE}"),
        "regenerate": REGENERATE,
        "modules": modules,
        "names": {module: dict(sorted(entries.items())) for module, entries in sorted(names.items())},
        "known_broken": dict(sorted(broken.items())),
        "cli": {"commands": cli_spec(), "used": {c: sorted(o) for c, o in sorted(used_cli.items())}},
    }
    return snapshot, uses


def dumps(snapshot: dict) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=SNAPSHOT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the snapshot would change")
    args = parser.parse_args(argv)
    snapshot, uses = build_snapshot()
    text = dumps(snapshot)
    n_names = sum(len(v) for v in snapshot["names"].values())
    n_cli = sum(len(v) + 1 for v in snapshot["cli"]["used"].values())
    print(f"{uses['snippets']} Python snippets ({uses['magics']} magic lines skipped), "
          f"{len(uses['unparsed'])} not parsed; {n_names} names in {len(snapshot['names'])} modules, "
          f"{len(snapshot['modules'])} modules imported, {len(snapshot['known_broken'])} known broken; "
          f"CLI: {n_cli} commands and options used", file=sys.stderr)
    for where in uses["unparsed"]:
        print(f"  not parsed: {where}", file=sys.stderr)
    for dotted, entry in snapshot["known_broken"].items():
        print(f"  USED BUT DOES NOT IMPORT: {dotted} ({entry['error']}), used in {', '.join(entry['used_in'])}",
              file=sys.stderr)
    if args.check:
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        print("snapshot up to date" if same else f"snapshot would change: {REGENERATE}", file=sys.stderr)
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
