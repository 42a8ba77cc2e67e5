# Entry points for a fresh clone: `make demo` and `make test`.
# Nothing is needed beforehand but Python 3.11, make and git.

PYTHON ?= python3.11
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin
# Ansible finds this collection through a symlink tree, so the repository
# root can stay the collection root.
COLLECTIONS := $(CURDIR)/.cache/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/gaap/genai
# Upstream Gateway API and Envoy Gateway CRD manifests, loaded into the
# simulated cluster by the demo and the tests. They are not part of the
# repository; the default is a folder beside the clone.
CRDS_DIR ?= $(abspath $(CURDIR)/../shared/crds)
# Input cases with expected validation results, read by the TLS tests.
TLS_CASES_DIR ?= $(abspath $(CURDIR)/../shared/cases/tls)

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export GAAP_CRDS_DIR := $(CRDS_DIR)
export GAAP_TLS_CASES_DIR := $(TLS_CASES_DIR)

.PHONY: all venv collection demo test clean check-crds

all: test

venv: $(VENV)/.installed

$(VENV)/.installed: requirements/runtime.txt requirements/dev.txt requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt -c requirements/constraints.txt
	touch $@

collection: $(COLLECTION_LINK)

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

demo: check-crds venv collection
	PATH=$(BIN):$$PATH $(BIN)/python scripts/demo.py

test: venv collection
	@test -f "$(CRDS_DIR)/gateway-api-standard-v1.6.1.yaml" || \
	  echo "make test: no CRD manifests in CRDS_DIR=$(CRDS_DIR); the end-to-end tests will be skipped"
	@test -f "$(TLS_CASES_DIR)/cases.json" || \
	  echo "make test: no cases.json in TLS_CASES_DIR=$(TLS_CASES_DIR); the TLS case tests will be skipped"
	PATH=$(BIN):$$PATH $(BIN)/pytest

# The demo cannot run without the CRD manifests: say so before installing anything.
check-crds:
	@test -f "$(CRDS_DIR)/gateway-api-standard-v1.6.1.yaml" || { \
	  echo "make demo: the Gateway API CRD manifests were not found in CRDS_DIR=$(CRDS_DIR)."; \
	  echo "Set CRDS_DIR to a directory with gateway-api-standard-v1.6.1.yaml and"; \
	  echo "envoy-gateway-v1.9.0-envoyproxies.yaml, e.g. make demo CRDS_DIR=/path/to/crds"; \
	  exit 2; }

clean:
	rm -rf .cache .demo .pytest_cache

# Ecosystem checks: ansible-test, ansible-lint, the Galaxy artifact, the
# execution environment and the molecule scenario. `make ci` runs them all;
# each script under tests/ci/ says what it checks.
.PHONY: sanity units lint build-check ee-check molecule ci

sanity: venv
	tests/ci/sanity.sh

units: venv
	tests/ci/units.sh

lint: venv collection
	tests/ci/lint.sh

build-check: venv
	tests/ci/build_check.sh

ee-check: venv
	tests/ci/ee_check.sh

molecule: venv collection
	PATH=$(BIN):$$PATH $(BIN)/molecule test -s default

ci: sanity units lint build-check ee-check molecule
