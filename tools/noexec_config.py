"""Write a copy of the book's _config.yml that renders the committed notebook outputs as they are.

Used by `make test` (book-test): CI builds the book without executing any chapter.
Usage: python tools/noexec_config.py _config.yml _build/_config_noexec.yml [--mathjax DIR]

--mathjax DIR: DIR is the `mathjax` npm package (version 3, e.g. installed by `make mathjax` into
_build/mathjax/node_modules/mathjax). The test build then serves MathJax from its own _static
folder instead of Sphinx's default CDN, so that the browser test (tests/browser) typesets the
math with no network. Its `es5` folder becomes a Sphinx static path: Sphinx copies it into
_build/html/_static/mathjax/ and `mathjax_path` (relative to _static) points at the same
component Sphinx loads from the CDN (tex-mml-chtml.js). Only the test build does this: the
published book (`make book`, _config.yml) keeps the CDN and a small _static folder. Where DIR
does not exist (npm absent), the config keeps the CDN and the browser test skips its math check.
"""

import argparse
import os
from pathlib import Path

import yaml

MATHJAX_COMPONENT = "tex-mml-chtml.js"  # the one Sphinx's default mathjax_path loads

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("source", type=Path)
parser.add_argument("target", type=Path)
parser.add_argument("--mathjax", type=Path, help="the mathjax@3 npm package folder, if installed")
args = parser.parse_args()

config = yaml.safe_load(args.source.read_text())
config.setdefault("execute", {})["execute_notebooks"] = "off"

if args.mathjax is not None:
    es5 = args.mathjax / "es5"
    if (es5 / MATHJAX_COMPONENT).is_file():
        # A static folder's contents land in _static/, so the folder that holds the copy is a
        # one-entry folder `mathjax` -> es5 (a symbolic link, followed by Sphinx's copy).
        holder = args.target.parent / "mathjax_static"
        holder.mkdir(parents=True, exist_ok=True)
        link = holder / "mathjax"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(es5.resolve(), target_is_directory=True)
        sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
        sphinx["html_static_path"] = [*sphinx.get("html_static_path", []), str(holder.resolve())]
        sphinx["mathjax_path"] = f"mathjax/{MATHJAX_COMPONENT}"
        print(f"noexec_config: MathJax served locally from {os.path.relpath(es5)}")
    else:
        print(f"noexec_config: no MathJax at {args.mathjax} (npm absent?): the test book loads it "
              "from the CDN and the browser test skips its math check")

args.target.parent.mkdir(parents=True, exist_ok=True)
args.target.write_text(yaml.safe_dump(config, sort_keys=False))
