# Both `make run` and `make test` create the virtualenv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers: more than the cores, because many tests wait on real servers.
TEST_WORKERS ?= 4
# The labelled dev set: the repository's copy (tests/data/README.md); it measures, never
# teaches. `make test EVAL_SET=../shared/eval/questions-dev.jsonl` gates on another file.
EVAL_SET ?= tests/data/questions-dev.jsonl

# setuptools warns at every editable install that folders named like a package may win
# imports: knowledge/ installs as emailstatus_knowledge through its import finder, as meant.
EDITABLE_QUIET := PYTHONWARNINGS="ignore:Editable installation"

.PHONY: run test lint eval bench clean lock

# constraints.txt pins every dependency (the image and CI install from it too).
$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@echo "Installing emailstatus-bot and its pinned dependencies into $(VENV) (about a minute)..."
	$(EDITABLE_QUIET) $(BIN)/pip install --constraint constraints.txt -e '.[dev]'
	touch $(STAMP)

# Re-pin: a clean virtualenv of this project, frozen (without the project itself).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip && .lock-venv/bin/pip install --quiet '.[dev]'
	{ sed -n '/^#/p' constraints.txt; .lock-venv/bin/pip freeze --exclude emailstatus-bot; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .lock-venv

run: $(STAMP)
	@echo "make run keeps its case log in the checkout: $${EMAILSTATUS_DB:-data/emailstatus.db} (set EMAILSTATUS_DB to change it)" >&2; EMAILSTATUS_DB=$${EMAILSTATUS_DB:-data/emailstatus.db} $(BIN)/emailstatus-bot run

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy bot tests

test: lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope
	$(BIN)/emailstatus-bot eval --gate $(EVAL_SET)

eval: $(STAMP)
	$(BIN)/emailstatus-bot eval $(EVAL_SET)

bench: $(STAMP)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
