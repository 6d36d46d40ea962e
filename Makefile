# The two commands: `make run` serves the product, `make test` runs every test.
# `make check` is the quick loop while working: lint and the library's unit tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test coverage check install browser lint demo-data places clean-db bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# On an empty database `make run` makes the demo database (synthetic world, demo accounts,
# banner, imports refused); any other database is served as it is.
run: install
	$(BIN)/matcher db upgrade
	$(BIN)/matcher demo --if-empty
	test -f "$${MATCHER_MODEL_DIR:-models}/current.json" || $(BIN)/matcher train
	$(BIN)/matcher serve --host $(HOST) --port $(PORT)

# Every test, in TEST_WORKERS processes (pytest-xdist; the tests spend much of their time
# waiting on servers, PostgreSQL and the browser, so more processes than cores; the modules
# of tests/conftest.py's ONE_PROCESS, whose fixtures cost seconds, each on one process:
# --dist loadgroup). JUNIT=path writes the report there. PYTEST_ARGS go to pytest (a run
# that selects nothing passes: pytest's exit code 5); TEST_WORKERS=0 runs in this process.
# The run's processes share one demo database and one model, made once (MATCHER_TEST_SHARED).
TEST_WORKERS ?= 3
JUNIT ?=
PYTEST ?= $(BIN)/python -m pytest
test: install browser
	shared=$$(mktemp -d) && trap 'rm -rf "$$shared"' EXIT && export MATCHER_TEST_SHARED="$$shared" \
	&& { $(PYTEST) -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder \
	     $(if $(JUNIT),--junitxml=$(JUNIT)) $(PYTEST_ARGS) || [ $$? -eq 5 ]; }

# make test under coverage (pyproject.toml's [tool.coverage.run]: every process the tests
# start is measured; TEST_PRELOADED=0 starts each as a subprocess, since coverage does not
# save a child forked from tests/preloaded.py's fork server), then one report of matcher/
# and api/.
coverage: install browser
	rm -f .coverage .coverage.*
	TEST_PRELOADED=0 $(MAKE) test PYTEST="$(BIN)/coverage run -m pytest"
	$(BIN)/coverage combine -q
	$(BIN)/coverage report --skip-covered --sort=cover

# Lint and the library's unit tests, under a minute: SQLite files only (no database server,
# no API server, no browser), whatever DATABASE_URL says. The modules are the ones whose
# tests need none of those and take seconds; `make test` runs them too, with the rest.
CHECK_TESTS := tests/test_text.py tests/test_places.py tests/test_trades.py tests/test_rules.py \
	tests/test_features.py tests/test_linear.py tests/test_logistic.py tests/test_clock.py \
	tests/test_allocation.py tests/test_outcomes.py tests/test_synth.py tests/test_migrations.py \
	tests/test_seats.py tests/importing/test_import.py tests/engine/test_suggestions.py \
	tests/engine/test_fast_scorer.py tests/engine/test_beyond_reach.py \
	tests/engine/test_cohort_batch.py tests/pricing/test_plan_prices.py \
	tests/review/test_stats.py tests/review/test_metrics.py tests/web/test_i18n.py \
	tests/web/test_catalogues.py tests/web/test_notes.py tests/test_kinds.py tests/test_layers.py \
	tests/importing/test_duplicates.py tests/review/test_snapshots.py

check: install
	$(BIN)/ruff check matcher api tests scripts bench
	env -u DATABASE_URL -u MATCHER_REQUIRE_POSTGRES -u MATCHER_REQUIRE_BROWSER \
	  $(BIN)/python -m pytest -q $(CHECK_TESTS) $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium; install it when missing and we may (root + apt).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "no chromium: the browser tests will be skipped (apt-get install chromium)"; fi; }

lint: install
	$(BIN)/ruff check matcher api tests scripts bench

# Every figure of the README's performance table at three world sizes (province, 10x,
# national; BENCH_ARGS="--scales province" or "--quick" for less); JSON in bench/results/.
BENCH_ARGS ?=
bench: install
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# Regenerate the committed demo world (deterministic) and the places table.
demo-data: install
	$(BIN)/python -m matcher.synth --out data/demo --seed 2025

clean-db:
	rm -f data/matcher.sqlite3 data/matcher.sqlite3-wal data/matcher.sqlite3-shm

# Rebuild data/places.csv from the vietnam-provinces packages (see scripts/extract_places.py).
places: install
	$(BIN)/python scripts/extract_places.py
