# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo-data

.PHONY: demo test test-fast lint typecheck unit bench clean install install-dev system-deps vendor screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Java runs the PySpark engine-parity tests; installed from Debian when missing.
system-deps:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing a Java runtime for the Spark tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless) \
	  || echo "could not install Java: Spark tests will skip (and fail under CI=true)"; }
	@test -x /usr/bin/chromium || { \
	  echo "installing Chromium for the dashboard's browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || echo "could not install Chromium: browser tests will skip (and fail under CI=true)"; }

# Re-fetch the dashboard's vendored browser assets (htmx, Vega, Vega-Lite, vega-embed)
# with npm; the service itself never fetches anything.
vendor:
	scripts/vendor_web.sh

# Every dashboard page in light and dark, 1,366 x 768, in Chromium on the demo workspace
# (built by `make demo` when missing) into docs/images/ (not run by `make test`).
screenshots: install-dev system-deps
	test -d $(DEMO)/workspace || $(MAKE) demo
	$(BIN)/python benchmarks/web_browser.py shots --workspace $(DEMO)/workspace --out docs/images

demo: install
	rm -rf $(DEMO)
	$(BIN)/watchkeeper simulate --users 200 --days 90 --seed 7 --out $(DEMO)/sim
	$(BIN)/watchkeeper -w $(DEMO)/workspace ingest auto $(DEMO)/sim
	$(BIN)/watchkeeper -w $(DEMO)/workspace status
	$(BIN)/watchkeeper -w $(DEMO)/workspace detect
	$(BIN)/watchkeeper -w $(DEMO)/workspace access detect-violations
	$(BIN)/watchkeeper -w $(DEMO)/workspace analyze
	@echo
	@echo "One access violation end to end: the data-store events, the finding, the risk:"
	$(BIN)/watchkeeper -w $(DEMO)/workspace access violation \
	  $$($(BIN)/python scripts/demo_violation.py $(DEMO)/workspace)
	$(BIN)/watchkeeper -w $(DEMO)/workspace evaluate --answers $(DEMO)/sim/answers
	$(BIN)/watchkeeper -w $(DEMO)/workspace alerts list --limit 10
	@echo
	@echo "The demo's alerts are in the queue. To open the service (API on 127.0.0.1:8765):"
	@echo "  $(BIN)/watchkeeper -w $(DEMO)/workspace users add admin --role admin --password-stdin"
	@echo "  $(BIN)/watchkeeper -w $(DEMO)/workspace tokens create admin   # shown once"
	@echo "  $(BIN)/watchkeeper -w $(DEMO)/workspace serve"
	@echo "  curl -H 'Authorization: Bearer TOKEN' http://127.0.0.1:8765/api/v1/me"
	@echo "  then open http://127.0.0.1:8765/ and sign in as admin (the dashboard)"

lint: install-dev
	$(BIN)/ruff check src tests benchmarks

typecheck: install-dev
	$(BIN)/mypy

# Two test processes (pytest-xdist), a module's tests in one of them: most tests wait on
# a subprocess, a server or a store, so two keep both cores busy. The 30 slowest are
# listed at the end: the suite must stay under 20 minutes on a 2-core machine.
unit: install-dev system-deps
	$(BIN)/pytest -q -n 2 --dist loadscope --durations=30

test: lint typecheck unit

# The developer's loop: lint, types, and every test not marked slow or spark.
test-fast: lint typecheck
	$(BIN)/pytest -q -n 2 --dist loadscope -m "not slow and not spark"

bench: install-dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(DEMO) .pytest_cache .mypy_cache .ruff_cache bench-data
