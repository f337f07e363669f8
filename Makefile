PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= dist/apt
UPSTREAM ?= samples

.PHONY: install demo build test quality format clean

$(BIN)/apt-hub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/apt-hub

demo: install
	$(BIN)/apt-hub build --upstream=$(UPSTREAM) --output-dir=$(OUT)

build: install
	$(BIN)/apt-hub build --upstream=$(UPSTREAM) --output-dir=$(OUT)

test: install
	$(BIN)/python -m pytest -q

quality: install
	$(BIN)/ruff check apt_hub builders tests tools
	$(BIN)/ruff format --check apt_hub builders tests tools

format: install
	$(BIN)/ruff check --fix apt_hub builders tests tools
	$(BIN)/ruff format apt_hub builders tests tools

clean:
	rm -rf $(OUT) build *.egg-info
