# claimscreen — see README.md. Every target works from a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
GO ?= go
BIN := bin/claimscreen
# An execution count, not a duration: Go 1.26's fuzz coordinator can fail a
# duration-bounded run with a spurious 'context deadline exceeded' at the
# deadline (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 30000x
# The domain: pure, deterministic, no I/O. pipeline/ owns the loop and its
# interfaces and may log, but never imports a Kafka or PostgreSQL client.
DOMAIN := ./internal/civil ./internal/rule ./internal/claim ./internal/codeset ./internal/crosswalk ./internal/screening ./internal/notice ./internal/x12 ./internal/x12intake
PURE := $(DOMAIN) ./pipeline/...

.PHONY: all build demo test unit oracles faults chaos fuzz lint bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/claimscreen

# The demo: the real service code on an in-process Kafka-protocol broker,
# with the in-memory ledger and the bundled sample code sets, chart and
# claims. Nothing to install.
demo: build
	./$(BIN) demo

# Everything CI runs: lint, every test (on real Kafka and PostgreSQL), and
# each fuzz target briefly. KAFKA_BROKERS and DATABASE_URL win; else, where
# a Docker engine answers, the tests start testcontainers; else
# deploy/local/up installs and starts both on 127.0.0.1.
test: lint unit faults fuzz

# Starts the local services unless the environment names some, or Docker
# answers (testcontainers then).
SERVICES = if [ -z "$$KAFKA_BROKERS$$DATABASE_URL" ] && ! docker info >/dev/null 2>&1; then \
		echo "starting local Kafka and PostgreSQL (deploy/local/up)"; \
		eval "$$(deploy/local/up)" || exit 1; fi

# Independent oracles for the tests, never used at run time, in a virtual
# environment of their own: msdrg (a port of CMS's MCE) and pyx12 (a HIPAA
# X12 validator).
ORACLES := bin/oracles
oracles:
	@if ! $(ORACLES)/bin/python -c 'import msdrg, pyx12' 2>/dev/null; then \
		echo "installing the test oracles (msdrg, pyx12) into $(ORACLES)"; \
		python3 -m venv $(ORACLES) && $(ORACLES)/bin/pip install -q msdrg==1.2.0 pyx12==4.0.0 || exit 1; fi

unit: oracles
	@$(SERVICES); CLAIMSCREEN_ORACLE_PYTHON=$(CURDIR)/$(ORACLES)/bin/python $(GO) test -count=1 -timeout 15m ./...

# The fault suite (cmd/claimscreen/chaos_test.go, build tag chaos): serve as
# separate processes, SIGKILLed and restarted; the broker and PostgreSQL
# stopped and restarted while claims flow; scale-out and in. It stops the
# shared local services, so it runs alone, after the other tests. `faults`
# is the short form make test runs; `chaos` the full one, whose figures go
# to bin/chaos-report.md.
CHAOS = $(GO) test -tags chaos -count=1 -timeout 30m -v -run '^TestChaos' ./cmd/claimscreen -args
faults:
	@$(SERVICES); $(CHAOS) -chaos.claims 10000 -chaos.kills 3 -chaos.flow-claims 8000 | grep -v '^=== RUN'

chaos:
	@mkdir -p bin; rm -f bin/chaos-report.md; $(SERVICES); \
	$(CHAOS) -chaos.claims 100000 -chaos.kills 5 -chaos.flow-claims 30000 -chaos.throughput-claims 60000 -chaos.report $(CURDIR)/bin/chaos-report.md | grep -v '^=== RUN'

# Each fuzz target for $(FUZZTIME) executions (make fuzz FUZZTIME=5000000x for a long run).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/claim
	$(GO) test -run '^$$' -fuzz '^FuzzUnpack$$' -fuzztime $(FUZZTIME) ./internal/postgres
	for f in FuzzICD10Order FuzzHCPCSText FuzzHCPCSCSV FuzzGenericList FuzzNCCIPTP FuzzMUE FuzzMCEDxFlags FuzzMCEAges FuzzTabular; do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./internal/codeset || exit 1; done
	$(GO) test -run '^$$' -fuzz '^FuzzChart$$' -fuzztime $(FUZZTIME) ./internal/crosswalk
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/x12
	$(GO) test -run '^$$' -fuzz '^FuzzAcks$$' -fuzztime $(FUZZTIME) ./internal/x12
	$(GO) test -run '^$$' -fuzz '^FuzzParseGuide$$' -fuzztime $(FUZZTIME) ./internal/x12
	$(GO) test -run '^$$' -fuzz '^FuzzTable$$' -fuzztime $(FUZZTIME) ./internal/originators
	$(GO) test -run '^$$' -fuzz '^FuzzConfigFile$$' -fuzztime $(FUZZTIME) ./internal/config
	$(GO) test -run '^$$' -fuzz '^FuzzString$$' -fuzztime $(FUZZTIME) ./internal/jsonw

