# Sealbag: `make run` opens the app, `make test` runs the whole suite.
# Both set up what is missing first (Debian packages, then the virtualenv).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test bench lint venv system-deps system-deps-test demo clean

run: system-deps $(STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(VENV)/bin/sealbag-gui --demo-if-empty; \
	else \
		echo "No display found (DISPLAY is not set): starting Sealbag on a virtual X screen (Xvfb)"; \
		echo "for a few seconds and saving a screenshot to artifacts/screenshots/make-run.png."; \
		echo "On a desktop session the app opens in a window and stays open."; \
		mkdir -p artifacts/screenshots; \
		xvfb-run -a -s "-screen 0 1280x800x24" $(VENV)/bin/sealbag-gui --demo-if-empty \
			--screenshot artifacts/screenshots/make-run.png --quit-after 3; \
	fi

test: system-deps-test $(STAMP) lint
	SEALBAG_REQUIRE_PG=$${SEALBAG_REQUIRE_PG:-1} $(PY) -m pytest $(PYTEST_ARGS)

bench: system-deps-test $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

demo: system-deps $(STAMP)
	$(VENV)/bin/sealbag demo --out artifacts/demo

system-deps:
	@tools/system-deps.sh run

system-deps-test:
	@tools/system-deps.sh test

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Sealbag needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache artifacts bench-results
