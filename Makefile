# The README's two set-up commands: `make run` and `make test`. Each creates .venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP := $(VENV)/.installed-app
STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck unit bench schemas foods units vendor-js clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The app alone (make run) needs only the runtime dependencies.
$(APP): pyproject.toml scripts/system-deps.sh | $(BIN)/python
	bash scripts/system-deps.sh
	$(BIN)/pip install --quiet -e .
	touch $(APP)

# Tests, lint, types, benchmarks and the data builders need the dev extras too.
$(STAMP): pyproject.toml scripts/system-deps.sh | $(BIN)/python
	bash scripts/system-deps.sh
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(APP) $(STAMP)

## The main job: the app at http://127.0.0.1:8000 on an embedded SQLite database, with the
## demo person (the terminal says how to sign in). `rlsiron demo` prints one assessment instead.
run: $(APP)
	$(BIN)/rlsiron serve --demo

## The full suite: lint, strict type check, tests.
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench_assess

## Rebuild shipped data from the raw sources in ../shared/data (run by hand; output is committed).
foods: $(STAMP)
	$(BIN)/python scripts/build_food_table.py
units: $(STAMP)
	$(BIN)/python scripts/build_unit_table.py
## Re-vendor the browser libraries (htmx, vega) from npm at their pinned versions (by hand).
vendor-js:
	bash scripts/vendor-js.sh
schemas: $(STAMP)
	$(BIN)/rlsiron schema input > schemas/assessment-input.schema.json
	$(BIN)/rlsiron schema output > schemas/assessment-output.schema.json

clean:
	-bash scripts/postgres.sh stop
	rm -rf $(VENV) build dist src/*.egg-info
