# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export COMPTOIR_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test lint install clean bench browser translations vendor-htmx

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the shop on SQLite with the embedded Stripe sandbox (no account, no network).
demo: $(STAMP)
	$(BIN)/comptoir db upgrade
	$(BIN)/comptoir seed-demo
	$(BIN)/comptoir serve --dev

## Headless Chromium for the page tests (Debian's package; Playwright drives it, never downloads one).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: browser tests will be skipped (sudo apt-get install chromium)"; fi; }

## Run the whole suite (PostgreSQL tests are mandatory when CI=true).
test: $(STAMP) browser
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

LOCALE := src/comptoir/web/locale

## Collect the pages' texts into messages.pot and merge them into each language's messages.po (then translate
## the new entries, msgstr ""). The .po files are compiled in memory when comptoir starts: no .mo to build.
translations: $(STAMP)
	$(BIN)/pybabel extract -F $(LOCALE)/babel.cfg -k N_ --no-location --sort-output --width 120 \
	  --project comptoir --msgid-bugs-address "" -o $(LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) --no-fuzzy-matching --ignore-obsolete --width 120

## Copy htmx from the npm registry at the version pinned in the script, with its licence.
vendor-htmx:
	./scripts/vendor-htmx.sh

bench: $(STAMP)
	$(BIN)/python bench/sandbox_vs_localstripe.py
	$(BIN)/python bench/webhook_ingest.py

clean:
	rm -rf $(VENV) var .pytest_cache
