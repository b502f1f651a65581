"""Same seed, same arrays: tests/data/golden_arrays.npz (tools/make_golden_arrays.py).

The golden file holds what the seeded pieces of ``ecgkeras`` computed before the refactor of
issue 14 (synthetic data, the other beat simulators, the three views, a rendered and digitized
report, both protocols' splits and leak measures, the models' initial weights and outputs). Each
test recomputes one array with the code as it is now and compares: floats with rtol=0 and the
group's atol (1e-6 for numpy/pywt/scipy/Pillow, 1e-5 for TensorFlow), integers, booleans and
strings exactly, shapes and dtypes exactly.

A failure means the same seed no longer gives the same numbers. If that is a bug of a refactor,
fix the code; if the change is intended (e.g. a better simulator), regenerate the file in the
same commit with the command in its ``_meta`` (and say why in the commit message).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
GOLDEN_PATH = REPO / "tests" / "data" / "golden_arrays.npz"

_spec = importlib.util.spec_from_file_location("make_golden_arrays", REPO / "tools" / "make_golden_arrays.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

with np.load(GOLDEN_PATH, allow_pickle=False) as _stored:
    EXPECTED = {key: _stored[key] for key in _stored.files}
META = json.loads(str(EXPECTED.pop("_meta")))
REGENERATE = META["regenerate"]
KEYS = sorted(EXPECTED)

_computed: dict[str, dict | BaseException] = {}


def _changed_libraries() -> dict:
    """Libraries whose version differs from the one the golden file was made with: name -> (was, now)."""
    now = golden.versions()
    return {name: (was, now.get(name)) for name, was in META["versions"].items()
            if name != "python" and now.get(name) != was}


# The golden arrays guard refactors in the environment they were made in: with other library
# versions (make colab-check, make floors-check, a newer install) JPEG bytes, float round-off and
# initializers may legitimately differ, so the comparison is skipped there, saying why.
pytestmark = pytest.mark.skipif(
    bool(_changed_libraries()),
    reason=f"golden arrays made with other library versions {_changed_libraries()}; regenerate them "
           f"({META['regenerate']}) at the commit before a refactor to compare in this environment")


def _group(key: str) -> str:
    return key.split(".", 1)[0]


def computed(group: str, *, reraise: bool = False) -> dict:
    """The group's arrays, computed once per session; skips if an optional dependency is missing.

    If computing the group fails, ``test_same_keys[group]`` shows the error with its traceback
    (``reraise``) and every array of the group fails with a one-line pointer to it."""
    if group not in _computed:
        try:
            _computed[group] = golden.COMPUTE[group]()
        except Exception as error:  # noqa: BLE001 - reported below, once per group
            _computed[group] = error
    result = _computed[group]
    if isinstance(result, ModuleNotFoundError) and result.name and result.name.split(".")[0] != "ecgkeras":
        pytest.skip(f"optional dependency {result.name!r} is not installed: cannot compute the {group!r} arrays")
    if isinstance(result, BaseException):
        if reraise:
            raise result
        pytest.fail(f"computing the {group!r} arrays failed ({type(result).__name__}: {result}); see "
                    f"test_same_keys[{group}] for the traceback (a public function moved or was renamed? "
                    f"tests/test_public_api.py names it)", pytrace=False)
    return result


def _versions_note() -> str:
    now = golden.versions()
    changed = {name: (was, now.get(name)) for name, was in META["versions"].items() if now.get(name) != was}
    if not changed:
        return "Library versions are those the golden file was made with, so the code changed the numbers."
    return ("Library versions differ from those the golden file was made with (maybe the cause): "
            + ", ".join(f"{name} {was} -> {is_}" for name, (was, is_) in sorted(changed.items())) + ".")


def _first_difference(expected: np.ndarray, actual: np.ndarray, atol: float) -> str:
    if expected.dtype.kind in "fc":
        bad = ~np.isclose(actual, expected, rtol=0, atol=atol, equal_nan=True)
    else:
        bad = actual != expected
    where = np.argwhere(np.atleast_1d(bad))
    if not len(where):
        return ""
    index = tuple(int(i) for i in where[0]) if expected.ndim else ()
    text = (f"{int(np.count_nonzero(bad))} of {expected.size} elements differ; first at index {index}: "
            f"expected {expected[index].item()!r}, got {actual[index].item()!r}")
    if expected.dtype.kind in "fc":
        difference = np.nanmax(np.abs(actual.astype(float) - expected.astype(float)))
        text += f"; max |difference| {difference:.3g} (atol {atol:g})"
    return text


def test_golden_file_is_small_and_complete():
    assert GOLDEN_PATH.stat().st_size < 1.5 * 2**20, "the golden file should stay under 1.5 MB"
    assert {_group(key) for key in KEYS} == set(golden.GROUPS), (
        f"the golden file's groups {sorted({_group(key) for key in KEYS})} are not the generator's "
        f"{sorted(golden.GROUPS)}: regenerate it with {REGENERATE}")


@pytest.mark.parametrize("group", golden.GROUPS)
def test_same_keys(group):
    """The generator still computes exactly the arrays the golden file holds."""
    expected = {key for key in KEYS if _group(key) == group}
    now = set(computed(group, reraise=True))
    assert now == expected, (
        f"{group}: arrays no longer computed: {sorted(expected - now)}; new arrays not in the golden file: "
        f"{sorted(now - expected)}. If tools/make_golden_arrays.py changed on purpose, regenerate: {REGENERATE}")


@pytest.mark.parametrize("key", KEYS)
def test_same_array(key):
    group = _group(key)
    arrays = computed(group)
    if key not in arrays:
        pytest.fail(f"{key} is no longer computed by tools/make_golden_arrays.py (see test_same_keys)", pytrace=False)
    expected, actual = EXPECTED[key], np.asarray(arrays[key])
    atol = golden.ATOL[group]
    what = f"{key} (group {group!r}: see tools/make_golden_arrays.py, group_{group})"
    hint = (f"\n{_versions_note()}\nThe same seed must give the same arrays: fix the code, or, for an intended "
            f"change of the numbers, regenerate in the same commit: {REGENERATE}")
    if actual.shape != expected.shape:
        pytest.fail(f"{what}: shape {actual.shape}, golden {expected.shape} (array layout changed?){hint}",
                    pytrace=False)
    if actual.dtype != expected.dtype:
        pytest.fail(f"{what}: dtype {actual.dtype}, golden {expected.dtype}{hint}", pytrace=False)
    if expected.dtype.kind in "fc":
        ok = np.allclose(actual, expected, rtol=0, atol=atol, equal_nan=True)
    else:
        ok = np.array_equal(actual, expected)
    if not ok:
        pytest.fail(f"{what}: {_first_difference(expected, actual, atol)}{hint}", pytrace=False)
    if expected.dtype.kind in "fc":  # the documented comparison, for the record
        np.testing.assert_allclose(actual, expected, rtol=0, atol=atol)
