#!/usr/bin/env bash
# Independent-client check of `eventpoll serve --proto echo`: for each backend
# and trigger mode a separate server process is driven over 1000 connections by
# `eventpoll load --engine net` (Go's net package, a goroutine per connection:
# none of the reactor's code), which sends random bytes and verifies every
# echoed byte. Bounded: each cell sends a fixed number of messages and is
# killed after 120 s. Prints one Markdown row per cell.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-1000}
REQS=${REQS:-1000000}   # 1000 x 1 KiB = 1 MiB per connection
SIZE=${SIZE:-1024}
DEPTH=${DEPTH:-4}
bin=$(mktemp -d)/eventpoll
go build -o "$bin" ./cmd/eventpoll
port=17400
echo "| backend | trigger | conns | messages verified | msgs/s | MB/s | p99 µs | errors |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for cell in epoll:edge epoll:level poll:edge poll:level select:edge select:level; do
  be=${cell%:*}; tr=${cell#*:}; port=$((port+1))
  "$bin" serve --addr 127.0.0.1:$port --proto echo --backend "$be" --trigger "$tr" --loops 1 2>/tmp/serve-$be-$tr.err &
  spid=$!
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  out=$(timeout 120 "$bin" load --addr 127.0.0.1:$port --engine net --conns "$CONNS" --depth "$DEPTH" \
        --size "$SIZE" --requests "$REQS" --json --quiet) || { echo "| $be | $tr | FAILED: $out |"; kill $spid; exit 1; }
  kill -INT $spid; wait $spid
  python3 - "$be" "$tr" "$out" <<'PY'
import json, sys
be, tr, r = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
print(f"| {be} | {tr} | {r['conns']} | {r['msgs']} | {r['msgs_per_sec']:.0f} | {r['mb_per_sec']:.1f} | {r['latency']['p99_us']:.0f} | {r['errors']} |")
PY
done
