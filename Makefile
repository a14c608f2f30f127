# `make run`: install everything into .venv and node_modules, then run the demo show.
# `make test`: the same install, then lint, type-check and the whole test suite; a test whose program
# (redis-server, chromium) is missing skips, named at the end, except under CI=true where it fails.
# `make format-check`: `ruff format --check` (settings in pyproject.toml); `make wheel`: dist/*.whl.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint format-check wheel bench clean

$(STAMP): pyproject.toml setup.py livecart/media/_fastsend.c package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	npm ci --no-audit --no-fund --loglevel=error
	@$(BIN)/python -c 'from livecart.media.native_writer import rtp_path, IMPORT_ERROR; \
	print("relay RTP path:", rtp_path("auto"), "" if IMPORT_ERROR is None else f"(C fast path not built: {IMPORT_ERROR})")'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/livecart demo

lint: setup
	$(BIN)/ruff check livecart tests bench setup.py
	$(BIN)/ruff format --check livecart tests bench setup.py
	$(BIN)/mypy
	npm run --silent lint

format-check: setup
	$(BIN)/ruff format --check livecart tests bench setup.py

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

# The wheel carries the pages and the Socket.IO bundle from node_modules/ (setup.py's build hook).
wheel: setup
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation -w dist .

bench: setup
	$(BIN)/python -m bench all --quick

clean:
	rm -rf $(VENV) node_modules build dist livecart-demo.db*
