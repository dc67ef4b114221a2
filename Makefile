# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test install lint bench translations

# `make run` needs only the runtime requirements; `make test` adds the test tools.
$(VENV)/.runtime: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(VENV)/bin/pybabel -q compile -d matcher/translations
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

# Welsh: extract every message (templates, code, the catalogue's terms), merge it into the cy
# catalogue and compile. Translate the new entries in matcher/translations/cy/LC_MESSAGES/
# messages.po, then run this again; tests/unit/test_translations.py fails on anything left.
translations: $(VENV)/.runtime
	PYTHONPATH=. $(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k N_ -k lazy_gettext \
	  --no-location --sort-output --add-comments=Translators: --project=Kith \
	  --copyright-holder=Kith --msgid-bugs-address=hello@kith.example \
	  -o matcher/translations/messages.pot matcher
	$(VENV)/bin/pybabel -q update -i matcher/translations/messages.pot -d matcher/translations \
	  -l cy --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel -q compile -d matcher/translations --statistics
