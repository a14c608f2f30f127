# `make run`: install everything into .venv and node_modules, then run the demo show.
# `make test`: the same install, then lint, type-check and the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint bench clean

$(STAMP): pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/livecart demo

lint: setup
	$(BIN)/ruff check livecart tests bench
	$(BIN)/mypy
	npm run --silent lint

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench all --quick

clean:
	rm -rf $(VENV) node_modules livecart-demo.db*
