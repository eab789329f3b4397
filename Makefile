# rspace-mock: a fake RSpace for developing and testing RSpace API clients.
#   make serve   install (first time) and run the fake on fixtures/default.json
#   make test    install (first time) and run lint, type checks and every test (with a
#                PostgreSQL server started for the tests and stopped afterwards)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= $(or $(RSPACE_MOCK_HOST),127.0.0.1)
PORT   ?= $(or $(RSPACE_MOCK_PORT),8080)
ARGS   ?=
POSTGRES := bash scripts/postgres.sh

.PHONY: install serve test suites lint typecheck unit contract contract-thorough bench clean jsoup chromium \
        postgres-start postgres-stop

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/rspace-mock serve --host $(HOST) --port $(PORT) $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mock_server tests benchmarks
	$(BIN)/ruff format --check mock_server tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests

contract: $(STAMP)
	$(BIN)/pytest mock_server/contract

# The whole suite runs on the in-memory engine, then again on SQLite but for the modules that
# choose their engines themselves (marked `own_engines`: the store, state and durability tests,
# which run on every engine, and those that need no store); the contract suite and the HTTP-level
# token, document and client tests run a third time on PostgreSQL. A throw-away PostgreSQL server
# (scripts/postgres.sh) runs meanwhile, its DSN in RSPACE_MOCK_TEST_POSTGRES; it is stopped
# afterwards, whether the tests pass or not.
test: lint typecheck $(STAMP) jsoup chromium
	$(POSTGRES) run -- $(MAKE) --no-print-directory suites

# A headless Chromium for the browser tests (tests/test_browser_*.py, driven by Playwright); as
# root on Debian, a missing one is installed (scripts/chromium.sh). The first pass requires it
# (RSPACE_MOCK_REQUIRE_BROWSER=1): the browser tests fail rather than skip without it.
chromium:
	@browser=$$(bash scripts/chromium.sh find) && echo "browser for the browser tests: $$browser"

# jsoup 1.15.3 (RSpace's HTML cleaner), which the field HTML tests compare the fake with; as
# root on Debian, a missing JDK or jsoup is installed (scripts/jsoup.sh).
jsoup: $(STAMP)
	bash scripts/jsoup.sh build >/dev/null

POSTGRES_PASS := mock_server/contract tests/test_concurrent_grants.py tests/test_http_token_endpoint.py \
	tests/test_http_documents.py tests/test_http_api_auth.py tests/test_sdk_rspace_client.py \
	tests/test_oauthlib_client.py tests/test_admin_api.py tests/test_http_files.py \
	tests/test_sdk_files.py tests/test_sdk_forms.py

# The mutant self-check checks the contract suite, not the store: it runs on the first pass only
# (its suite runs share the mutants out between the machine's cores). The SQLite and the
# PostgreSQL passes share no state (each server has its own file or schema) and each keeps one
# core busy, so they run side by side.
#
# The newcomer's-path test (tests/test_newcomer.py: builds the package, installs it into fresh
# venvs and uses it from there) mostly waits on pip and on servers of its own, so it runs
# alongside the first pass, its output shown when both are done.
suites: $(STAMP)
	@echo "tests/test_newcomer.py runs alongside the first pass (its output follows it)"; \
	$(BIN)/pytest -p no:cacheprovider tests/test_newcomer.py > $(VENV)/newcomer.log 2>&1 & \
	newcomer=$$!; \
	RSPACE_MOCK_REQUIRE_JSOUP=1 RSPACE_MOCK_REQUIRE_BROWSER=1 RSPACE_MOCK_BACKEND=memory \
		$(BIN)/pytest \
		--ignore=tests/test_newcomer.py; first=$$?; \
	wait $$newcomer; second=$$?; \
	echo "--- tests/test_newcomer.py (run alongside) ---"; cat $(VENV)/newcomer.log; \
	test $$first -eq 0 && test $$second -eq 0
	@echo "the SQLite pass runs alongside the PostgreSQL pass (its output follows it)"; \
	RSPACE_MOCK_BACKEND=sqlite $(BIN)/pytest -p no:cacheprovider -m "not own_engines" \
		--ignore=tests/test_contract_mutants.py > $(VENV)/sqlite-pass.log 2>&1 & \
	sqlite=$$!; \
	RSPACE_MOCK_BACKEND=postgresql RSPACE_MOCK_SCRATCH_POSTGRES="$$RSPACE_MOCK_TEST_POSTGRES" \
		$(BIN)/pytest -p no:cacheprovider $(POSTGRES_PASS); third=$$?; \
	wait $$sqlite; second=$$?; \
	echo "--- the SQLite pass (run alongside) ---"; cat $(VENV)/sqlite-pass.log; \
	test $$second -eq 0 && test $$third -eq 0

# A PostgreSQL server for running tests by hand: `make postgres-start` prints its DSN (also in
# .venv/pg/dsn, where the tests find it); it runs until `make postgres-stop`.
postgres-start:
	@$(POSTGRES) start

postgres-stop:
	@$(POSTGRES) stop

contract-thorough: $(STAMP)
	HYPOTHESIS_PROFILE=thorough $(BIN)/pytest mock_server/contract

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[test,bench]"
	touch $(BENCH_STAMP)

# Measures the fake against baselines started in the same run; writes benchmarks/results/. A
# throw-away PostgreSQL server runs meanwhile for the PostgreSQL backend (a new database on it
# per server start), its DSN in RSPACE_MOCK_TEST_POSTGRES; it is stopped afterwards.
bench: $(BENCH_STAMP)
	$(POSTGRES) run -- $(BIN)/python benchmarks/run.py

clean:
	$(POSTGRES) destroy
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
