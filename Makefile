# The two commands a newcomer needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test unit ui bench clean

$(BIN)/clusterwatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

setup: $(BIN)/clusterwatch

# Ingest, transform, check and publish the embedded sample snapshot (fictional countries).
run: setup
	$(BIN)/clusterwatch refresh

# The whole test suite; tests that need ../shared/hdx-snapshot skip with a message when it is absent.
test: setup
	$(BIN)/pytest -q -rs

# The dbt unit tests alone (each model's SQL on small inline fixtures, no data): about a minute.
unit: setup
	$(BIN)/pytest -q tests/test_dbt_unit.py

# The Dagster UI on http://127.0.0.1:3000 with the repo's dagster.yaml.
ui: setup
	$(BIN)/clusterwatch ui

bench: setup
	$(BIN)/python bench/bench_ingest.py

clean:
	rm -rf data/warehouse.duckdb data/cache data/published data/dagster data/sample-snapshot dbt_project/target
