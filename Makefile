# connectors — build, test and run. `make help` lists the targets.

VERSION ?= $(shell cat VERSION)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
PKG     := github.com/connectors-go/connectors
LDFLAGS := -s -w -X $(PKG)/internal/version.Version=$(VERSION) -X $(PKG)/internal/version.Commit=$(COMMIT) -X $(PKG)/internal/version.Date=$(DATE)
GO      ?= go
# The machines have 2 cores; the heavy Elasticsearch API packages compile best one at a time.
TESTFLAGS ?= -count=1 -timeout 20m
BENCH_DOCS ?= 100000,1000000

.PHONY: help build run test test-short test-real-es es-up es-down lint fmt vet staticcheck bench tidy clean ftest ftest-all soak
.PHONY: lint-packaging docs image

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/connectors (static) and bin/elastic-ingest
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/connectors ./cmd/connectors
	ln -sf connectors bin/elastic-ingest

run: build ## run the service with ./config.yml, or the embedded default when there is none
	@if [ -f config.yml ]; then bin/connectors run -c config.yml; else bin/connectors dev; fi

test: ## run every test, integration tests included
	$(GO) test $(TESTFLAGS) ./...

# Groups of the conformance suite the Maven-built node cannot run: it lacks the
# ent-search, security, reindex and ingest-common modules (docs/real-elasticsearch.md).
REAL_ES_SKIP ?= Connector,Security,DeleteByQuery,Ingest,BuiltinTemplates

es-up: ## start a real Elasticsearch node built from Maven Central jars (prints ES_URL)
	scripts/es-up.sh

es-down: ## stop it
	scripts/es-down.sh

test-real-es: ## the conformance suite and the service against a real Elasticsearch (starts and stops one)
	@url=$$(scripts/es-up.sh | sed -n 's/^ES_URL=//p'); \
	status=0; \
	ES_URL=$$url ES_CONFORMANCE_SKIP=$(REAL_ES_SKIP) $(GO) test -count=1 -timeout 30m -run 'RealCluster|RealElasticsearch' -v ./estest/ ./internal/e2e/ || status=$$?; \
	scripts/es-down.sh; exit $$status

# make ftest NAME=<source> DATA_SIZE=small|medium|large|xlarge; FTEST_ES=auto|real|estest picks
# the Elasticsearch (docs/testing.md).
DATA_SIZE ?= medium

ftest: build ## functional test of one source through the service binary: NAME=<source> DATA_SIZE=small|medium|large
	CGO_ENABLED=0 $(GO) build -o bin/estest ./cmd/estest
	$(GO) build -o bin/ftest ./tools/ftest
	bin/ftest -name '$(NAME)' -size '$(DATA_SIZE)'

ftest-all: ## every source's functional test at DATA_SIZE=small, against one Elasticsearch
	$(MAKE) ftest NAME=all DATA_SIZE=small

SOAK_KILLS ?= 20
SOAK_FILES ?= 40000
soak: ## kill -9 soak of the job lifecycle, one and three instances (SOAK_KILLS, SOAK_FILES, SOAK_SEED); prints recovery times
	SOAK_KILLS=$(SOAK_KILLS) SOAK_FILES=$(SOAK_FILES) $(GO) test -count=1 -timeout 90m -run TestSoakKill9 -v ./internal/soak/

test-short: ## unit tests only
	$(GO) test -short $(TESTFLAGS) ./...

lint: fmt vet staticcheck lint-packaging ## gofmt, go vet, staticcheck, and the Dockerfile, Compose file and manifests

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

lint-packaging: ## hadolint, docker compose config and kubernetes-validate (pinned, installed into tmp/lint-tools)
	scripts/lint-packaging.sh

docs: ## regenerate the command and configuration references in docs/ from the code
	UPDATE_DOCS=1 $(GO) test -count=1 -run 'TestCommandReferenceIsCurrent|TestReferenceIsCurrent' ./cli/ ./internal/config/

IMAGE ?= connectors-go:$(VERSION)
image: ## build the container image (needs docker or podman; none runs on the project's machines)
	@engine=$$(command -v docker || command -v podman) || { echo "make image needs docker or podman" >&2; exit 1; }; \
	$$engine build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t $(IMAGE) .

bench: ## benchmarks: Go micro-benchmarks, then the sync engine against raw _bulk (docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./tools/syncbench -n $(BENCH_DOCS)

tidy: ## go mod tidy for the module and the custom-connector example (which replaces it)
	$(GO) mod tidy
	cd examples/custom-connector && $(GO) mod tidy

clean:
	rm -rf bin dist
