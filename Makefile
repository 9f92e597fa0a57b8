# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Test processes per database (pytest-xdist). The tests mostly wait (processes starting,
# servers, the database), so more than the machine's cores pays; see docs/decisions.md.
# A worker that dies fails the run at once (`--max-worker-restart=0`): xdist can wait forever
# for a replaced worker under `--dist loadfile`.
TEST_WORKERS ?= 4
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --max-worker-restart=0 --durations=15
# The two longest files run in lanes of their own from the start, beside the two suites,
# instead of last in them: the multi-node topology (PostgreSQL) and schemathesis (SQLite).
TOPOLOGY := tests/cluster/test_topology.py
SCHEMATHESIS := tests/test_schemathesis.py

.PHONY: run test system-packages lint typecheck test-sqlite test-postgres test-topology test-schemathesis \
	test-cluster docs bench clean

$(BIN)/pip:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/pip
	$(BIN)/pip install -q -e '.[server]'
	touch $@

# One resolver run for the server and the test tools (the server's packages are a subset).
$(VENV)/.test-installed: pyproject.toml | $(BIN)/pip
	$(BIN)/pip install -q -e '.[server,test]'
	touch $(VENV)/.installed $@

## Serve on the embedded defaults: SQLite and local files under ./data.
run: $(VENV)/.installed
	$(BIN)/xqr serve

## The whole suite: lint, types, layer contracts, tests on SQLite and on PostgreSQL, side by
## side; each one's output is printed whole when it ends.
test:
	$(MAKE) --no-print-directory -j2 $(VENV)/.test-installed system-packages
	$(MAKE) --no-print-directory -j5 --output-sync=target lint test-sqlite test-postgres \
		test-topology test-schemathesis

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture

test-sqlite: $(VENV)/.test-installed
	XQR_TEST_DB=sqlite $(PYTEST) --ignore=$(SCHEMATHESIS)

test-schemathesis: $(VENV)/.test-installed
	XQR_TEST_DB=sqlite $(BIN)/pytest $(SCHEMATHESIS)

test-postgres: $(VENV)/.test-installed
	@if ./scripts/has-postgres; then \
		XQR_TEST_DB=postgres $(PYTEST) --ignore=$(TOPOLOGY); \
	else \
		echo "PostgreSQL binaries (initdb, pg_ctl) not found: PostgreSQL suite skipped."; \
	fi

test-topology: $(VENV)/.test-installed
	@if ./scripts/has-postgres; then \
		XQR_TEST_DB=postgres $(BIN)/pytest $(TOPOLOGY); \
	else \
		echo "PostgreSQL binaries (initdb, pg_ctl) not found: topology test skipped."; \
	fi

## The multi-node topology alone (PostgreSQL, Redis, S3, three nodes, two workers, nginx),
## with its figures printed; `make test` runs it too, in a lane of its own.
test-cluster: $(VENV)/.test-installed system-packages
	XQR_TEST_DB=postgres $(BIN)/pytest -s tests/cluster

# The system packages the tests use (Chromium, poppler, …): installed while pip runs.
system-packages:
	./scripts/test-deps

## Regenerate generated docs (QR gallery, bio theme and dashboard screenshots).
docs: $(VENV)/.test-installed
	$(BIN)/python scripts/qr_gallery.py
	$(BIN)/python scripts/bio_screenshots.py
	$(BIN)/python scripts/dashboard_screenshots.py
	$(BIN)/python scripts/dashboard_bio_screenshots.py

bench: $(VENV)/.test-installed
	$(BIN)/python bench/redirect.py

clean:
	rm -rf $(VENV) data
