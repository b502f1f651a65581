"""Remove TensorFlow's C++ start-up log (absl "I0000 ...", CUDA probes) from executed notebooks.

`jupyter execute` stores what TensorFlow's C++ core writes to stderr at import (e.g. "I0000 ...
oneDNN custom operations are on", "E0000 ... failed call to cuInit" on a machine without a GPU):
TF_CPP_MIN_LOG_LEVEL does not silence the lines written before absl's logging starts. The book
hides stderr anyway (`nb_output_stderr: remove`), but readers who open a notebook on GitHub or in
Colab would see them. Other stderr output (warnings of our own code) is kept.

Usage: python tools/strip_tf_log.py notebooks/04_time_1d_cnn.ipynb [...]
"""

from __future__ import annotations

import re
import sys

import nbformat

TF_LOG = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} \d\d:\d\d:\d\d|"
                    r"To enable the following instructions)")


def strip(path: str) -> int:
    """Drop TensorFlow's log lines from the stderr outputs of one notebook; return lines dropped."""
    notebook = nbformat.read(path, as_version=4)
    dropped = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                lines = output.text.splitlines(True)
                rest = [line for line in lines if not TF_LOG.match(line)]
                dropped += len(lines) - len(rest)
                if not "".join(rest).strip():
                    continue
                output.text = "".join(rest)
            kept.append(output)
        cell.outputs = kept
    nbformat.write(notebook, path)
    return dropped


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(f"{path}: {strip(path)} TensorFlow log lines removed")
