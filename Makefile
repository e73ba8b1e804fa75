# Everything a fresh machine with Python 3.11 and make needs. The README quotes these targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
SCALE ?= 2000
HOST ?= 127.0.0.1:8000

.PHONY: demo test lint typecheck pytest bench loadtest serve seed lock clean vendor

$(BIN)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

## make vendor: the front-end libraries (Chart.js) from the npm registry into node_modules/
## (not committed), exactly as package-lock.json pins and hashes them; served as static files
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "需要 Node.js 和 npm（安装图表库）：apt-get install nodejs npm"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

vendor: node_modules/.installed

# Local secrets (Django secret, SM4 and HMAC keys) live outside git; generated once per checkout.
.env:
	$(PYTHON) -m xinfang.core.keygen > .env.tmp && mv .env.tmp .env

## make demo: install, migrate SQLite, load demo data, print the demo logins, serve on $(HOST)
demo: $(BIN)/.installed .env node_modules/.installed
	$(MANAGE) migrate --no-input
	$(MANAGE) collectstatic --no-input --verbosity 0
	$(MANAGE) seed_demo --cases $(SCALE) --if-empty
	$(MANAGE) rebuild_search_index
	$(MANAGE) demo_logins --url http://$(HOST)/
	@# The task queue (deadline sweep, recomputations) runs beside the server and stops with it.
	trap 'kill 0' EXIT INT TERM; $(MANAGE) run_huey --workers 1 --quiet & \
	  $(MANAGE) runserver $(HOST) --noreload

## make test: lint, type-check, the whole suite (browser tests included where Chromium exists)
test: $(BIN)/.installed .env lint typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed .env
	$(BIN)/mypy xinfang tests bench

pytest: $(BIN)/.installed .env node_modules/.installed
	$(BIN)/pytest -n $(or $(JOBS),auto) $(PYTEST_ARGS)

## make bench SCALE=10k|100k|1m DB=sqlite|postgres: build or reuse the benchmark database under
## var/bench/, run the workloads with their baselines, print the table, write bench/results/*.json
## (BENCH_ARGS="--quick" for fewer repetitions, "--rebuild" to build the data again)
bench: $(BIN)/.installed .env
	$(BIN)/python -m bench --scale $(SCALE) --db $(or $(DB),sqlite) $(BENCH_ARGS)

## make loadtest: gunicorn (2 workers, gunicorn.conf.py) on a free loopback port with a database
## of its own under /tmp (PostgreSQL `<name>_load` when DATABASE_URL is set), driven by
## LOAD_CLIENTS (48) clients for LOAD_SECONDS (15); fails on any 500, on 1 % failed requests or
## more, or on more PostgreSQL connections than workers × threads
loadtest: $(BIN)/.installed .env
	XF_LOADTEST=1 XF_LOAD_SECONDS=$(or $(LOAD_SECONDS),15) XF_LOAD_CLIENTS=$(or $(LOAD_CLIENTS),48) \
	  $(BIN)/pytest tests/load -p no:xdist -p no:cacheprovider

lock:
	$(PYTHON) -m venv /tmp/xinfang-lock && /tmp/xinfang-lock/bin/pip install --quiet uv
	/tmp/xinfang-lock/bin/uv pip compile pyproject.toml --extra dev --generate-hashes \
	  --python-version 3.11 --universal --no-header -q -o requirements.lock

clean:
	rm -rf $(VENV) node_modules var/static .pytest_cache .mypy_cache .ruff_cache
