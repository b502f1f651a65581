"""Before/after table of the package's modules: lines and who imports them (issue 14's note).

Usage: python tools/module_table.py BEFORE_REV [AFTER_REV]   (AFTER_REV defaults to HEAD)

Lines are those of the file at each revision; importers are the files at AFTER_REV whose source
(for chapters: their cells) imports the module (``from M``, ``import M``, ``from PARENT import
NAME``), counted as package modules / tools / tests / chapters.
"""

import json
import re
import subprocess
import sys

GROUPS = ("tools", "tests", "notebooks")


def _git(*args) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def _sources(rev: str) -> dict[str, str]:
    sources = {}
    for path in _git("ls-tree", "-r", "--name-only", rev).split():
        if path.endswith(".py") and path.startswith(("ecgkeras/", "tools/", "tests/")):
            sources[path] = _git("show", f"{rev}:{path}")
        elif path.endswith(".ipynb") and path.startswith("notebooks/"):
            cells = json.loads(_git("show", f"{rev}:{path}"))["cells"]
            sources[path] = "\n".join("".join(cell["source"]) for cell in cells)
    return sources


def _modules(sources: dict[str, str]) -> dict[str, str]:
    return {path[:-3].replace("/", ".").removesuffix(".__init__"): path for path in sources
            if path.startswith("ecgkeras/") and path.endswith(".py") and path != "ecgkeras/__init__.py"}


def _importers(module: str, path: str, sources: dict[str, str]) -> tuple[int, ...]:
    parent, _, name = module.rpartition(".")
    pattern = re.compile(rf"from {re.escape(module)}\b|import {re.escape(module)}\b"
                         rf"|from {re.escape(parent)} import [^\n]*\b{name}\b")
    users = [other for other, text in sources.items() if other != path and pattern.search(text)]
    return tuple(sum(user.startswith(group + "/") for user in users) for group in ("ecgkeras", *GROUPS))


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__)
        return 2
    before, after = _sources(argv[0]), _sources(argv[1] if len(argv) == 2 else "HEAD")
    old, new = _modules(before), _modules(after)
    print("| module | lines before | lines after | imported by (package / tools / tests / chapters) |")
    print("|---|---|---|---|")
    for module in sorted(set(old) | set(new)):
        lines = [str(side[paths[module]].count("\n")) if module in paths else "—"
                 for side, paths in ((before, old), (after, new))]
        users = " / ".join(map(str, _importers(module, new[module], after))) if module in new else "—"
        print(f"| `{module}` | {lines[0]} | {lines[1]} | {users} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
