# Callboard. Everything here needs only Go; `make help` lists the targets.
GO      ?= go
BIN     ?= bin/callboard
PKGS    ?= ./...
FUZZTIME ?= 30s

.PHONY: help build run test bench fuzz cover lint

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build bin/callboard
	$(GO) build -o $(BIN) ./cmd/callboard

run: build ## run the bot on the bundled example organisation (store in ./var, chat prompt in a terminal)
	./$(BIN) serve

test: ## gofmt check, go vet and all tests with the race detector
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './examples/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

bench: ## benchmarks on generated organisations of 10,000 and 100,000 components (slow; not part of test)
	$(GO) test -run='^$$' -bench=. -benchtime=1x -timeout=60m ./catalog/ ./catalog/boltstore/
	$(GO) test -run='^$$' -bench=. -benchmem -timeout=30m ./bot/...
	$(GO) test -run='^$$' -bench=ServeSlackLoad -benchtime=1x -timeout=30m ./cmd/callboard/
	$(GO) test -run='^$$' -bench=SlackCommand -cpu=1 -benchtime=30000x ./cmd/callboard/

fuzz: ## run each fuzz target for FUZZTIME
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./catalog/
	$(GO) test -run='^$$' -fuzz=FuzzBlockYAML -fuzztime=$(FUZZTIME) ./catalog/
	$(GO) test -run='^$$' -fuzz=FuzzParseDecoders -fuzztime=$(FUZZTIME) -fuzzminimizetime=5x ./catalog/
	$(GO) test -run='^$$' -fuzz=FuzzTokenize -fuzztime=$(FUZZTIME) ./bot/
	$(GO) test -run='^$$' -fuzz=FuzzDecodeEntity -fuzztime=$(FUZZTIME) ./catalog/boltstore/
	$(GO) test -run='^$$' -fuzz=FuzzDecodeFileStates -fuzztime=$(FUZZTIME) ./catalog/boltstore/

cover: ## test coverage report in cover.out and per function
	$(GO) test -count=1 -coverprofile=cover.out $(PKGS)
	$(GO) tool cover -func=cover.out | tail -1

lint: ## staticcheck at a pinned version (needs the module proxy)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 $(PKGS)
