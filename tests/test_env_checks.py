"""tools/floors.py and tools/env_check.py: the lower bounds and the Colab versions that
make floors-check and make colab-check install (the checks themselves run in .ci/run)."""

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


floors = load_tool("floors")
env_check = load_tool("env_check")


@pytest.mark.parametrize("requirement, expected", [
    ("numpy>=1.25", ("numpy", "1.25")),
    ("arviz>=0.17,<1", ("arviz", "0.17")),
    ("tensorflow>=2.16.1", ("tensorflow", "2.16.1")),
    ("jupyter-book>=1.0,<2", ("jupyter-book", "1.0")),
    ("ipykernel", None),
    ("foo<2", None),
])
def test_requirement_floor(requirement, expected):
    assert floors.requirement_floor(requirement) == expected
    assert floors.requirement_name(requirement) == requirement.split(">")[0].split("<")[0]


def test_every_dependency_has_a_lower_bound_and_no_upper_bound_but_arviz():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        assert floors.requirement_floor(requirement), f"{requirement}: give it a lower bound"
        if "<" in requirement:
            assert requirement.startswith("arviz"), f"{requirement}: lower bounds only (Colab)"


def test_floor_constraints_pin_each_lower_bound_of_the_package_and_its_test_extra(tmp_path):
    out = tmp_path / "floors.txt"
    assert floors.main(["--pyproject", str(ROOT / "pyproject.toml"), "--extra", "test",
                        "--out", str(out)]) == 0
    lines = [line for line in out.read_text().splitlines() if not line.startswith("#")]
    pins = dict(line.split("==") for line in lines)
    assert pins["numpy"] and pins["keras"] and pins["pytest"]
    assert "jupyter-book" not in pins  # the book extra is not asked for
    assert all(re.fullmatch(r"[0-9][0-9a-zA-Z.]*", version) for version in pins.values())
    with pytest.raises(SystemExit, match="no extra 'nope'"):
        floors.main(["--extra", "nope", "--out", str(out)])


def test_the_floors_python_is_the_oldest_the_package_allows():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={env_check.PYTHON_VERSION['floors']}"


def test_the_colab_freeze_pins_every_package_the_book_needs(tmp_path):
    constraints = tmp_path / "colab.txt"
    dropped = env_check.colab_constraints(constraints)
    pinned = {env_check.normalize_name(line.split("==")[0])
              for line in constraints.read_text().splitlines()}
    needed = env_check.dependency_names() + env_check.EXTRA_RUNTIME
    missing = [name for name in needed if env_check.normalize_name(name) not in pinned]
    assert not missing, f"Colab's freeze has no version for {missing}"
    assert all(" @ " not in line for line in constraints.read_text().splitlines())
    assert "torch" in dropped  # pinned to a URL in the freeze, which pip refuses as a constraint


def test_changes_names_what_pip_changed_and_ignores_additions():
    before = {"numpy": "2.1.3", "keras": "3.13.2"}
    assert env_check.changes(before, before | {"ecgkeras": "0.1.0"}) == []
    assert env_check.changes(before, {"numpy": "2.4.0", "ecgkeras": "0.1.0"}) == [
        "keras 3.13.2 -> removed", "numpy 2.1.3 -> 2.4.0"]
