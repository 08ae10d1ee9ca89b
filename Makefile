# Two commands do everything on a fresh Debian/Ubuntu machine with python3 and libcairo2:
#   make build   -> .venv with the engine, then the whole demo campaign rendered into build/
#   make test    -> test dependencies (Python and system tools) installed, then the suite
# Python packages are installed at the exact versions of constraints.txt (-c), so renders, reference
# images and byte-identical outputs do not move with PyPI releases.
#   make lock    -> regenerate constraints.txt: a throwaway venv takes the newest releases
#                   pyproject.toml allows (engine + test + distributed extras), pip freeze writes
#                   them; then run `make test` and commit both if it passes
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONSTRAINTS := constraints.txt

.PHONY: build test install test-deps system-deps lock bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(BIN)/pip install -q -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed pyproject.toml $(CONSTRAINTS)
	$(BIN)/pip install -q -c $(CONSTRAINTS) -e '.[test]'
	touch $@

install: $(VENV)/.installed

build: $(VENV)/.installed
	$(BIN)/poster build

system-deps:
	sh scripts/install-system-deps.sh

test-deps: $(VENV)/.test-installed system-deps

test: test-deps
	$(BIN)/python -m pytest -q

lock:
	rm -rf $(VENV)-lock
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install -q --upgrade pip
	$(VENV)-lock/bin/python -m pip install -q -e '.[test,distributed]'
	{ echo "# Exact versions of every Python package the engine, its tests and the distributed extra use."; \
	  echo "# Written by \`make lock\`; make build and make test install with -c $(CONSTRAINTS)."; \
	  $(VENV)-lock/bin/python -m pip freeze --all --exclude-editable \
	    | grep -v -i -E '^(setuptools|wheel)=='; } > $(CONSTRAINTS).tmp
	mv $(CONSTRAINTS).tmp $(CONSTRAINTS)
	rm -rf $(VENV)-lock
	@echo "$(CONSTRAINTS) rewritten: run make test, look at git diff $(CONSTRAINTS), commit both"

bench: $(VENV)/.test-installed
	command -v rsvg-convert >/dev/null 2>&1 || sh scripts/install-system-deps.sh librsvg2-bin
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_speed.py
	$(BIN)/python benchmarks/bench_batch.py

clean:
	rm -rf build
