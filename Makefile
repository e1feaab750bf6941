# cohos: the two entry points a newcomer needs are `make demo` and `make test`.
GO      ?= go
export GOTOOLCHAIN := local
BIN     := bin/cohos

.PHONY: build test setup-test demo fuzz bench mutation clean lock lock-model

build:
	$(GO) build -o $(BIN) ./cmd/cohos

# Everything the tests need (MassGen virtualenv, cosign, Chromium, the OCI
# registries, llama-server and the tiny models), then the whole suite.
test: setup-test
	COHOS_COSIGN="$$(scripts/setup-cosign.sh --print)" $(GO) test -count=1 -timeout 30m ./...

setup-test:
	scripts/setup-massgen.sh
	scripts/setup-cosign.sh
	scripts/setup-chromium.sh
	scripts/setup-registries.sh
	scripts/setup-llama-server.sh

demo: build
	scripts/setup-massgen.sh
	scripts/demo.sh

fuzz:
	$(GO) test ./policy -run '^$$' -fuzz FuzzParse$$ -fuzztime 30s
	$(GO) test ./attest -run '^$$' -fuzz FuzzParseBundle -fuzztime 30s
	$(GO) test ./verify -run '^$$' -fuzz FuzzVerify -fuzztime 30s

# Mutation testing (gremlins) of verify, attest, policy, internal/artifacts
# and keys; fails when a package's kill rate drops below its floor in
# scripts/mutation.sh. Slow (over an hour on two cores): not in `test`; CI runs verify's.
mutation:
	scripts/setup-gremlins.sh
	scripts/setup-cosign.sh
	COHOS_COSIGN="$$(scripts/setup-cosign.sh --print)" scripts/mutation.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/artifacts ./attest ./verify
	$(GO) test -run '^$$' -bench Transport -benchtime 5x -benchmem ./internal/registry

clean:
	rm -rf bin demo-runs

# Regenerate scripts/lock/massgen.lock from scripts/lock/massgen.in (only when
# changing the MassGen pin); commit both, then scripts/setup-massgen.sh rebuilds .venv.
lock:
	scripts/lock.sh massgen 2026-05-28T00:00:00Z

# Regenerate scripts/lock/model.lock (the tiny-model generator's gguf and numpy)
# from scripts/lock/model.in.
lock-model:
	scripts/lock.sh model 2026-11-01T00:00:00Z
