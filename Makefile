# Two commands do everything on a fresh Debian/Ubuntu machine with python3 and libcairo2:
#   make build   -> .venv with the engine, then the whole demo campaign rendered into build/
#   make test    -> test dependencies (Python and system tools) installed, then the suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: build test install test-deps system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

build: $(VENV)/.installed
	$(BIN)/poster build

system-deps:
	sh scripts/install-system-deps.sh

test-deps: $(VENV)/.test-installed system-deps

test: test-deps
	$(BIN)/python -m pytest -q

bench: $(VENV)/.test-installed
	command -v rsvg-convert >/dev/null 2>&1 || sh scripts/install-system-deps.sh librsvg2-bin
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_speed.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_cluster.py

clean:
	rm -rf build
