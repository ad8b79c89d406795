# The two promises of the README: `make run` and `make test`, from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run check test lint faults fuzz bench bench-backlog mutants install clean lock

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ticketflow dev

CODE := domain workflows activities store api worker infra cli reading tests bench

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy $(CODE)

# The inner loop: lint, types and every test but the fault suite, the benchmark scripts and the slow ones.
check: $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider -m "not faults and not bench and not slow"

# Everything; what .ci/run calls.
test: $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider --durations=15

faults: $(STAMP)
	TICKETFLOW_FAULTS_FULL=1 $(BIN)/pytest -q -p no:cacheprovider -s --timeout 7200 tests/faults

# The contract run of tests/api/test_schemathesis.py, long: 200 examples an operation, at most 20 minutes.
fuzz: $(STAMP)
	TICKETFLOW_FUZZ_EXAMPLES=200 TICKETFLOW_FUZZ_SECONDS=1200 $(BIN)/pytest -q -p no:cacheprovider -s \
		--timeout 3600 tests/api/test_schemathesis.py

bench: $(STAMP)
	@for b in bench/[!_]*.py; do [ $$b = bench/backlog.py ] || { echo "== $$b"; $(BIN)/python $$b || exit 1; }; done

# 1,000 then 20,000 open tickets on one stack (about 30 minutes on 2 cores); not part of `make bench`.
bench-backlog: $(STAMP)
	$(BIN)/python bench/backlog.py --sizes 1000,20000

# The production image's pinned dependencies (Dockerfile); rerun after changing [project] dependencies.
lock: $(STAMP)
	$(BIN)/pip install -q pip-tools
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .ticketflow

# Each rule number of the policy changed in a copy, its behaviour tests run: zero survivors expected.
mutants: $(STAMP)
	$(BIN)/python -m tests.mutate_policy
