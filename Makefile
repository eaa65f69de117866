# mcpparity: the one entry point. `make run` starts the collector on the local default,
# `make test` installs what it needs and runs every suite. Everything built or installed
# lands in ignored folders: .cache/ (venv, Go tools), _build/ (ocb output), bin/, emitter/target/.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT        := $(abspath .)
CACHE       := $(ROOT)/.cache
VENV        := $(CACHE)/venv
PY          := $(VENV)/bin/python
TOOLS       := $(CACHE)/tools
OTELCOL_VERSION := v0.165.0
# mdatagen's last release on the Go module proxy is v0.159.0 (no v0.160+ exists there); its generated code builds against v0.165.
MDATAGEN_VERSION := v0.159.0
COLLECTOR   := $(ROOT)/bin/otelcol-mcpparity
REPLAY      := $(ROOT)/emitter/target/release/raw-span-replay
FUZZTIME    ?= 30s
PYTHON      ?= python3

export MCPPARITY_COLLECTOR := $(COLLECTOR)
export MCPPARITY_REPLAY := $(REPLAY)

GO_SOURCES   := $(shell find processor -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name 'metadata.yaml' 2>/dev/null)
RUST_SOURCES := $(shell find emitter -path emitter/target -prune -o -type f \( -name '*.rs' -o -name 'Cargo.toml' -o -name 'Cargo.lock' \) -print 2>/dev/null)

.PHONY: help run build emitter venv tools generate contract contract-check lint test test-go test-fuzz test-rust test-py \
        differential e2e durability hostile parity golden oracle configs configs-check bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# ---------------------------------------------------------------- install / build
venv: $(VENV)/.installed ## Python venv: configurator, test deps, the pinned oracle gateway
$(VENV)/.installed: tests/requirements.txt configurator/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r tests/requirements.txt -e ./configurator
	touch $@

# Versions are pinned in internal/tools/go.mod (builder $(OTELCOL_VERSION), mdatagen $(MDATAGEN_VERSION)).
$(TOOLS)/mdatagen: internal/tools/go.mod
	cd internal/tools && GOBIN=$(TOOLS) go install go.opentelemetry.io/collector/cmd/mdatagen
$(TOOLS)/builder: internal/tools/go.mod
	cd internal/tools && GOBIN=$(TOOLS) go install go.opentelemetry.io/collector/cmd/builder
$(TOOLS)/staticcheck: internal/tools/go.mod
	cd internal/tools && GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck
tools: $(TOOLS)/mdatagen $(TOOLS)/builder $(TOOLS)/staticcheck ## Go tools (mdatagen, ocb, staticcheck) into .cache/tools

generate: $(TOOLS)/mdatagen ## regenerate processor/mcpparityprocessor/internal/metadata from metadata.yaml
	cd processor/mcpparityprocessor && PATH=$(TOOLS):$$PATH go generate ./...

contract: venv ## regenerate Go, Rust, Python and doc copies of contract/raw-span-contract.yaml
	$(PY) contract/generate.py --write

contract-check: venv ## fail when a generated copy differs from contract/raw-span-contract.yaml
	$(PY) contract/generate.py --check

build: $(COLLECTOR) ## build the otelcol-mcpparity distribution into bin/
$(COLLECTOR): $(TOOLS)/builder builder-config.yaml $(GO_SOURCES)
	# -e: go mod tidy tolerates a test-only dependency of fileexporter the Go proxy does not serve (otlpencodingextension)
	GOFLAGS='-buildvcs=false -e' $(TOOLS)/builder --config=builder-config.yaml
	mkdir -p bin && cp _build/otelcol-mcpparity $(COLLECTOR).tmp && mv -f $(COLLECTOR).tmp $(COLLECTOR)  # mv: works while a collector runs

emitter: $(REPLAY) ## build the Rust reference emitter and raw-span-replay
$(REPLAY): $(RUST_SOURCES)
	cargo build --release --locked --features replay --manifest-path emitter/Cargo.toml
	touch $@

run: $(COLLECTOR) ## start the collector on collector-config/local.yaml (no account needed)
	@mkdir -p traces-out
	@echo "otelcol-mcpparity: send raw spans to OTLP gRPC 127.0.0.1:4317 or OTLP/HTTP http://127.0.0.1:4318/v1/traces" >&2
	@echo "otelcol-mcpparity: exported spans land in ./traces-out/traces.json; health at http://127.0.0.1:13133/" >&2
	$(COLLECTOR) --config=collector-config/local.yaml

