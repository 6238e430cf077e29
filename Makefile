# `make run` serves the app on the demo data; `make test` runs everything CI runs;
# `make check` is the quick loop while working: ruff and every test except the browser ones.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test check lint unit bench browser-deps clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m streamlit run app.py --server.port $(PORT)

# Debian's chromium drives the browser tests; Playwright cannot download its own browser here.
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; \
	fi

# axe-core, pinned in package-lock.json, is injected into the served app by the accessibility test.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

lint: $(VENV)/.dev
	$(PY) -m ruff check .

test: $(VENV)/.dev browser-deps node_modules/.package-lock.json lint
	$(PY) -m pytest

# No browser and no served app: AppTests run the pages in-process.
check: $(VENV)/.dev lint
	$(PY) -m pytest -m "not browser"

bench: $(VENV)/.dev
	$(PY) tests/bench/bench_ingest.py
	$(PY) tests/bench/bench_pages.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
