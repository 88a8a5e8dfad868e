# Every target creates the virtual environment in .venv first when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help venv demo test lint typecheck unit generate check-generated schema bench soak clean

help:
	@echo "make demo             generate images from a style against the local emulator"
	@echo "make test             ruff, mypy, pytest and check-generated"
	@echo "make generate         rewrite generated/ from schema.graphql and queries/"
	@echo "make check-generated  fail when generated/ differs from a fresh regeneration"
	@echo "make schema [FILE=introspection.json]  refresh schema.graphql (live with LAYER_API_KEY)"
	@echo "make bench [QUICK=1]  run the benchmarks in bench/"
	@echo "make soak [SOAK_N=200]  run the reliability soak against the emulator"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "layer-client needs Python 3.11 or newer: run make with PYTHON=python3.11 (or later)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m layer_client.demo

lint: $(STAMP)
	$(BIN)/ruff check layer_client tests bench codegen
	$(BIN)/ruff format --check layer_client tests bench codegen

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit check-generated

generate: $(STAMP)
	$(BIN)/python codegen/generate.py

check-generated: $(STAMP)
	$(BIN)/python codegen/generate.py --check

schema: $(STAMP)
	$(BIN)/python -m layer_client.schema_tool pull $(if $(FILE),--from-file $(FILE),)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

soak: $(STAMP)
	$(BIN)/python -m bench.soak $(if $(SOAK_N),--generations $(SOAK_N),)

clean:
	rm -rf $(VENV) demo-output .mypy_cache .ruff_cache .pytest_cache
