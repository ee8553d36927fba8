# The two commands a newcomer needs: `make run` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

USERS ?= 20
DURATION ?= 30s
HOST ?= http://127.0.0.1:8000
RATE ?= 5

.PHONY: chaos load run test test-heavy test-unit test-integration test-system test-browser lint fmt bench bench-tools browser-tools clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## the whole platform on embedded defaults; gateway on http://127.0.0.1:8000
	$(BIN)/commerce up

test: $(STAMP) browser-tools  ## the whole suite: unit, integration (MariaDB, Redis, broker), system, browser
	$(BIN)/pytest -q -rs -m "not heavy" --durations=25  # -rs: any skip's reason; 25 slowest

test-heavy: $(STAMP)  ## the system tests that start processes of their own (CI runs them too)
	$(BIN)/pytest -q -rs -m heavy --durations=10

test-unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

test-integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

test-system: $(STAMP)
	$(BIN)/pytest -q tests/system

test-browser: $(STAMP) browser-tools
	$(BIN)/pytest -q tests/browser

lint: $(STAMP)
	$(BIN)/ruff check src tests bench load
	$(BIN)/ruff format --check src tests bench load
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)  ## ruff's fixes, then its format, in place; what it cannot fix it prints
	$(BIN)/ruff check --fix --exit-zero src tests bench load
	$(BIN)/ruff format src tests bench load

bench: $(STAMP) bench-tools  ## printed figures, each against a baseline measured in the same run
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/orders.py
	$(BIN)/python bench/saga_hops.py
	$(BIN)/python bench/db_driver.py
	$(BIN)/python bench/login.py
	$(BIN)/python bench/revocation.py
	$(BIN)/python bench/live_status.py

load: $(STAMP)  ## Locust's shoppers and sellers against a running stack (make run), headless
	$(BIN)/locust -f load/locustfile.py --headless -u $(USERS) -r $(USERS) -t $(DURATION) \
		--host $(HOST) --only-summary

chaos: $(STAMP)  ## fault drill: orders at RATE/s while processes are killed (kill -9) for DURATION s
	$(BIN)/python bench/chaos.py --rate $(RATE) --duration $(DURATION)

browser-tools:  ## Chromium (Debian package) for tests/browser, when missing
	bash tests/browser/tools.sh

bench-tools:  ## wrk and nginx (Debian packages) for bench/gateway.py, when missing
	bash bench/tools.sh

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
