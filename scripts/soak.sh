#!/usr/bin/env bash
# Soak test: builds cmd/eventpoll, starts `eventpoll serve` for each protocol
# (echo, resp, http; each with --debug-addr on loopback) and churns
# connections against all of them at once for DURATION with scripts/soak
# (normal, half-close, reset, idle, slow-reader, open-close and garbage
# sessions; every reply checked). Every INTERVAL it samples each server's
# descriptors, threads, RSS (/proc/PID), goroutines and heap (expvar), and
# fails when a figure keeps growing over the second half of the run, when
# descriptors or goroutines stay above their starting values after the load,
# or when replies are wrong. Bounded: DURATION (default 10m) plus about 30 s.
#
#   scripts/soak.sh                      # 10 minutes, all three protocols
#   DURATION=3m PROTOS="resp" scripts/soak.sh
#
# Environment: DURATION (10m), INTERVAL (10s), WORKERS (32 per protocol),
# RATE (200 new connections/s per protocol), PROTOS ("echo resp http"),
# LOOPS (server loops; unset: GOMAXPROCS), BACKEND (epoll), TRIGGER (edge),
# OUT (directory to keep the logs in; default: a temporary one, removed).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10m}
INTERVAL=${INTERVAL:-10s}
WORKERS=${WORKERS:-32}
RATE=${RATE:-200}
PROTOS=${PROTOS:-"echo resp http"}
LOOPS=${LOOPS:-}
BACKEND=${BACKEND:-epoll}
TRIGGER=${TRIGGER:-edge}

tmp=$(mktemp -d)
out=${OUT:-$tmp}
mkdir -p "$out"
servers=()
cleanup() {
  for pid in "${servers[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== build"
go build -o "$tmp/eventpoll" ./cmd/eventpoll
go build -o "$tmp/soak" ./scripts/soak

declare -A pid addr debug client
for p in $PROTOS; do
  : >"$out/$p.server.log" # exists before the server's redirection is made
  "$tmp/eventpoll" serve --proto "$p" --addr 127.0.0.1:0 --debug-addr 127.0.0.1:0 \
    ${LOOPS:+--loops "$LOOPS"} --backend "$BACKEND" --trigger "$TRIGGER" 2>"$out/$p.server.log" &
  pid[$p]=$!
  servers+=("${pid[$p]}")
  for _ in $(seq 100); do
    addr[$p]=$(sed -n "s/^eventpoll serve: $p on tcp \([0-9.:]*\) .*/\1/p" "$out/$p.server.log")
    debug[$p]=$(sed -n 's|^eventpoll serve: debug endpoint on http://\([0-9.:]*\)/.*|\1|p' "$out/$p.server.log")
    [ -n "${addr[$p]}" ] && [ -n "${debug[$p]}" ] && break
    sleep 0.1
  done
  if [ -z "${addr[$p]}" ] || [ -z "${debug[$p]}" ]; then
    echo "serve --proto $p did not start:"; cat "$out/$p.server.log"; exit 1
  fi
  echo "== $p: server pid ${pid[$p]} on ${addr[$p]}, debug ${debug[$p]}"
done

echo "== soak for $DURATION (sample every $INTERVAL; $WORKERS workers, $RATE connections/s per protocol)"
for p in $PROTOS; do
  "$tmp/soak" -proto "$p" -addr "${addr[$p]}" -debug "${debug[$p]}" -pid "${pid[$p]}" \
    -duration "$DURATION" -interval "$INTERVAL" -workers "$WORKERS" -rate "$RATE" >"$out/$p.soak.log" 2>&1 &
  client[$p]=$!
done

status=0
for p in $PROTOS; do
  rc=0
  wait "${client[$p]}" || rc=$?
  echo "== $p (soak exit $rc)"
  cat "$out/$p.soak.log"
  [ "$rc" = 0 ] || status=1
done

echo "== stop servers (SIGTERM)"
for p in $PROTOS; do
  kill -TERM "${pid[$p]}"
  rc=0
  wait "${pid[$p]}" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "serve --proto $p exited $rc:"; tail -5 "$out/$p.server.log"; status=1
  fi
done
servers=()
[ "$status" = 0 ] && echo "soak: PASS" || echo "soak: FAIL"
exit $status
