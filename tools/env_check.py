"""Run the unit tests and every chapter (quick mode) in another Python environment.

Two environments, each in its own virtual environment under ``_build/``:

``colab``   Google Colab as it is today: Python 3.13 and the packages the book uses at the
            versions of Colab's published pip freeze (``.ci/colab/pip-freeze-cpu.txt``). Then
            ``ecgkeras`` is installed the way the chapters' install cell does (``pip install``
            of the package, not editable), and the check fails if that changed any of Colab's
            packages.
``floors``  The oldest versions pyproject.toml allows: its lower bounds as a constraints file
            (``tools/floors.py``) on the oldest Python it supports (3.11).

In both, the package is installed (not editable) and the tests run against that copy; the
committed results are put where a reader's download would put them
(``$ECGKERAS_CACHE_DIR/results``), since the copy does not run from a clone and CI has no network.

Usage (make colab-check, make floors-check):

    python tools/env_check.py colab
    python tools/env_check.py floors
    python tools/env_check.py colab --skip-tests   # install and compare only

The Python interpreter is found under pyenv or on PATH (python3.13, python3.11); name another
with --python. Test tools (pytest, nbval) are not part of Colab: they are installed after the
check that ``ecgkeras`` changed nothing, with Colab's versions where Colab has them.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from floors import read_requirements, requirement_name  # noqa: E402 (tools/ is no package)

COLAB_FREEZE = ROOT / ".ci" / "colab" / "pip-freeze-cpu.txt"
PYTHON_VERSION = {"colab": "3.13", "floors": "3.11"}
# Colab's own pip (its freeze says so in .ci/colab/README.md); the floors use a current pip.
COLAB_PIP = "pip==24.1.2"
# Packages of the runtime besides the package's dependencies: the test extra's Keras backend.
EXTRA_RUNTIME = ["jax"]


def say(message: str) -> None:
    print(f"[env_check] {message}", flush=True)


def run(command: list, *, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    say("$ " + " ".join(str(part) for part in command))
    return subprocess.run([str(part) for part in command], check=check, **kwargs)


def pip_install(python: Path) -> list:
    """The start of a quiet ``pip install`` command of ``python``'s environment."""
    return [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]


def normalize_name(name: str) -> str:
    """A distribution name as pip compares them: "PyWavelets" -> "pywavelets"."""
    return re.sub(r"[-_.]+", "-", name).lower()


def find_python(version: str) -> Path:
    """pyenv's newest <version>.x, else python<version> on PATH, checked by running it (a pyenv
    shim is on PATH for every version but runs only the active one); a clear error if none."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(glob.glob(str(pyenv_root / "versions" / f"{version}.*" / "bin" / "python")))[::-1]
    candidates += [found for found in [shutil.which(f"python{version}")] if found]
    for candidate in candidates:
        result = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip() == version:
            return Path(candidate)
    raise SystemExit(f"Python {version} not found (looked in {pyenv_root}/versions/{version}.* and "
                     f"for python{version} on PATH). Install it (pyenv install {version}) or name "
                     f"one with --python.")


def dependency_names(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """Names of the package's dependencies (the runtime a reader's environment provides)."""
    return [requirement_name(requirement) for requirement in read_requirements(pyproject, [])]


def colab_constraints(out: Path) -> list[str]:
    """Colab's freeze as pip constraints; lines pinned to a URL (``name @ url``), which pip
    does not accept as constraints, are left out and returned (none of them is a package the
    book uses)."""
    kept, dropped = [], []
    for line in COLAB_FREEZE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        (dropped if " @ " in line else kept).append(line)
    out.write_text("\n".join(kept) + "\n")
    return [line.split(" @ ")[0] for line in dropped]


def freeze(python: Path) -> dict[str, str]:
    """``{normalized name: version or URL}`` of what is installed."""
    text = subprocess.run([str(python), "-m", "pip", "freeze", "--all"], check=True,
                          capture_output=True, text=True).stdout
    packages = {}
    for line in text.splitlines():
        name, _, version = line.partition("==") if "==" in line else line.partition(" @ ")
        packages[normalize_name(name)] = version
    return packages


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What pip changed: packages removed, downgraded or upgraded (additions not counted)."""
    return [f"{name} {version} -> {after.get(name, 'removed')}"
            for name, version in sorted(before.items()) if after.get(name) != version]


def make_venv(python: Path, venv: Path) -> Path:
    if venv.exists():
        shutil.rmtree(venv)
    run([python, "-m", "venv", venv])
    return venv / "bin" / "python"


