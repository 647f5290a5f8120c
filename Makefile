# The two commands a newcomer needs: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)

.PHONY: run test check lint openapi sdk bench deps

run: deps
	$(UV) run fluxforge run

test: deps
	$(UV) run pytest

check: deps lint test

lint: deps
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run lint-imports

openapi: deps
	$(UV) run fluxforge openapi > openapi.yaml
	mkdir -p docs && $(UV) run fluxforge errors > docs/errors.md

# The Python SDK in sdk/python, generated from openapi.yaml (never edit it by hand), plus the
# hand-written helpers kept outside the generated tree. CI runs this and fails on any diff.
sdk: deps
	$(UV) run openapi-python-client generate --path openapi.yaml --config sdk/openapi-python-client.yaml \
		--custom-template-path sdk/templates --meta uv --output-path sdk/python --overwrite --fail-on-warning
	cp sdk/helpers.py sdk/python/fluxforge_client/helpers.py
	rm -rf sdk/python/.ruff_cache

# Every benchmark, one table; BENCH_QUICK=1 for a few-minute smoke run. Writes loadtests/RESULTS.md.
bench: deps
	BENCH_QUICK=$(BENCH_QUICK) $(UV) run python loadtests/bench.py

deps: $(UV)
	$(UV) sync --frozen --quiet

# uv from PyPI into a private virtualenv when it is not on PATH (works on PEP 668 systems too).
$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv
