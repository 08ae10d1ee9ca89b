# Two commands do everything on a Debian 12 / Ubuntu 24.04 machine that has python3 (3.11+), make
# and git, run as root or as a user who may sudo (README, "Quick start"):
#   make build   -> system packages it lacks (python3-venv, libcairo2), .venv with the engine, then
#                   the whole demo campaign rendered into build/
#   make test    -> the same, plus the test tools it lacks (poppler, qpdf, Ghostscript, mupdf,
#                   Chromium, libatomic1) and the test dependencies, then the suite
# Python packages are installed at the exact versions of constraints.txt (-c), so renders, reference
# images and byte-identical outputs do not move with PyPI releases.
#
# Other targets:
#   make lock                regenerate constraints.txt: a throwaway venv takes the newest releases
#                            pyproject.toml allows (engine + test + distributed extras), pip freeze
#                            writes them; then run `make test` and commit both if it passes
#   make fresh-check         the README's two commands on a minimal Debian 12 made by debootstrap,
#                            then the distributed extra installed on another one (a Dask worker);
#                            root only (scripts/fresh-check.sh; README, "Fresh-machine check")
#   make fresh-check-worker  the worker part alone
#   make lint                ruff (style), ruff format --check, mypy (types), lint-imports (the
#                            package tree's one-way imports); CI runs it before the tests
#   make bench               issue 16's targets as measured / target (benchmarks/bench_targets.py), then
#                            the per-stage, reference and batch benchmarks; make clean
PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
CONSTRAINTS := constraints.txt
PIP         := $(BIN)/python -m pip

.PHONY: build test lint install test-deps system-deps system-deps-build lock fresh-check fresh-check-worker bench clean

# Markers in .venv say what is done; each is written last, by `touch`, once its step has succeeded,
# so an interrupted or failed set-up is redone by the next make. A .venv whose python or pip does
# not run (python3 -m venv stopped half-way, e.g. without ensurepip, or the system Python replaced)
# loses its markers here and is made again from scratch.
ifneq ($(wildcard $(VENV)/.ready),)
ifneq ($(shell $(BIN)/python -c 'import pip' >/dev/null 2>&1 && echo ok),ok)
$(info $(VENV) is broken (its python or pip does not run): making it again)
$(shell rm -f $(VENV)/.ready)
endif
endif

$(VENV)/.ready: | system-deps-build
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c $(CONSTRAINTS) --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.ready pyproject.toml $(CONSTRAINTS)
	$(PIP) install -q -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed pyproject.toml $(CONSTRAINTS)
	$(PIP) install -q -c $(CONSTRAINTS) -e '.[test]'
	touch $@

install: $(VENV)/.installed

build: $(VENV)/.installed
	$(BIN)/poster build

system-deps-build:
	PYTHON=$(PYTHON) sh scripts/install-system-deps.sh build

system-deps:
	PYTHON=$(PYTHON) sh scripts/install-system-deps.sh test

test-deps: $(VENV)/.test-installed system-deps

test: test-deps
	$(BIN)/python -m pytest -q -n auto

# Style, types and the one-way imports of the package tree (configuration: pyproject.toml).
lint: $(VENV)/.test-installed
	$(BIN)/ruff check poster_engine tests benchmarks
	$(BIN)/ruff format --check poster_engine tests benchmarks
	$(BIN)/mypy poster_engine
	$(BIN)/lint-imports

lock: | system-deps-build
	rm -rf $(VENV)-lock
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install -q --upgrade pip
	$(VENV)-lock/bin/python -m pip install -q -e '.[test,distributed,bench]'
	{ echo "# Exact versions of every Python package the engine, its tests and the distributed extra use."; \
	  echo "# Written by \`make lock\`; make build and make test install with -c $(CONSTRAINTS)."; \
	  $(VENV)-lock/bin/python -m pip freeze --all --exclude-editable \
	    | grep -v -i -E '^(setuptools|wheel)=='; } > $(CONSTRAINTS).tmp
	mv $(CONSTRAINTS).tmp $(CONSTRAINTS)
	rm -rf $(VENV)-lock
	@echo "$(CONSTRAINTS) rewritten: run make test, look at git diff $(CONSTRAINTS), commit both"

fresh-check:
	bash scripts/fresh-check.sh all

fresh-check-worker:
	bash scripts/fresh-check.sh worker

bench: $(VENV)/.test-installed
	$(PIP) install -q -c $(CONSTRAINTS) -e '.[bench]'
	command -v rsvg-convert >/dev/null 2>&1 || PYTHON=$(PYTHON) sh scripts/install-system-deps.sh test librsvg2-bin
	$(BIN)/python benchmarks/bench_targets.py
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_speed.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_cluster.py

clean:
	rm -rf build
