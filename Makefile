# Remit — make targets. Go fetches every module through the module proxy;
# the test suite also needs poppler-utils, qpdf and Chromium, which
# test-tools installs from Debian's packages when they are missing.

GO ?= go
BIN := bin/remit
export CGO_ENABLED := 1

.PHONY: all build run test test-tools client-deps bench generate check-generate vet fmt clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/remit

## run: start the server on the embedded SQLite database under ./data
run: build
	./$(BIN) serve

## test: the whole suite (SQLite always; PostgreSQL when reachable)
test: test-tools client-deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

# Programs the tests run: pdftotext/pdfimages (poppler-utils) and qpdf read
# PDFs back, Chromium drives the portal. Installed with apt when missing and
# allowed (root); otherwise the tests that need them fail and say so, unless
# REMIT_SKIP_TOOL_TESTS=1 (internal/testtool).
TEST_TOOLS := pdftotext:poppler-utils pdfimages:poppler-utils qpdf:qpdf chromium:chromium xmllint:libxml2-utils /usr/share/java/Saxon-HE.jar:libsaxonhe-java java:default-jre-headless

## client-deps: the JavaScript client test's packages, from its lockfile
client-deps:
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: install Node.js 20 or later with npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	cd internal/clienttest/node && npm ci --no-audit --no-fund --loglevel=error

## test-tools: install the programs the tests need (Debian, as root)
test-tools:
	@missing=""; \
	for t in $(TEST_TOOLS); do \
	  cmd=$${t%%:*}; pkg=$${t#*:}; \
	  if [ $$cmd = chromium ] && [ -n "$$CHROME_PATH" ]; then continue; fi; \
	  command -v $$cmd >/dev/null 2>&1 && continue; [ -e $$cmd ] && continue; \
	  case " $$missing " in *" $$pkg "*) ;; *) missing="$$missing $$pkg";; esac; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "missing:$$missing (install them, or set REMIT_SKIP_TOOL_TESTS=1 to skip the checks that need them)" >&2; \
	fi

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
