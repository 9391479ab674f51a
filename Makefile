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

# One model cache for the suite and the gate after it: `train` fits the model once, and
# every test, bot process and the gate load it (tests/conftest.py).
test train warm suite: export MODEL_CACHE_DIR ?= $(CURDIR)/$(VENV)/model-cache
# Bytecode caches on, whatever the shell says: with PYTHONDONTWRITEBYTECODE set, every bot
# process a test starts recompiled the bot's modules, and every pytest worker rewrote
# every test module's asserts again (__pycache__/ is ignored by git).
unexport PYTHONDONTWRITEBYTECODE

# setuptools warns at every editable install that folders named like a package may win
# imports: knowledge/ installs as emailstatus_knowledge through its import finder, as meant.
EDITABLE_QUIET := PYTHONWARNINGS="ignore:Editable installation"

.PHONY: run test lint train warm suite eval bench clean lock

# constraints.txt pins every dependency (the image and CI install from it too).
# uv installs them: it unpacks the ~50 wheels in parallel, about 5 s instead of pip's 20 s.
# It is itself a pinned dev dependency, bootstrapped with pip; should uv fail (an index it
# cannot reach), pip installs the same pins. Neither compiles bytecode at install time:
# modules are compiled when first imported (most of site-packages never is).
$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@echo "Installing emailstatus-bot and its pinned dependencies into $(VENV)..."
	{ $(BIN)/pip install --quiet --no-compile --constraint constraints.txt uv \
	  && $(EDITABLE_QUIET) $(BIN)/uv pip install --python $(BIN)/python --constraint constraints.txt -e '.[dev]'; } \
	  || $(EDITABLE_QUIET) $(BIN)/pip install --no-compile --constraint constraints.txt -e '.[dev]'
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

# Three jobs on two cores before the suite: the lint (ruff, then mypy), training the
# shared model (tests/conftest.py would otherwise do it at session start), and compiling
# the test modules (pytest's cache of rewritten asserts), which starts when the lint ends.
# Then the suite, then the gate on the dev set.
test: $(STAMP)
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint train warm
	@$(MAKE) --no-print-directory suite
	$(BIN)/emailstatus-bot eval --gate $(EVAL_SET)

# The model every test, bot process and the gate load from MODEL_CACHE_DIR.
train: $(STAMP)
	@$(BIN)/emailstatus-bot knowledge train > $(VENV)/train.log 2>&1 || { cat $(VENV)/train.log; exit 1; }
	@head -n 2 $(VENV)/train.log

# Fill pytest's cache of rewritten test modules once, before the parallel workers each
# need it (a collect-only run does not train: tests/conftest.py).
warm: $(STAMP)
	$(BIN)/pytest --collect-only -q -n 0 -p no:cacheprovider > /dev/null

suite: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope

eval: $(STAMP)
	$(BIN)/emailstatus-bot eval $(EVAL_SET)

bench: $(STAMP)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
