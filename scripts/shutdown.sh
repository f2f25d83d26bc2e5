#!/usr/bin/env bash
# Graceful shutdown under load (issue 10, item 3): 200 clients pipeline
# SET/GET at depth 16 against serve --proto resp; SIGTERM after 2 s. Prints
# serve's exit status, the time it took to exit, and its log. Bounded: ~5 s.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/eventpoll
go build -o "$bin" ./cmd/eventpoll
PORT=${PORT:-7393}
"$bin" serve --proto resp --addr "127.0.0.1:$PORT" 2>"$bin.log" &
pid=$!
sleep 0.5
"$bin" load --proto resp --addr "127.0.0.1:$PORT" --conns 200 --depth 16 --duration 4s --drain 1s --quiet >"$bin.load" 2>&1 &
lpid=$!
sleep 2
start=$(date +%s.%N)
kill -TERM "$pid"
wait "$pid"; status=$?
end=$(date +%s.%N)
wait "$lpid"
printf 'serve exit status %d, %.3f s after SIGTERM\n' "$status" "$(echo "$end - $start" | bc)"
echo "--- serve log"; cat "$bin.log"
echo "--- load"; head -5 "$bin.load"
