# The two commands a newcomer needs: `make demo` and `make test`. Everything else builds on them.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
NLEN    := $(VENV)/bin/nlen
SEED    := seeds/nl-2022-01-geneva-talks-russia-us.txt
PYTEST_ARGS ?=

.PHONY: setup demo test test-all regression bench eval clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

demo: setup  ## translate the sample article to English on stdout
	$(NLEN) translate $(SEED)

test: setup  ## the suite CI runs: unit, CLI, end-to-end and the BLEU regression subset
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-all: setup  ## also the slow tests
	$(PY) -m pytest -q -m '' $(PYTEST_ARGS)

regression: setup  ## only the BLEU regression tests
	$(PY) -m pytest -q -m regression tests/regression

bench: setup  ## speed of both backends, side by side
	$(NLEN) bench

eval: setup  ## full evaluation of the default model on every suite against the baselines
	$(NLEN) eval --suite all --baseline tests/baselines/nlen-small.json

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
