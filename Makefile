# `make run` serves the app on the demo data; `make test` runs everything CI runs;
# `make check` is the quick loop while working: ruff and every test except the browser ones.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
CHROMIUM ?= /usr/bin/chromium
# Two test processes per core: a browser test spends much of its time waiting on the served app and Chromium.
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
CHECK_WORKERS ?= auto

.PHONY: run test check lint unit bench browser-deps pg-deps font-deps clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The demo is the Q1 2024/25 report: served on its own data, freshness is judged as on the day it was
# published (unless KPI_TODAY says otherwise); with KPI_DATA_DIR set, by today's date.
DEMO_TODAY ?= 2024-07-15

run: $(VENV)/.runtime font-deps
	KPI_TODAY="$${KPI_TODAY:-$(if $(KPI_DATA_DIR),,$(DEMO_TODAY))}" $(PY) -m streamlit run serve.py --server.port $(PORT)

# Debian's chromium drives the browser tests; Playwright cannot download its own browser here.
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; \
	fi

# The committee pack's PDF prints the status icons in DejaVu Sans.
font-deps:
	@if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ]; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core; fi; \
	fi

# Debian's PostgreSQL server backs the database store's tests (started by the tests themselves, on a free loopback port).
pg-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; fi; \
	fi

# axe-core, pinned in package-lock.json, is injected into the served app by the accessibility test.
# Debian's npm installs it when absent.
node_modules/.package-lock.json: package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; fi; \
	fi
	npm ci --no-audit --no-fund --silent

lint: $(VENV)/.dev
	$(PY) -m ruff check .

# Both run on every core (pytest-xdist); a test module stays on one worker, so its served app and browser start once.
test: $(VENV)/.dev browser-deps pg-deps font-deps node_modules/.package-lock.json lint
	$(PY) -m pytest -n $(WORKERS) --dist loadfile

# The fast tests only: no browser, no served app, no database, no second process, nothing that takes seconds.
check: $(VENV)/.dev font-deps lint
	$(PY) -m pytest -n $(CHECK_WORKERS) -m "not browser and not database and not process and not slow"

bench: $(VENV)/.dev pg-deps browser-deps
	$(PY) tests/bench/bench_ingest.py
	$(PY) tests/bench/bench_pages.py
	$(PY) tests/bench/bench_store.py
	$(PY) tests/bench/bench_pack.py
	KPI_CHROMIUM=$(CHROMIUM) $(PY) tests/bench/bench_first_paint.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
