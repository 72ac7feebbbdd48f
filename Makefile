# editspec: `make demo` sets up and runs the demo; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: install demo test test-system-ffmpeg bench bench-shots lint clean system-deps corpus train finetune

# The dev and train extras: the tests cover training (torch) and the optional parts
# (plots, Dask, Parquet). torch 2.13.0's CPU build is installed first, by its exact version:
# on the development machines it comes from a local wheel, and the train extra's range
# (torch>=2.2,<2.14) then installs nothing more (a bare range could pick a multi-GB CUDA
# build from PyPI). A plain `pip install editspec` needs no torch at all.
TORCH ?= torch==2.13.0
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check '$(TORCH)'
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev,train]'
	@touch $@

install: $(STAMP)

# also links out/'s song, clips and logo into examples/ (git-ignored links): every
# `editspec render examples/X -o out/X.mp4` then runs as written.
demo: $(STAMP)
	$(BIN)/editspec demo -o out --examples examples

# pytest exits 5 when it collects no tests: that is a failure here, there must be tests.
test: $(STAMP) system-deps
	@$(BIN)/python -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

# The render and export tests again (every example, the real-footage tier), with Debian's
# ffmpeg (5.1 on Debian 12) installed on PATH, as a Debian/Ubuntu user has it: editspec
# must adapt to it or pass it over for the bundled one. Without apt (or without root)
# they are skipped, loudly.
SYSTEM_FFMPEG_TESTS := tests/e2e/test_render.py tests/e2e/test_render_cli.py \
	tests/e2e/test_render_defects.py tests/e2e/test_demo_render.py tests/e2e/test_interchange.py \
	tests/e2e/test_titles.py tests/e2e/test_examples_render.py tests/e2e/test_real_footage.py \
	tests/unit/test_export.py tests/unit/test_ffmpeg_compile.py
test-system-ffmpeg: $(STAMP)
	@if ! dpkg -S /usr/bin/ffmpeg >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends ffmpeg \
	    || echo "*** make test-system-ffmpeg: could not apt-get install ffmpeg ***" >&2; \
	  fi; \
	fi; \
	if ! dpkg -S /usr/bin/ffmpeg >/dev/null 2>&1; then \
	  echo "*** make test-system-ffmpeg: no Debian ffmpeg here (no apt?): its render/export run is SKIPPED ***" >&2; \
	  exit 0; \
	fi; \
	echo "render/export tests with $$(/usr/bin/ffmpeg -hide_banner -version | head -1) on PATH"; \
	env -u EDITSPEC_FFMPEG PATH=/usr/bin:$$PATH $(BIN)/python -m pytest -q $(SYSTEM_FFMPEG_TESTS)

# System programs the tests use as real readers: melt (MLT) renders the exported MLT file;
# chromium + chromium-driver (Debian) open the HTML report in the browser tests; the title
# tests draw colour emoji (fonts-noto-color-emoji) and Japanese (fonts-droid-fallback; the
# tests fetch both with apt-get download when they are not installed).
# Installed with apt-get when missing and possible (root or sudo); otherwise those tests
# are skipped and say so loudly.
system-deps:
	@missing=""; \
	command -v melt >/dev/null 2>&1 && echo "melt: $$(command -v melt)" || missing="$$missing melt"; \
	test -x /usr/bin/chromium && echo "chromium: /usr/bin/chromium" || missing="$$missing chromium"; \
	test -x /usr/bin/chromedriver && echo "chromedriver: /usr/bin/chromedriver" || missing="$$missing chromium-driver"; \
	fc-list 2>/dev/null | grep -q NotoColorEmoji && echo "emoji font: Noto Color Emoji" || missing="$$missing fonts-noto-color-emoji"; \
	fc-list 2>/dev/null | grep -q DroidSansFallback && echo "CJK font: Droid Sans Fallback" || missing="$$missing fonts-droid-fallback"; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing \
	  || echo "*** make system-deps: could not install$$missing; their tests will be SKIPPED ***" >&2; \
	else echo "*** make system-deps: no apt-get; install$$missing (MLT render and browser tests) ***" >&2; fi

bench: $(STAMP)
	$(BIN)/python bench/kernels.py

# Shot detection against PySceneDetect and ffmpeg on joined real footage (see bench/shots.py);
# the `bench` extra installs PySceneDetect into the project's venv.
bench-shots: $(STAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev,bench]'
	nice $(BIN)/python bench/shots.py

# The model's training corpus (Debian MIDI packages rendered with fluidsynth) goes to
# $$EDITSPEC_CACHE/corpus, never into git; `train` rebuilds models/beats-gru.npz from it.
corpus: $(STAMP)
	nice -n 10 $(BIN)/editspec train --corpus-only

train: $(STAMP)
	nice -n 10 $(BIN)/editspec train --build-corpus

# The shipped models/beats-gru.npz: the base network of commit db06e68 (trained from
# scratch, corpus version 4) fine-tuned on the recorded-sounding corpus (version 8:
# Hydrogen's drum kits, off-beat grooves, saturation, a mastering limiter), 3 renders per
# training song, 2 per validation/test song. models/MODEL_CARD.md, "Recorded music".
BASE_WEIGHTS := db06e68
finetune: $(STAMP)
	git show $(BASE_WEIGHTS):models/beats-gru.npz > models/.beats-gru-base.npz
	nice -n 10 $(BIN)/editspec train --build-corpus --renders-train 3 --renders-eval 2 \
	  --init models/.beats-gru-base.npz --epochs 6 --lr 1e-3 --threads 1 --fresh \
	  -o models/beats-gru.npz
	rm -f models/.beats-gru-base.npz

lint: $(STAMP)
	$(BIN)/ruff check editspec tests bench

clean:
	rm -rf out .pytest_cache build *.egg-info