# ---------------------------------------------------------------- tests
test: contract-check lint test-go test-fuzz test-rust test-py configs-check parity ## every suite (what CI runs)

# Versions: staticcheck in internal/tools/go.mod, ruff in tests/requirements.txt, clippy with the Rust toolchain.
lint: venv $(TOOLS)/staticcheck ## go vet + staticcheck (processor, bench Go modules), ruff (every Python file), cargo clippy -D warnings
	cd processor && go vet ./... && $(TOOLS)/staticcheck ./...
	cd bench/load && go vet ./... && $(TOOLS)/staticcheck ./...
	cd bench/contribchain && go vet ./... && $(TOOLS)/staticcheck ./...  # compiled by nothing else in make test
	$(VENV)/bin/ruff check .
	@cargo clippy --version >/dev/null 2>&1 || { echo "lint: cargo clippy is missing: rustup component add clippy" >&2; exit 1; }
	cargo clippy --locked --manifest-path emitter/Cargo.toml --all-targets --all-features -- -D warnings  # every feature: raw-span-replay needs replay

test-go: ## Go unit, golden and generated tests of the processor
	cd processor && go vet ./... && go test -count=1 ./...

# A run that ends in "context deadline exceeded" without a failing input is the fuzzing engine
# not stopping its workers in time on a loaded machine (no finding): it is run once more.
test-fuzz: ## each Go fuzz target for FUZZTIME (default 30s); fails when a package's targets cannot be listed
	cd processor && targets=0 && for pkg in $$(go list ./...); do \
	  listing=$$(go test -list '^Fuzz' $$pkg) || { echo "test-fuzz: cannot list the fuzz targets of $$pkg" >&2; exit 1; }; \
	  for fz in $$(grep '^Fuzz' <<<"$$listing" || true); do \
	    echo "fuzz $$pkg $$fz ($(FUZZTIME))"; \
	    if ! out=$$(go test -run '^$$' -fuzz "^$$fz$$" -fuzztime $(FUZZTIME) $$pkg 2>&1); then \
	      echo "$$out"; \
	      if grep -q 'context deadline exceeded' <<<"$$out" && ! grep -q 'Failing input' <<<"$$out"; then \
	        echo "test-fuzz: $$fz: the engine timed out stopping its workers (no finding); once more"; \
	        go test -run '^$$' -fuzz "^$$fz$$" -fuzztime $(FUZZTIME) $$pkg; \
	      else exit 1; fi; \
	    else echo "$$out" | tail -n 3; fi; \
	    targets=$$((targets + 1)); \
	  done; \
	done; \
	[ $$targets -gt 0 ] || { echo "test-fuzz: no fuzz target found" >&2; exit 1; }

test-rust: ## Rust emitter unit tests
	cargo test --locked --all-features --manifest-path emitter/Cargo.toml

test-py: venv build emitter ## configurator, differential and e2e pytest suites
	$(PY) -m pytest -q configurator/tests
	$(PY) -m pytest -q tests --ignore=tests/oracle

differential: venv ## Go engine vs the real Python redaction helpers, on generated corpora
	$(PY) -m pytest -q tests/differential

e2e: venv build ## the built distribution over OTLP/HTTP and gRPC
	$(PY) -m pytest -q tests/e2e

hostile: venv build ## hostile OTLP inputs (issue 9 classes) over every transport: no secret, no loss, bounded RSS
	$(PY) -m pytest -q tests/hostile

durability: venv build ## exporter down + kill -9 + restart on the persistent queue: no acknowledged span lost (part of test-py)
	$(PY) -m pytest -q tests/durability

parity: venv build emitter ## replay every oracle case through emitter + collector, diff with the capture
	$(PY) tests/parity/run_parity.py

golden: venv emitter ## regenerate processor/mcpparityprocessor/testdata/golden from the captures and cases
	$(PY) tests/golden/make_golden.py

oracle: venv ## re-capture oracle spans from tests/parity/cases with the real gateway (not in CI)
	$(PY) tests/oracle/capture.py --out $(CACHE)/oracle-captures

configs: venv ## regenerate collector-config/*.yaml from collector-config/env/*.env
	bash collector-config/make-configs.sh --write

configs-check: venv ## fail when collector-config/*.yaml drift from their env files
	bash collector-config/make-configs.sh --check

bench: venv build emitter ## benchmarks: Go processor and engine, contrib chain, Rust emitter, Python oracle
	bash bench/run.sh

clean: ## remove build outputs (keeps caches)
	rm -rf _build bin traces-out emitter/target