def install_colab(base_python: Path, venv: Path, work: Path) -> Path:
    python = make_venv(base_python, venv)
    constraints = work / "colab-constraints.txt"
    dropped = colab_constraints(constraints)
    say(f"Colab freeze: {COLAB_FREEZE.relative_to(ROOT)}; left out (pinned to a URL): "
        f"{', '.join(dropped)}")
    pip = pip_install(python)
    run(pip + [COLAB_PIP])
    run(pip + ["-c", constraints] + dependency_names() + EXTRA_RUNTIME)
    before = freeze(python)
    # The install cell: %pip install "ecgkeras @ git+<repository>@main", here from this checkout.
    run(pip + [ROOT])
    after = freeze(python)
    changed = changes(before, after)
    added = sorted(set(after) - set(before))
    if changed:
        raise SystemExit("Installing ecgkeras changed Colab's packages: " + "; ".join(changed))
    if added != ["ecgkeras"]:
        raise SystemExit(f"Installing ecgkeras added more than itself: {added}")
    say("ecgkeras installed over Colab's packages without changing any of them")
    run(pip + ["-c", constraints, f"{ROOT}[test]"])
    changed = changes(before, freeze(python))
    if changed:
        raise SystemExit("The test tools changed Colab's packages: " + "; ".join(changed))
    return python


def install_floors(base_python: Path, venv: Path, work: Path) -> Path:
    python = make_venv(base_python, venv)
    constraints = work / "floors-constraints.txt"
    run([sys.executable, ROOT / "tools" / "floors.py", "--extra", "test", "--out", constraints])
    pip = pip_install(python)
    run(pip + ["--upgrade", "pip"])
    run(pip + ["-c", constraints, f"{ROOT}[test]"])
    return python


def provide_published_results(work: Path) -> None:
    """Put the committed results where a reader's download puts them (the installed package
    does not run from a clone, and CI has no network): ``$ECGKERAS_CACHE_DIR/results``."""
    cache = work / "cache"
    if (cache / "results").exists():
        shutil.rmtree(cache / "results")
    shutil.copytree(ROOT / "results", cache / "results")
    os.environ["ECGKERAS_CACHE_DIR"] = str(cache)


def report_versions(python: Path) -> None:
    installed = freeze(python)
    names = dependency_names() + EXTRA_RUNTIME + ["jaxlib", "pytest", "nbval", "ipykernel"]
    listed = ", ".join(f"{name} {installed.get(normalize_name(name), '-')}" for name in names)
    version = subprocess.run([str(python), "--version"], capture_output=True, text=True).stdout
    say(f"{version.strip()}: {listed}")


def run_tests(python: Path) -> bool:
    """The unit tests (not the browser test) and every chapter in quick mode, against the
    installed package: pytest's script, not ``python -m pytest``, so the checkout is not on
    sys.path, and the chapters run in notebooks/ where only the installed package is found.
    Both run even when the first fails; True when both pass."""
    pytest = python.parent / "pytest"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    where = subprocess.run([str(python), "-c", "import ecgkeras; print(ecgkeras.__file__)"],
                           capture_output=True, text=True, cwd=ROOT / "notebooks", check=True)
    say(f"ecgkeras under test: {where.stdout.strip()}")
    passed = {}
    for name, command, extra_env in (
            ("unit tests", [pytest, "-q", "-p", "no:cacheprovider", "tests", "--ignore=tests/browser"], {}),
            ("chapters (quick mode)", [pytest, "-q", "-p", "no:cacheprovider", "--nbval-lax",
                                       "notebooks"], {"ECGKERAS_QUICK": "1"})):
        started = time.perf_counter()
        passed[name] = run(command, check=False, cwd=ROOT, env=env | extra_env).returncode == 0
        say(f"{name}: {'passed' if passed[name] else 'FAILED'} in {time.perf_counter() - started:.0f} s")
    return all(passed.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("environment", choices=sorted(PYTHON_VERSION))
    parser.add_argument("--skip-tests", action="store_true", help="install and compare only")
    parser.add_argument("--python", type=Path, help="the interpreter to make the environment "
                        "from (default: python3.13 for colab, python3.11 for floors)")
    args = parser.parse_args(argv)
    base_python = args.python or find_python(PYTHON_VERSION[args.environment])
    work = ROOT / "_build" / f"env-{args.environment}"
    work.mkdir(parents=True, exist_ok=True)
    install = install_colab if args.environment == "colab" else install_floors
    python = install(base_python, work / "venv", work)
    report_versions(python)
    provide_published_results(work)
    if args.skip_tests:
        return 0
    return 0 if run_tests(python) else 1


if __name__ == "__main__":
    sys.exit(main())
