# make report: set up, fetch, process, build.  make test: set up, then every test.
# Offline, point STORYKIT_MIRROR at a mirror folder, e.g. STORYKIT_MIRROR=../shared/mirror make report
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup report test fetch process build clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

fetch: setup
	$(BIN)/storykit fetch

process: fetch
	$(BIN)/storykit process

build report: process
	$(BIN)/storykit build

test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf data/raw/* data/processed/* data/processed/.fingerprints.json reports .site
