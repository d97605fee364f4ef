# The two commands a new user needs:  make run  |  make test
#   make run          runtime only (no dev tools, no PyTorch), sets up the models, starts Shelly
#   make test         + dev tools (pytest, ruff, mypy, playwright, ...) + PyTorch CPU for the training tests
#   make train-setup  runtime + PyTorch CPU, for `shelly train` / `shelly eval`
# Versions come from requirements/*.lock (pip constraints: what CI tested); `make lock` regenerates them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install -q
RUNTIME := $(VENV)/.runtime
DEV := $(VENV)/.dev
TRAIN := $(VENV)/.train

.PHONY: setup run test train-setup bench lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

$(RUNTIME): pyproject.toml requirements/runtime.lock | $(BIN)/python
	$(PIP) -c requirements/runtime.lock -e .
	touch $@

$(DEV): $(RUNTIME) requirements/dev.lock
	$(PIP) -c requirements/dev.lock -e ".[dev]"
	touch $@

$(TRAIN): $(RUNTIME) requirements/train.lock
	$(PIP) -c requirements/train.lock -e ".[train]"
	touch $@

setup: $(RUNTIME)
	$(BIN)/shelly setup-models

run: setup
	$(BIN)/shelly run

train-setup: $(TRAIN)

test: setup $(DEV) $(TRAIN)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: setup $(DEV)
	$(BIN)/python -m benchmarks.run

# Re-resolve the pins in throwaway venvs (after changing dependencies in pyproject.toml).
LOCK_VENV := $(shell mktemp -u /tmp/shelly-lock.XXXXXX)
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q --upgrade pip
	$(LOCK_VENV)/bin/pip install -q .
	{ head -n 2 requirements/runtime.lock; $(LOCK_VENV)/bin/pip freeze --exclude shelly; } > requirements/runtime.lock.new
	$(LOCK_VENV)/bin/pip install -q ".[dev]"
	{ head -n 2 requirements/dev.lock; $(LOCK_VENV)/bin/pip freeze --exclude shelly; } > requirements/dev.lock.new
	mv requirements/runtime.lock.new requirements/runtime.lock
	mv requirements/dev.lock.new requirements/dev.lock
	rm -rf $(LOCK_VENV)
