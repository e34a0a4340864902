# ioconnect.fleet: one entry point for setting up, demoing and testing the collection.
#
#   make demo    the main job, on the loopback demo fleet
#   make test    every gate, in sequence, with a summary of results and durations
#   make help    the other targets
#
# Everything runs from the virtualenv $(VENV), built from requirements/dev.txt with the versions pinned in
# requirements/constraints.txt (the one place versions are pinned). Scratch output goes to build/ (ignored by
# git and by `ansible-galaxy collection build`).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BUILD := $(CURDIR)/build
# Scratch trees that hold a copy of the collection under ansible_collections/ioconnect/fleet live outside the work
# tree: a clone that itself sits in an ansible_collections/ tree would otherwise nest one collection in another,
# and Ansible would resolve names to the outer one. One folder per checkout, so two clones can test at once.
GATES_TMP ?= $(or $(TMPDIR),/tmp)/ioconnect-fleet-gates-$(shell printf %s '$(CURDIR)' | md5sum | cut -c1-10)
# A collections path holding only this work tree (a symlink), for tools that look collections up by name.
DEV_COLLECTIONS := $(BUILD)/dev-collections
# Tests also see the test-only collection ioconnect_test.windesk (emulated Windows desks), never part of the build.
TEST_COLLECTIONS := $(DEV_COLLECTIONS):$(CURDIR)/tests/windesk

export PATH := $(BIN):$(PATH)

# The gates `make test` runs, in order: quick static checks first, the slow ones last.
GATES := changelog-lint lint docs-lint unit integration core-matrix molecule sanity build-install galaxy-importer ee docs

.PHONY: help venv deps demo bench bench-history test $(GATES) changelog-release role-spec dev-collections extra-docs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): requirements/dev.txt requirements/constraints.txt
	@echo "building the virtualenv $(VENV) from requirements/dev.txt (pinned by requirements/constraints.txt): pip names each package as it goes"
	[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check --progress-bar off -r requirements/dev.txt -c requirements/constraints.txt
	touch $@

venv: $(STAMP) ## Build the virtualenv (once; again only when requirements change)

deps: $(STAMP) ## Install the Debian packages the tests need (bindep.txt, profile "test")
	tests/tools/install-system-deps.sh

demo: $(STAMP) ## Run the main job on the demo fleet (loopback desks)
	@if [ -x tests/tools/demo.sh ]; then tests/tools/demo.sh; \
	elif [ -f tests/tools/demo.sh ]; then bash tests/tools/demo.sh; \
	else $(BIN)/ansible-playbook -i inventories/demo playbooks/demo.yml; fi

bench: $(STAMP) bench-history ## Benchmarks: a year of drift history, then the fleet over loopback SSH (benchmarks/README.md)
	benchmarks/run.sh $(BENCH_ARGS)

bench-history: $(STAMP) ## A year of a 5,000-desk fleet in the drift history, SQLite and PostgreSQL (about 20 min)
	$(BIN)/python benchmarks/history_bench.py $(HISTORY_BENCH_ARGS)

test: $(STAMP) deps ## Run every gate; prints a summary with durations; fails if any gate failed
	tests/tools/run-gates.sh $(GATES)

dev-collections:
	mkdir -p $(DEV_COLLECTIONS)/ansible_collections/ioconnect
	ln -sfn $(CURDIR) $(DEV_COLLECTIONS)/ansible_collections/ioconnect/fleet

changelog-lint: $(STAMP) ## antsibull-changelog lint (fragments and changelog.yaml)
	$(BIN)/antsibull-changelog lint -v

changelog-release: $(STAMP) ## Release time: fold the fragments into changelogs/changelog.yaml for galaxy.yml's version, write CHANGELOG.md
	$(BIN)/antsibull-changelog release -v

role-spec: $(STAMP) dev-collections ## Write roles/desktop/meta/argument_specs.yml from module_utils/desk/args.py and the module's docs
	ANSIBLE_COLLECTIONS_PATH=$(DEV_COLLECTIONS) $(BIN)/python tests/tools/role_spec.py

lint: $(STAMP) ## ansible-lint, production profile (.ansible-lint)
	$(BIN)/ansible-lint --profile production

docs-lint: $(STAMP) ## docs/docsite up to date with the guides; antsibull-docs lint-collection-docs (plugins, roles, guides)
	$(BIN)/python hacking/update_extra_docs.py --check
	tree=$$(tests/tools/collection-tree.sh $(GATES_TMP)/docs-lint) && \
	cd "$$tree" && $(BIN)/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
	  --validate-collection-refs dependent .

extra-docs: $(STAMP) ## Regenerate docs/docsite (the guides as Galaxy shows them) from docs/*.md, with pandoc
	$(BIN)/python hacking/update_extra_docs.py

unit: $(STAMP) dev-collections ## pytest tests/unit (pytest-ansible puts the collection on the import path)
	ANSIBLE_COLLECTIONS_PATH=$(TEST_COLLECTIONS) tests/tools/pytest.sh tests/unit --ansible-unit-inject-only

integration: $(STAMP) dev-collections ## pytest tests/integration (playbooks against loopback desks)
	ANSIBLE_COLLECTIONS_PATH=$(TEST_COLLECTIONS) tests/tools/pytest.sh tests/integration --ansible-unit-inject-only

core-matrix: $(STAMP) dev-collections ## Unit + Windows/POSIX playbook tests under each older ansible-core minor meta/runtime.yml claims (requirements/constraints-core-*.txt)
	tests/tools/core-matrix.sh $(BUILD)/core-venvs

molecule: $(STAMP) dev-collections ## molecule test --all (scenarios under extensions/molecule)
	ANSIBLE_COLLECTIONS_PATH=$(TEST_COLLECTIONS) tests/tools/molecule.sh

sanity: $(STAMP) ## ansible-test sanity on a git snapshot of the work tree (offline pip bootstrap)
	tests/tools/sanity.sh $(GATES_TMP)/sanity

build-install: $(STAMP) ## Build the artifact, install it into a fresh path, run tests/tools/smoke.yml with it
	tests/tools/build-install.sh $(GATES_TMP)/build-install

galaxy-importer: $(STAMP) ## galaxy-importer (the check Galaxy runs on upload) on the artifact, from a venv of its own
	tests/tools/galaxy-importer.sh $(GATES_TMP)/galaxy-importer $(BUILD)/galaxy-importer-venv

ee: $(STAMP) ## ansible-builder create: prove execution-environment.yml is valid
	tests/tools/ee.sh $(GATES_TMP)/ee

docs: $(STAMP) ## Build the antsibull-docs HTML site into docs/site/
	docs/build-docs.sh docs/site

clean: ## Remove build output (keeps the virtualenv)
	rm -rf $(BUILD) $(GATES_TMP) docs/site tests/output collections .ansible

.PHONY: demo-loop
demo-loop: $(STAMP) ## Closed-loop compliance on the demo fleet: ansible-rulebook puts drifted desks right (docs/remediation.md)
	tests/tools/demo-loop.sh
