# Remit — make targets. Everything a fresh machine needs is fetched by Go
# itself through the module proxy; nothing else is required.

GO ?= go
BIN := bin/remit
export CGO_ENABLED := 1

.PHONY: all build run test test-short bench generate check-generate vet fmt clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/remit

## run: start the server on the embedded SQLite database under ./data
run: build
	./$(BIN) serve

## test: the whole suite (SQLite always; PostgreSQL when reachable)
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

## bench: performance benchmarks with their figures
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3s -timeout 30m ./bench/...
	$(GO) test -run '^$$' -bench . -benchtime 3s -cpu 1 ./internal/document/
	$(GO) test -run '^$$' -bench . -benchtime 3s ./internal/worker/

## generate: regenerate ent and gqlgen code
generate:
	$(GO) generate ./...

## check-generate: fail when generated code is stale
check-generate: generate
	@git diff --exit-code --stat -- . || (echo "generated code is out of date: run make generate and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain --untracked-files=all -- ent graph portal)" || (git status --porcelain -- ent graph portal; echo "generate created files not committed" >&2; exit 1)

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
