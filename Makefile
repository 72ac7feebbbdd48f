# editspec: `make demo` sets up and runs the demo; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: install demo test bench lint clean system-deps corpus train

# torch is pinned to 2.13.0 (CPU build) in pyproject.toml: on the development machines it
# installs from a local wheel; a newer release would download a multi-GB CUDA build.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/editspec demo -o out

# pytest exits 5 when it collects no tests: that is a failure here, there must be tests.
test: $(STAMP) system-deps
	@$(BIN)/python -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

# System programs the tests use as real readers: melt (MLT) renders the exported MLT file.
# Installed with apt-get when missing and possible (root or sudo); otherwise the MLT
# render test is skipped and says so loudly.
system-deps:
	@if command -v melt >/dev/null 2>&1; then echo "melt: $$(command -v melt)"; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends melt \
	  || echo "*** make system-deps: could not install melt; MLT render test will be SKIPPED ***" >&2; \
	else echo "*** make system-deps: no apt-get; install melt to verify MLT exports ***" >&2; fi

bench: $(STAMP)
	$(BIN)/python bench/kernels.py

# The model's training corpus (Debian MIDI packages rendered with fluidsynth) goes to
# $$EDITSPEC_CACHE/corpus, never into git; `train` rebuilds models/beats-gru.pt from it.
corpus: $(STAMP)
	nice -n 10 $(BIN)/editspec train --corpus-only

train: $(STAMP)
	nice -n 10 $(BIN)/editspec train --build-corpus

lint: $(STAMP)
	$(BIN)/ruff check editspec tests bench

clean:
	rm -rf out .pytest_cache build *.egg-info
