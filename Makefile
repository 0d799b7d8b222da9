# tanmap: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
STORE  ?= var/tanmap.gpkg

.PHONY: setup run demo-data test test-fast browser pdf-tools postgis pgrouting bench bench-scaling bench-walk bench-province bench-load lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench,demo]'
	touch $(STAMP)

setup: $(STAMP)

## Set up, load the real boundaries and the labelled sample layers, audit, and serve http://$(HOST):$(PORT)
run: setup
	$(VENV)/bin/tanmap --store $(STORE) demo --host $(HOST) --port $(PORT)

## Debian's chromium for the browser tests (installed by the project, never by hand)
browser:
	bash scripts/install-browser.sh

## Debian's CJK TrueType font for the PDF report card, and poppler-utils for its tests
pdf-tools:
	bash scripts/install-pdf-tools.sh

## Debian's PostgreSQL + PostGIS: the tests run the store and API suites on a throwaway cluster
postgis:
	bash scripts/install-postgis.sh

## Debian's pgRouting (on the PostGIS above) for the walking-reach benchmark only (not for `make test`)
pgrouting:
	bash scripts/install-pgrouting.sh

## Set up and pass the whole suite (lint and types first: ruff, mypy --strict on geo/ and layers/)
test: setup browser pdf-tools postgis lint
	$(VENV)/bin/pytest -q

test-fast: setup
	$(VENV)/bin/pytest -q -m "not slow and not browser"

## Benchmarks: tanmap against naive geopandas, PostGIS and DuckDB (SIZE=small|medium|large|xlarge)
SIZE ?= small
bench: setup pgrouting
	$(PY) benchmarks/run.py --size $(SIZE)
	$(PY) benchmarks/walk.py
	$(PY) benchmarks/siting.py --size $(if $(filter small,$(SIZE)),small,issue)

## Walking reach on a synthetic city (200k street edges, 1M buildings, 10k parks) vs networkx,
## pandana and pgRouting
bench-walk: setup pgrouting
	$(PY) benchmarks/walk.py

## Scale-out on Dask: park coverage of a synthetic province (200 districts, 20.75M buildings,
## GeoParquet partitions cached in var/bench/province) on 1 and 2 workers
bench-province: setup
	$(PY) benchmarks/province.py --json benchmarks/results/province.json

## Load test: CLIENTS concurrent clients for DURATION s against LOAD_STORE (default: a fresh demo
## GeoPackage; a postgresql:// URL works too), then the version/checksum check
CLIENTS ?= 50
DURATION ?= 60
LOAD_STORE ?=
bench-load: setup
	$(PY) benchmarks/load.py --clients $(CLIENTS) --duration $(DURATION) \
		$(if $(LOAD_STORE),--store $(LOAD_STORE)) --json benchmarks/results/load.json
	$(PY) benchmarks/load.py --clients $(CLIENTS) --duration $(DURATION) --postgis \
		--json benchmarks/results/load-postgis.json

## tanmap alone on 1M and 4M buildings: the time ratio (near-linear scaling)
bench-scaling: setup
	$(PY) benchmarks/run.py --scaling

lint: setup
	$(VENV)/bin/ruff check tanmap tests
	$(VENV)/bin/mypy tanmap/geo tanmap/layers

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
