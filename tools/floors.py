"""Write the lower bounds of pyproject.toml as a pip constraints file (make floors-check).

Every requirement ``name>=X`` of the package's dependencies (and of the extras named on the
command line) becomes the constraint ``name==X``, so that pip installs the oldest versions the
pyproject allows. A floor must therefore be a released version (tensorflow 2.16.1, not 2.16).
Requirements without a lower bound (ipykernel, nbclient) are left free.

    python tools/floors.py --extra test --out _build/floors/constraints.txt
"""
from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

#: A distribution name at the start of a requirement, e.g. "imbalanced-learn".
NAME = r"[A-Za-z0-9_.\-]+"
LOWER_BOUND = re.compile(rf"^\s*({NAME})(\[[^\]]*\])?\s*[^;]*?>=\s*([0-9][0-9a-zA-Z.]*)")


def requirement_name(requirement: str) -> str:
    """'numpy' for 'numpy>=1.25'; 'arviz' for 'arviz>=0.17,<1'."""
    return re.match(rf"\s*({NAME})", requirement).group(1)


def requirement_floor(requirement: str) -> tuple[str, str] | None:
    """('numpy', '1.24') for 'numpy>=1.24'; None for a requirement without '>='."""
    match = LOWER_BOUND.match(requirement)
    if match is None:
        return None
    return match.group(1), match.group(3)


def read_requirements(pyproject: Path, extras: list[str]) -> list[str]:
    """The dependencies of pyproject.toml plus those of the named extras (self-references
    such as 'ecgkeras[book]' are skipped)."""
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise SystemExit(f"pyproject.toml has no extra {extra!r}; it has {sorted(optional)}")
        requirements += [r for r in optional[extra]
                         if not r.startswith(project["name"])]
    return requirements


def floor_constraints(requirements: list[str]) -> list[str]:
    """One 'name==floor' line per requirement with a lower bound."""
    lines = []
    for requirement in requirements:
        floor = requirement_floor(requirement)
        if floor is not None:
            lines.append(f"{floor[0]}=={floor[1]}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    parser.add_argument("--extra", action="append", default=[],
                        help="also constrain this extra's requirements (repeatable)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    lines = floor_constraints(read_requirements(args.pyproject, args.extra))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("# The lower bounds of pyproject.toml (tools/floors.py)\n"
                        + "\n".join(lines) + "\n")
    print(f"{args.out}: {len(lines)} floors: {', '.join(lines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