# gofmt, go vet, and the dependency rule (docs/architecture.md): the domain
# and pipeline/ import no Kafka or PostgreSQL client, even indirectly; the
# domain imports neither os, net, net/http nor zap (it reads through the
# fs.FS it is given, and reports, never logs).
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags chaos ./cmd/claimscreen
	@bad=$$($(GO) list -deps $(PURE) 2>/dev/null | grep -E 'segmentio/kafka-go|jackc/pgx|twmb/franz-go' || true); \
		if [ -n "$$bad" ]; then echo "pure packages or pipeline/ import an adapter: $$bad"; exit 1; fi
	@bad=$$($(GO) list -f '{{.ImportPath}}: {{join .Imports " "}}' $(DOMAIN) | grep -E ' (os|net|net/http|go\.uber\.org/zap)( |$$)' || true); \
		if [ -n "$$bad" ]; then echo "domain packages import os, net, net/http or zap: $$bad"; exit 1; fi
	@echo "lint: ok"

# The standard benchmark set: the Go benchmarks, then `claimscreen bench` on
# the local Kafka and PostgreSQL (started if needed) with every ICD-10-CM and
# HCPCS file of ../shared/data, which rewrites its section of
# docs/benchmarks.md: the ledger in a database of its own
# (claimscreen_bench, made here), the embedded broker and memory ledger
# beside it (--embedded), the X12 intake's run (c) (--x12; the X12 Go
# benchmarks before it, one core each), and the top of the pipeline's CPU
# profile.
BENCH_CLAIMS ?= 200000
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./internal/screening
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./internal/x12 ./internal/x12intake
	@set -e; rm -rf bin/bench-codesets; mkdir -p bin/bench-codesets; \
	data=$${CLAIMSCREEN_SHARED_DATA:-../shared/data}; \
	if [ -d "$$data/icd10cm" ]; then \
		for f in icd10cm/icd10cm_order_2024.txt.gz icd10cm/icd10cm_order_2025.txt.gz icd10cm/icd10cm_order_2026.txt.gz hcpcs/HCPC2025_JAN_ANWEB_12172024.txt.gz \
			mce/mce_v44_icd10cm_dx_flags.csv mce/mce_v44_age_ranges.csv icd10cm/icd10cm_tabular_2026_april.xml.gz; do \
			ln -s "$$(cd "$$data" && pwd)/$$f" bin/bench-codesets/; done; \
		cp internal/samples/codesets/cpt-modifiers-pos-sample.csv bin/bench-codesets/; \
	else cp internal/samples/codesets/* bin/bench-codesets/; fi; \
	if [ -z "$$KAFKA_BROKERS" ] || [ -z "$$DATABASE_URL" ]; then eval "$$(deploy/local/up)"; fi; \
	psql "$$DATABASE_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = 'claimscreen_bench'" | grep -q 1 || \
		psql "$$DATABASE_URL" -qc "CREATE DATABASE claimscreen_bench"; \
	bench_db=$$(echo "$$DATABASE_URL" | sed -E 's|/[^/?]*([?]\|$$)|/claimscreen_bench\1|'); \
	./$(BIN) bench --claims $(BENCH_CLAIMS) --codesets bin/bench-codesets --database-url "$$bench_db" --embedded --x12 \
		--cpuprofile bin/bench-pipeline.pprof \
		--broker-label "Apache Kafka 4.1.1 (deploy/local), PostgreSQL 15" --markdown docs/benchmarks.md; \
	DATABASE_URL="$$bench_db" $(GO) test -run '^$$' -bench EndToEndKafka -benchtime 1x -count 3 ./internal/service

clean:
	rm -rf bin
