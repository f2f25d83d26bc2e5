#!/usr/bin/env bash
# The project's test command: formatting, vet, staticcheck, the race-enabled
# test suite, and a short run of each fuzzer. Set EVENTPOLL_LONG=1 for the
# long variants of the stress tests.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "not gofmt'ed:"; echo "$bad"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

echo "== go test -race"
go test -race -timeout 15m ./...

echo "== fuzz (short)"
for pkg in $(go list ./... 2>/dev/null); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
    echo "-- $pkg $f"
    go test -run '^$' -fuzz "^$f\$" -fuzztime 10s "$pkg"
  done
done
