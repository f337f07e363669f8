PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= dist/apt
UPSTREAM ?= samples

.PHONY: install demo build stats card publish test fuzz quality format clean bench-data bench bench-report loyalty-template export stress

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
	$(BIN)/apt-hub build --upstream=samples --output-dir=$(OUT)
	$(BIN)/apt-hub stats $(OUT)
	$(BIN)/apt-hub card $(OUT)
	@echo
	@echo 'The card is $(OUT)/README.md. In Python:'
	@echo '    from datasets import load_dataset; sft = load_dataset("$(OUT)", "sft")'
	@echo '    chat = load_dataset("$(OUT)", "sft_chat")  # the same rows as chat messages, for TRL'

build: install
	$(BIN)/apt-hub build --upstream=$(UPSTREAM) --output-dir=$(OUT)

stats: install
	$(BIN)/apt-hub stats $(OUT)

card: install
	$(BIN)/apt-hub card $(OUT) $(if $(REPO),--repo-id=$(REPO))

# make publish REPO=org/apt [DRY_RUN=1] [PUBLIC=1]; honours HF_ENDPOINT and HF_TOKEN
publish: install
	@test -n "$(REPO)" || { echo "usage: make publish REPO=org/name [DRY_RUN=1] [PUBLIC=1]"; exit 2; }
	$(BIN)/apt-hub publish $(OUT) --repo-id=$(REPO) $(if $(filter 1 true yes,$(DRY_RUN)),--dry-run) $(if $(filter 1 true yes,$(PUBLIC)),--public)

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

# make fuzz [FUZZ_EXAMPLES=20000]: the property-based tests of every input parser, FUZZ_EXAMPLES cases each (those
# that run a command on a build folder: damaged shards and cards, misbehaving mappings, a hundredth as many)
FUZZ_EXAMPLES ?= 20000
fuzz: install
	HYPOTHESIS_PROFILE=fuzz APT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:warnings \
		--hypothesis-show-statistics tests/test_fuzz.py

# make stress: builds and exports killed with SIGKILL at every named step, a full disk and a file size limit at
# every point, a shard cut anywhere, every misbehaviour of a mapping at every row, a 2 GiB line (minutes; not in
# make test)
STRESS_TESTS = tests/test_folder.py tests/test_damaged.py tests/test_custom_sources.py tests/test_readers.py
stress: install
	APT_HUB_STRESS=1 $(BIN)/python -m pytest -q $(STRESS_TESTS)

# make quality: lint, format and type checks ([tool.mypy] in pyproject.toml: apt_hub and builders)
quality: install
	$(BIN)/ruff check apt_hub builders tests tools bench
	$(BIN)/ruff format --check apt_hub builders tests tools bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix apt_hub builders tests tools bench
	$(BIN)/ruff format apt_hub builders tests tools bench

# make bench-data [SCALE=1]: a full-scale upstream mirror in bench/data/scale-$(SCALE) (SCALE=2 doubles every count)
SCALE ?= 1
bench-data: install
	$(BIN)/python -m bench.mirror --output-dir=bench/data/scale-$(SCALE) --scale=$(SCALE)

# make bench: build, stats, card and publish beside the old way and the I/O floor at scales 1 and 2 -> bench/out/
bench: install
	$(BIN)/python -m bench.run --scales 1 2

# make bench-report: publish the last `make bench` run as the tracked bench/results.md (and results.json)
bench-report: install
	$(BIN)/python -m bench.report bench/out/results.json bench/results.md

clean:
	rm -rf $(OUT) build *.egg-info
