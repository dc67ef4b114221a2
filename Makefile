# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test install lint bench

# `make run` needs only the runtime requirements; `make test` adds the test tools.
$(VENV)/.runtime: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.runtime
	bash scripts/run.sh

test: install
	bash scripts/test.sh $(ARGS)

lint: install
	$(VENV)/bin/ruff check matcher tests scripts
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/bandit -q -r matcher -c pyproject.toml
