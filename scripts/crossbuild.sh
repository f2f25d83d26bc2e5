#!/usr/bin/env bash
# Cross-build check: for every platform the module promises, go vet and
# compile (and link) every package's tests without running them; then
# staticcheck for darwin, FreeBSD, NetBSD and OpenBSD (scripts/test.sh runs
# it for linux), whose kqueue, poll and select code differs. Fails on the
# first error. Set CROSSBUILD_PLATFORMS to check fewer platforms.
set -euo pipefail
cd "$(dirname "$0")/.."

platforms=${CROSSBUILD_PLATFORMS:-"linux/amd64 linux/arm64 linux/386 linux/arm darwin/arm64 darwin/amd64 freebsd/amd64 openbsd/amd64 netbsd/amd64 dragonfly/amd64 windows/amd64"}
start=$SECONDS
for p in $platforms; do
  t0=$SECONDS
  export GOOS=${p%/*} GOARCH=${p#*/}
  go vet ./...
  # -exec true: build each package's test binary, run `true` instead of it.
  go test -count=1 -run XXX -exec true ./... >/dev/null
  echo "crossbuild $p ok ($((SECONDS - t0)) s)"
done
unset GOOS GOARCH
# Built for this machine, then run with GOOS=darwin (go run would build it for darwin).
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN=$bin go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
for os in darwin freebsd netbsd openbsd; do
  t0=$SECONDS
  GOOS=$os "$bin/staticcheck" ./...
  echo "staticcheck $os ok ($((SECONDS - t0)) s)"
done
echo "crossbuild total $((SECONDS - start)) s"
