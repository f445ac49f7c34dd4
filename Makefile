# giliran: `make run` starts the service on SQLite, `make test` runs the whole suite.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: install run test lint lock bench smoke-deploy docs clean

$(STAMP): requirements.lock pyproject.toml
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "giliran needs Python 3.11 or newer (found $$($(PY) --version))"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/giliran serve --token-file .giliran/admin-token

lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest $(PYTEST_ARGS)

# Re-pin every dependency after editing pyproject.toml.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

# Intake pairs, both ceilings and the three-size scaling table, ~9 minutes; quicker without the
# largest floor: make bench BENCH_ARGS="--sizes small,large".
bench: install
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# The references generated from the code: docs/api.md (the OpenAPI document) and
# docs/configuration.md (Settings). A test fails when the committed files differ.
docs: install
	$(BIN)/giliran docs --out docs

# giliran as deploy/ describes it (a throw-away PostgreSQL, Debian's nginx unprivileged, two
# replicas on loopback) under a mixed load with each replica SIGKILLed and restarted; checks
# the invariants from the database and prints the figures. About a minute; needs nginx.
smoke-deploy: install
	$(BIN)/python -m tests.smoke_deploy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
