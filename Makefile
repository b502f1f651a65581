# Two commands on a fresh machine:
#   make book   create .venv, install ecgkeras with the book's extras, execute the chapters
#               (full mode, cached) and render the HTML book into _build/html
#   make test   create .venv, install the test extras, run the unit tests, every notebook once
#               under nbval in quick mode, and build the book from the committed outputs (-W)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
export TF_CPP_MIN_LOG_LEVEL = 2
export PYTHONHASHSEED = 0

.PHONY: book test unit notebooks-test book-test notebooks student clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.book-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[book]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.book-installed

book: $(VENV)/.book-installed
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Book: $(CURDIR)/_build/html/index.html"

test: unit notebooks-test book-test

unit: $(VENV)/.test-installed
	$(BIN)/python -m pytest -q tests

notebooks-test: $(VENV)/.test-installed
	ECGKERAS_QUICK=1 $(BIN)/python -m pytest -q --nbval-lax notebooks

# Build the book from the committed outputs (no execution), warnings as errors.
book-test: $(VENV)/.test-installed
	$(BIN)/python tools/noexec_config.py _config.yml _build/_config_noexec.yml
	$(BIN)/jupyter-book build . --config _build/_config_noexec.yml --all -W -n --keep-going

# Re-execute every chapter in place, full mode, so the committed outputs are current.
notebooks: $(VENV)/.book-installed
	for nb in notebooks/*.ipynb; do $(BIN)/jupyter execute --inplace "$$nb" || exit 1; done

bench: $(VENV)/.book-installed
	$(BIN)/ecgkeras bench views
	$(BIN)/ecgkeras bench digitize

clean:
	rm -rf _build
