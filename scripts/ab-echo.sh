#!/usr/bin/env bash
# Before/after server CPU per message of two eventpoll builds, measured with
# the C epoll load client (bench/cclient: shares no code with the server).
# Each run starts one build's echo server pinned to CPU 0 (one loop), drives
# it from the client pinned to CPU 1, and reads the server's CPU time from
# /proc; the builds alternate run by run (which one runs first alternates
# pair by pair) so load on the machine hits both.
#
#   scripts/ab-echo.sh OLD_BINARY NEW_BINARY [reps] [seconds] [cells]
#
# Binaries: `go build -o X ./cmd/eventpoll` at each commit. Cells are
# CONNSxDEPTHxSIZE, default "1000x16x64 100x1x64". Extra server flags go in
# SERVE_FLAGS (default: --backend epoll --trigger edge). Prints one line per
# run and, per cell, the median CPU per message of each build and the median
# and range of the paired new/old ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 reps=${3:-5} secs=${4:-3}
cells=${5:-"1000x16x64 100x1x64"}
flags=${SERVE_FLAGS:---backend epoll --trigger edge}
client=bench/bin/cclient
if [ ! -x "$client" ]; then
	mkdir -p bench/bin
	${CC:-cc} -O2 -Wall -o "$client" bench/cclient/echo_client.c
fi
hz=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# run BIN CONNS DEPTH SIZE: prints the server's CPU µs per message.
run() {
	local bin=$1 conns=$2 depth=$3 size=$4 port pid t0 t1 out msgs
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# shellcheck disable=SC2086
	taskset -c 0 "$bin" serve --proto echo --loops 1 --addr "127.0.0.1:$port" $flags >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.05
	done
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "server $bin did not start on port $port" >&2
		exit 1
	fi
	t0=$(cpu_ticks "$pid")
	out=$(taskset -c 1 "$client" --addr "127.0.0.1:$port" --conns "$conns" --depth "$depth" --size "$size" --duration "$secs")
	t1=$(cpu_ticks "$pid")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	msgs=$(sed -n 's/.*"msgs":\([0-9]*\).*/\1/p' <<<"$out")
	if [ -z "$msgs" ] || [ "$msgs" -eq 0 ] || ! grep -q '"errors":0' <<<"$out"; then
		echo "run failed: $out" >&2
		exit 1
	fi
	awk -v t=$((t1 - t0)) -v hz="$hz" -v m="$msgs" 'BEGIN { printf "%.3f\n", t / hz / m * 1e6 }'
}

median() { sort -g | awk '{a[NR]=$1} END { print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) }'; }

for cell in $cells; do
	IFS=x read -r conns depth size <<<"$cell"
	o=() n=() r=()
	for i in $(seq "$reps"); do
		# Odd pairs run old first, even pairs new first, so that an effect of
		# the order (a warmer cache, a busier host) falls on both builds.
		if ((i % 2)); then
			a=$(run "$old" "$conns" "$depth" "$size")
			b=$(run "$new" "$conns" "$depth" "$size")
		else
			b=$(run "$new" "$conns" "$depth" "$size")
			a=$(run "$old" "$conns" "$depth" "$size")
		fi
		o+=("$a") n+=("$b")
		r+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')")
		echo "$cell run $i: old $a µs/msg, new $b µs/msg, new/old ${r[-1]}"
	done
	mo=$(printf '%s\n' "${o[@]}" | median)
	mn=$(printf '%s\n' "${n[@]}" | median)
	mr=$(printf '%s\n' "${r[@]}" | median)
	lo=$(printf '%s\n' "${r[@]}" | sort -g | head -1)
	hi=$(printf '%s\n' "${r[@]}" | sort -g | tail -1)
	echo "== $cell: old $mo µs/msg, new $mn µs/msg; new/old median $mr (range $lo-$hi, $reps pairs)"
done
