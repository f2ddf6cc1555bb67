# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make datapack   build every pack from the sources (the bundled demo by default)
#   make test       run the tests (the fast tier, on every core: under 10 minutes on two)
# and, for the tests that build many packs or drive real clients (Chromium, LibreOffice):
#   make test-slow  run the tests marked slow (CI runs both)
#   make test-all   run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: datapack test test-slow test-all validate demo bench golden clean install

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

datapack: $(STAMP)
	$(BIN)/datapack build $(ARGS)

validate: $(STAMP)
	$(BIN)/datapack validate $(ARGS)

# -n auto: pytest-xdist, one worker per core; the shared demo fixtures are built once per worker.
JOBS ?= auto

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m "not slow" $(ARGS)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m slow $(ARGS)

test-all: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) $(ARGS)

# Regenerate the bundled demo estate (sources/ and datapack.yaml) from its seed.
demo: $(STAMP)
	$(BIN)/datapack demo --out . --force

# Rewrite the golden pack contexts (tests/golden/packs/) after checking every change it prints is intended.
golden: $(STAMP)
	$(BIN)/python tests/golden_packs.py regenerate

# Time each stage on a national-scale synthetic estate (speed is measured here, not in unit tests).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(ARGS)

clean:
	find output -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf .datapack-cache .pytest_cache
