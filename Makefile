PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= dist/apt
UPSTREAM ?= samples

.PHONY: install demo build stats card publish test fuzz quality format clean bench-data bench bench-downloads bench-report loyalty-template export stress train-check train-hh-rlhf manifests docs

# TRL checks the chat configs in the tests; its data utilities need only transformers, so no torch: --no-deps.
TRL ?= trl==1.16.0

$(BIN)/apt-hub: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps "$(TRL)"
	@touch $@

install: $(BIN)/apt-hub

# make demo: every config from the bundled samples, its stats and card, and the line that loads it
demo: install
	$(BIN)/apt-hub build --upstream=samples --build-dir=$(OUT)
	$(BIN)/apt-hub stats $(OUT)
	$(BIN)/apt-hub card $(OUT)
	@echo
	@echo 'The card is $(OUT)/README.md. In Python:'
	@echo '    from datasets import load_dataset; sft = load_dataset("$(OUT)", "sft")'
	@echo '    chat = load_dataset("$(OUT)", "sft_chat")  # the same rows as chat messages, for TRL'

build: install
	$(BIN)/apt-hub build --upstream=$(UPSTREAM) --build-dir=$(OUT)

stats: install
	$(BIN)/apt-hub stats $(OUT)

card: install
	$(BIN)/apt-hub card $(OUT) $(if $(REPO),--repo-id=$(REPO))

# make publish REPO=org/apt [DRY_RUN=1] [PUBLIC=1] [TAG=name]; honours HF_ENDPOINT and HF_TOKEN
publish: install
	@test -n "$(REPO)" || { echo "usage: make publish REPO=org/name [DRY_RUN=1] [PUBLIC=1] [TAG=name]"; exit 2; }
	$(BIN)/apt-hub publish $(OUT) --repo-id=$(REPO) $(if $(filter 1 true yes,$(DRY_RUN)),--dry-run) $(if $(filter 1 true yes,$(PUBLIC)),--public) $(if $(TAG),--tag=$(TAG))

# make loyalty-template [LOYALTY=loyalty_template.json] [N=100]: never replaces an existing file
LOYALTY ?= loyalty_template.json
N ?= 100
loyalty-template: install
	$(BIN)/apt-hub loyalty-template --output=$(LOYALTY) --n=$(N) --upstream=$(UPSTREAM)

# make export [LEGACY=data/apt_datasets]: the build as the old tool's JSON files, for the APT trainer
LEGACY ?= data/apt_datasets
export: install
	$(BIN)/apt-hub export $(OUT) --output-dir=$(LEGACY)

test: install
	$(BIN)/python -m pytest -q

# make fuzz [FUZZ_EXAMPLES=20000]: the property-based tests of every input parser, FUZZ_EXAMPLES cases each; about
# one upstream case in APT_FUZZ_BUILD_EVERY (100) is also built whole, in one process and in two (--num-proc 2);
# those that run a command on a build folder (damaged shards and cards, misbehaving mappings) a hundredth as many
FUZZ_EXAMPLES ?= 20000
fuzz: install
	HYPOTHESIS_PROFILE=fuzz APT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:warnings \
		--hypothesis-show-statistics tests/test_fuzz.py

# make manifests [SOURCES="coig-cqia hh-rlhf"]: each built-in source's files at its pinned revision, from the Hub's
# tree API (honours HF_ENDPOINT and HF_TOKEN), into apt_hub/sources/manifests/; a build checks upstreams against them
manifests: install
	$(BIN)/python tools/manifests.py $(SOURCES)

# make docs: the parts of README.md and docs/ the code declares (configs, training, the reference), from the declarations
docs: install
	$(BIN)/python tools/readme.py

# make stress: builds and exports killed with SIGKILL at every named step, a full disk and a file size limit at
# every point, a shard cut anywhere, every misbehaviour of a mapping at every row, a 2 GiB line (minutes; not in
# make test)
STRESS_TESTS = tests/test_folder.py tests/test_damaged.py tests/test_custom_sources.py tests/test_readers.py
stress: install
	APT_HUB_STRESS=1 $(BIN)/python -m pytest -q $(STRESS_TESTS)

# make quality: lint, format and type checks ([tool.mypy] in pyproject.toml: apt_hub and builders)
quality: install
	$(BIN)/ruff check apt_hub builders tests tools bench training
	$(BIN)/ruff format --check apt_hub builders tests tools bench training
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix apt_hub builders tests tools bench training
	$(BIN)/ruff format apt_hub builders tests tools bench training

# make bench-data [SCALE=1]: a full-scale upstream mirror in bench/data/scale-$(SCALE) (SCALE=2 doubles every count)
SCALE ?= 1
bench-data: install
	$(BIN)/python -m bench.mirror --output-dir=bench/data/scale-$(SCALE) --scale=$(SCALE)

# make bench: build, stats, card and publish beside the old way and the I/O floor at scales 1 and 2 -> bench/out/
bench: install
	$(BIN)/python -m bench.run --scales 1 2

# make bench-downloads: cold builds through a test Hub with 100 ms per request, downloads one at a time and
# concurrent, beside snapshot_download of the same files plus a warm build (UPSTREAM=bench/data/scale-1 for the mirror)
bench-downloads: install
	$(BIN)/python -m bench.downloads $(if $(UPSTREAM),--upstream=$(UPSTREAM))

