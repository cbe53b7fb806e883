# make report: set up, fetch, process, build.  make test: set up, then every test.
# Offline, point STORYKIT_MIRROR at a mirror folder, e.g. STORYKIT_MIRROR=../shared/mirror make report
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUNDLE := src/storykit/site/static/plotly-storykit.min.js

.PHONY: setup bundle report test fetch process build clean

setup: $(STAMP) $(BUNDLE)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# plotly.js with only the trace types the pages draw, built from the pinned npm packages in js/
# and checked against its SHA-256. Without npm, pages load the plotly package's full plotly.min.js.
bundle: $(BUNDLE)

$(BUNDLE): js/package.json js/package-lock.json js/entry.js $(BUNDLE).sha256
	@if command -v npm >/dev/null; then \
	  npm ci --prefix js --ignore-scripts --no-audit --no-fund --loglevel=error \
	  && npm run --prefix js --silent build \
	  && (cd $(@D) && sha256sum --check --quiet $(@F).sha256) || { rm -f $@; exit 1; }; \
	else echo "npm not found: pages will load the full plotly.js (install Node.js and npm, then make bundle)"; fi

fetch: setup
	$(BIN)/storykit fetch

process: fetch
	$(BIN)/storykit process

build report: process
	$(BIN)/storykit build

# One test process per processor; a file's tests stay together, so its fixtures are made once.
test: setup
	$(BIN)/python -m pytest -n auto --dist loadfile

clean:
	rm -rf data/raw/* data/processed/* data/processed/.fingerprints.json reports .site
