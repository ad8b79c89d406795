# The two promises of the README: `make run` and `make test`, from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint faults bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ticketflow dev

lint: $(STAMP)
	$(BIN)/ruff check domain workflows activities store api worker infra cli tests bench
	$(BIN)/ruff format --check domain workflows activities store api worker infra cli tests bench
	$(BIN)/mypy domain workflows activities store api worker infra cli

test: $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider

faults: $(STAMP)
	TICKETFLOW_FAULTS_FULL=1 $(BIN)/pytest -q -p no:cacheprovider -s --timeout 7200 tests/faults

bench: $(STAMP)
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .ticketflow