# make bench-report: publish the last `make bench` run as the tracked bench/results.md (and results.json)
bench-report: install
	$(BIN)/python -m bench.report bench/out/results.json bench/results.md

# make train-check: two steps of every training recipe of the card, TRL and LLaMA-Factory, on the samples with a tiny
# model and tokenizer made here (nothing downloaded), checking finite losses and the SFT loss masks (minutes; not in
# make test). Each framework has its own venv under $(TRAIN)/, torch from the CPU wheel on this disk; LLaMA-Factory
# comes with --no-deps, its text stages' dependencies from training/requirements-llamafactory.txt (pip then lists
# the GUI, API and media packages it asks for as missing: they are left out on purpose). Where $(HH_RLHF) exists, its
# real rows are built too (the samples with that file in place) and LLaMA-Factory's data code reads every one of
# them through the card's `apt_dpo_test` entry, and the card's token estimate is checked against Qwen's tokenizer on
# the real texts of $(REAL).
TRAIN ?= .train
TORCH ?= torch==2.13.0
LLAMAFACTORY ?= llamafactory==0.9.5
REAL ?= ../shared/upstream
HH_RLHF ?= $(REAL)/hh-rlhf/harmless-base/test.jsonl.gz
# Qwen's tokenizer ranks, shipped inside this package (read as a file, never imported): the token check's reference.
DASHSCOPE ?= dashscope==2.0.2
TRAIN_ENV := HF_HUB_OFFLINE=1 HF_DATASETS_DISABLE_PROGRESS_BARS=1 TOKENIZERS_PARALLELISM=false

$(TRAIN)/trl/.installed: training/requirements-trl.txt pyproject.toml
	$(PYTHON) -m venv $(TRAIN)/trl
	$(TRAIN)/trl/bin/python -m pip install --quiet --upgrade pip
	$(TRAIN)/trl/bin/python -m pip install --quiet "$(TORCH)"
	$(TRAIN)/trl/bin/python -m pip install --quiet -r training/requirements-trl.txt -e ".[rewards]"
	@touch $@

$(TRAIN)/llamafactory/.installed: training/requirements-llamafactory.txt pyproject.toml
	$(PYTHON) -m venv $(TRAIN)/llamafactory
	$(TRAIN)/llamafactory/bin/python -m pip install --quiet --upgrade pip
	$(TRAIN)/llamafactory/bin/python -m pip install --quiet "$(TORCH)"
	$(TRAIN)/llamafactory/bin/python -m pip install --quiet --no-deps "$(LLAMAFACTORY)"
	$(TRAIN)/llamafactory/bin/python -m pip install --quiet -r training/requirements-llamafactory.txt -e .
	$(TRAIN)/llamafactory/bin/python -m pip install --quiet --no-deps "$(DASHSCOPE)"
	@touch $@

# Each step's output goes to its log under $(TRAIN)/runs/, shown when the step fails.
define train_step
	@echo "$(1)"; $(TRAIN_ENV) $(2) > $(TRAIN)/runs/$(1).log 2>&1 || { tail -n 40 $(TRAIN)/runs/$(1).log; exit 1; }
endef

train-check: install $(TRAIN)/trl/.installed $(TRAIN)/llamafactory/.installed
	rm -rf $(TRAIN)/apt $(TRAIN)/hh $(TRAIN)/hh-upstream $(TRAIN)/tiny $(TRAIN)/runs && mkdir -p $(TRAIN)/runs
	$(call train_step,build,$(BIN)/apt-hub build --upstream=samples --build-dir=$(TRAIN)/apt)
	$(if $(wildcard $(HH_RLHF)),$(call train_step,build-hh-rlhf,$(MAKE) --no-print-directory train-hh-rlhf))
	$(call train_step,tiny-model,$(TRAIN)/trl/bin/python training/tiny_model.py --build $(TRAIN)/apt --output $(TRAIN)/tiny)
	$(call train_step,trl,$(TRAIN)/trl/bin/python training/trl_check.py \
		--build $(TRAIN)/apt --model $(TRAIN)/tiny --output $(TRAIN)/runs/trl)
	$(call train_step,llamafactory,$(TRAIN)/llamafactory/bin/python training/llamafactory_check.py \
		--build $(TRAIN)/apt --model $(TRAIN)/tiny --output $(TRAIN)/runs/llamafactory \
		$(if $(wildcard $(HH_RLHF)),--hh-rlhf $(TRAIN)/hh))
	$(if $(wildcard $(HH_RLHF)),$(call train_step,tokens,$(TRAIN)/llamafactory/bin/python training/tokens_check.py \
		--upstream $(REAL) --output $(TRAIN)/runs/tokens))
	@$(PYTHON) training/table.py $(TRAIN)/runs

# The samples with the real $(HH_RLHF) in place of theirs, built as dpo and dpo_chat from hh-rlhf alone (the
# file differs from the one the samples' manifest lists, on purpose: --allow-changed-upstream).
train-hh-rlhf: install
	cp -r apt_hub/samples $(TRAIN)/hh-upstream
	cp $(HH_RLHF) $(TRAIN)/hh-upstream/Anthropic/hh-rlhf/harmless-base/test.jsonl.gz
	$(BIN)/apt-hub build dpo dpo_chat --only=hh-rlhf --upstream=$(TRAIN)/hh-upstream --build-dir=$(TRAIN)/hh \
		--allow-changed-upstream

clean:
	rm -rf $(OUT) build *.egg-info
