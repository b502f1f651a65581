# Two commands on a fresh machine:
#   make book   create .venv, install ecgkeras with the book's extras, execute the chapters
#               (full mode, cached) and render the HTML book into _build/html
#   make test   create .venv, install the test extras, run the unit tests, every notebook once
#               under nbval in quick mode, build the book from the committed outputs (-W) and
#               check every page in headless chromium (tests/browser)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
export TF_CPP_MIN_LOG_LEVEL = 2
export PYTHONHASHSEED = 0

.PHONY: book test lint unit notebooks-test book-test browser-test mathjax screenshots notebooks student clean bench \
	colab-check floors-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.book-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[book]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,book]"
	touch $@ $(VENV)/.book-installed

book: $(VENV)/.book-installed
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Book: $(CURDIR)/_build/html/index.html"

test: lint unit notebooks-test book-test browser-test

# ruff (settings in pyproject.toml): unused imports, undefined names, one line length; then
# pylint's duplicate-code check on the package (6 similar lines or more; [tool.pylint] in
# pyproject.toml): an idea written twice fails the build.
lint: $(VENV)/.test-installed
	$(BIN)/ruff check ecgkeras tests tools assignments notebooks
	$(BIN)/pylint ecgkeras

unit: $(VENV)/.test-installed
	$(BIN)/python -m pytest -q tests --ignore=tests/browser

notebooks-test: $(VENV)/.test-installed
	ECGKERAS_QUICK=1 $(BIN)/python -m pytest -q --nbval-lax notebooks

# Build the book from the committed outputs (no execution), warnings as errors. This test build
# serves MathJax from its own _static folder (tools/noexec_config.py --mathjax; the published
# book keeps the CDN), so that the browser test needs no network.
book-test: $(VENV)/.test-installed mathjax
	$(BIN)/python tools/noexec_config.py _config.yml _build/_config_noexec.yml --mathjax $(MATHJAX)
	$(BIN)/jupyter-book build . --config _build/_config_noexec.yml --all -W -n --keep-going

# The mathjax@3 npm package, installed once into _build/mathjax (not saved in any package.json).
# Without npm the test book loads MathJax from the CDN and the browser test skips its math check.
MATHJAX = _build/mathjax/node_modules/mathjax
mathjax:
	@if [ -f $(MATHJAX)/es5/tex-mml-chtml.js ]; then :; \
	elif command -v npm >/dev/null; then \
	    npm install --no-save --no-audit --no-fund --silent --prefix _build/mathjax mathjax@3; \
	else echo "npm not found: the test book loads MathJax from its CDN, the browser test skips its math check"; fi

# Open every page of the test build (book-test) in headless chromium: console errors, images,
# math, internal links and anchors, Colab links, no external resources. Skips without chromium.
browser-test: $(VENV)/.test-installed
	$(BIN)/python -m pytest -q -rs tests/browser

# The unit tests and every chapter in quick mode in two other environments (tools/env_check.py),
# each a virtual environment under _build/env-*; .ci/run runs both after make test.
#   colab-check   Python 3.13 with the book's packages at Colab's versions (.ci/colab), then
#                 ecgkeras installed as the chapters' install cell does: fails if that changes
#                 any of Colab's packages
#   floors-check  the lower bounds of pyproject.toml (tools/floors.py) on Python 3.11
colab-check:
	$(PYTHON) tools/env_check.py colab

floors-check:
	$(PYTHON) tools/env_check.py floors

# PNG screenshots of the test build into docs/screenshots: intro, a table-heavy, a figure-heavy
# and a math page, the Colab launch menu (needs chromium).
screenshots: $(VENV)/.test-installed
	$(BIN)/python tools/screenshots.py --tables notebooks/12_study_reproduced --figures notebooks/09_complementary_domains --math notebooks/10_is_the_gain_real

# Student copies of every chapter (solutions removed, outputs cleared) into _build/student.
student: $(VENV)/.book-installed
	$(BIN)/python tools/make_student_copies.py --out _build/student

# Re-execute every chapter in place, full mode, so the committed outputs are current.
notebooks: $(VENV)/.book-installed
	for nb in notebooks/*.ipynb; do $(BIN)/jupyter execute --inplace "$$nb" || exit 1; done
	$(BIN)/python tools/strip_tf_log.py notebooks/*.ipynb

bench: $(VENV)/.book-installed
	$(BIN)/ecgkeras bench views
	$(BIN)/ecgkeras bench digitize

clean:
	rm -rf _build
