# cohos: the two entry points a newcomer needs are `make demo` and `make test`.
GO      ?= go
export GOTOOLCHAIN := local
BIN     := bin/cohos

.PHONY: build test setup-test demo fuzz bench clean

build:
	$(GO) build -o $(BIN) ./cmd/cohos

# Everything the tests need (MassGen virtualenv, cosign, Chromium), then the whole suite.
test: setup-test
	COHOS_COSIGN="$$(scripts/setup-cosign.sh --print)" $(GO) test -count=1 -timeout 30m ./...

setup-test:
	scripts/setup-massgen.sh
	scripts/setup-cosign.sh
	scripts/setup-chromium.sh

demo: build
	scripts/setup-massgen.sh
	scripts/demo.sh

fuzz:
	$(GO) test ./policy -run '^$$' -fuzz FuzzParse$$ -fuzztime 30s
	$(GO) test ./attest -run '^$$' -fuzz FuzzParseBundle -fuzztime 30s
	$(GO) test ./verify -run '^$$' -fuzz FuzzVerify -fuzztime 30s

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/artifacts ./attest ./verify

clean:
	rm -rf bin demo-runs
