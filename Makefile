# Resonanz — the two commands users need are `make run` and `make test`.
# Both install what is missing first (Debian packages, the Wails CLI, npm
# packages), so they work on a fresh Debian 12 machine. `make dist` builds the
# installable packages (Windows installer and ZIP, .deb) into dist/, and
# `make test-dist` checks them (the .deb unpacked, the installer under Wine).

SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
GO           ?= go
GOBIN        := $(shell $(GO) env GOPATH)/bin
WAILS        := $(GOBIN)/wails
STATICCHECK  := $(GOBIN)/staticcheck
WAILS_VERSION       := v2.13.0
STATICCHECK_VERSION := v0.8.2
TAGS         := webkit2_41
LINT_TAGS    := desktop,production,$(TAGS)
# git describe's version (scripts/version.sh says how, and how without a tag)
VERSION      := $(shell scripts/version.sh 2>/dev/null || echo dev)
LDFLAGS      := -X github.com/resonanz/resonanz/backend/resonanz.Version=$(VERSION)
APT_PACKAGES := build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev \
                xvfb xauth imagemagick chromium dovecot-imapd
# only for make dist / test-dist (so make run needs no Wine): the Windows
# cross-build (mingw-w64 for go-sqlite3's cgo, NSIS for the installer), the
# packaging tools, and Wine and lintian for the checks
DIST_APT_PACKAGES := nsis gcc-mingw-w64-x86-64 zip dpkg-dev wine64 lintian
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STAMP        := .stamp
BIN          := build/bin/resonanz
DESKTOP_BIN  := build/bin/resonanz-desktop
FRONTEND_SRC := $(shell find frontend/src frontend/public frontend/index.html frontend/vite.config.ts frontend/svelte.config.js frontend/tsconfig.json frontend/package.json -type f 2>/dev/null)
export GOTOOLCHAIN := local

.PHONY: run test build bench setup dist dist-setup test-dist test-go test-fuzz fuzz test-frontend test-e2e test-desktop lint clean

## run: set up, build and start the desktop app (data in the user's data dir);
## the headless binary execs resonanz-desktop for the window
run: build
	./$(BIN)

## test: set up and run every test suite
test: setup lint test-go test-fuzz test-frontend build test-e2e test-desktop
	@echo "make test: all suites passed"

## build: two binaries of the same package, both with the frontend embedded:
## build/bin/resonanz, the command line (a plain go build: no GTK/WebKit to
## load, so commands start fast and small), and build/bin/resonanz-desktop, the
## Wails build with the window, which `resonanz` (no command) execs
build: setup frontend/dist/index.html
	$(WAILS) build -s -skipbindings -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(notdir $(DESKTOP_BIN))
	$(GO) build -tags $(TAGS) -ldflags "-s -w $(LDFLAGS)" -o $(BIN) .

setup: $(STAMP)/apt $(WAILS) frontend/node_modules/.stamp

# Debian packages: installs only what is missing, so a set-up machine costs nothing.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@mkdir -p $(STAMP) && touch $@
endef

$(STAMP)/apt:
	$(call apt_install,$(APT_PACKAGES))

$(STAMP)/apt-dist:
	$(call apt_install,$(DIST_APT_PACKAGES))

$(WAILS):
	$(GO) install github.com/wailsapp/wails/v2/cmd/wails@$(WAILS_VERSION)

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

frontend/node_modules/.stamp: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend/dist/index.html: frontend/node_modules/.stamp $(FRONTEND_SRC)
	cd frontend && npm run build

lint: setup $(STATICCHECK) frontend/dist/index.html
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet -tags $(LINT_TAGS) ./...
	$(STATICCHECK) -tags $(LINT_TAGS) ./...
	@# the root package again as the headless build (its desktop launcher)
	$(GO) vet -tags $(TAGS) .
	$(STATICCHECK) -tags $(TAGS) .
	cd frontend && npm run check

test-go: setup frontend/dist/index.html
	$(GO) test -count=1 ./...

# Every Go fuzz target runs briefly in make test (FUZZTIME per target) and
# longer in make fuzz; the seed corpora live in testdata/fuzz.
# Go 1.26's fuzz coordinator can fail a run with a bare "context deadline
# exceeded" at the -fuzztime boundary when the CPU is busy (golang/go#75804,
# fixed in Go 1.27). Such a run (no failing input written, no panic) is
# retried once and then counted as a flake; any real finding still fails.
FUZZTIME ?= 5s
test-fuzz: setup frontend/dist/index.html
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    for try in 1 2; do \
	      if $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg > /tmp/resonanz-fuzz.log 2>&1; then break; fi; \
	      if grep -q 'context deadline exceeded' /tmp/resonanz-fuzz.log && ! grep -qiE 'failing input|panic|_test.go:[0-9]+' /tmp/resonanz-fuzz.log; then \
	        echo "  fuzz coordinator deadline flake (golang/go#75804), try $$try"; continue; \
	      fi; \
	      cat /tmp/resonanz-fuzz.log; exit 1; \
	    done; \
	  done; \
	done

## fuzz: every fuzz target for a minute
fuzz:
	$(MAKE) test-fuzz FUZZTIME=60s

test-frontend: setup
	cd frontend && npm test

# The German journey (e2e/journey-de.mjs) sends through the test SMTP sink.
test-e2e: build
	$(GO) build -o build/bin/smtpsink ./backend/smtp/smtptest/smtpsink
	cd frontend && RESONANZ_BIN=$(CURDIR)/$(BIN) SMTPSINK_BIN=$(CURDIR)/build/bin/smtpsink npm run e2e

test-desktop: build
	xvfb-run -a -s "-screen 0 1400x900x24" node frontend/e2e/desktop-smoke.mjs $(CURDIR)/$(BIN)

## bench: the performance harness (QUICK=1 for a run under two minutes, ONLY=start,send for some workloads); writes bench/results.json
bench: build
	$(GO) run ./bench -bin $(BIN) $(if $(QUICK),-quick) $(if $(ONLY),-only $(ONLY)) $(if $(BASE_BIN),-base-bin $(BASE_BIN)) -out bench/results.json

## dist: the installable packages in dist/ (set-up included): the Windows
## installer and ZIP, the .deb and SHA256SUMS; built from a staged copy of the
## tree (scripts/dist.sh), the version from git describe (scripts/version.sh)
dist: dist-setup frontend/dist/index.html
	WAILS=$(WAILS) scripts/dist.sh

dist-setup: setup $(STAMP)/apt-dist

## test-dist: build dist/ and check it: the .deb unpacked and run (with the
## window under Xvfb), the installer under Wine, the same outputs on both
test-dist: dist
	RESONANZ_DIST=$(CURDIR)/dist RESONANZ_DIST_VERSION=$$(scripts/version.sh) RESONANZ_DIST_DEBVERSION=$$(scripts/version.sh deb) \
	  $(GO) test -count=1 -v -timeout 30m ./scripts/disttest/

clean:
	rm -rf build/bin build/.dist dist frontend/dist/assets frontend/dist/index.html $(STAMP)
