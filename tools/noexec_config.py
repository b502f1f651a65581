"""Write a copy of the book's _config.yml that renders the committed notebook outputs as they are.

Used by `make test` (book-test): CI builds the book without executing any chapter.
Usage: python tools/noexec_config.py _config.yml _build/_config_noexec.yml
"""

import sys
from pathlib import Path

import yaml

source, target = Path(sys.argv[1]), Path(sys.argv[2])
config = yaml.safe_load(source.read_text())
config.setdefault("execute", {})["execute_notebooks"] = "off"
target.parent.mkdir(parents=True, exist_ok=True)
target.write_text(yaml.safe_dump(config, sort_keys=False))
