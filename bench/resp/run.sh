#!/usr/bin/env bash
# Side-by-side RESP benchmark under redis-benchmark: eventpoll (proto/resp on
# the reactor, LOOPS event loops), Debian's redis-server and tidwall/redcon,
# at pipeline 1 and 16. Prints a Markdown table of requests per second.
#
#   N=200000 C=50 LOOPS=1 REPS=3 ./run.sh
#
# Each cell is the median of REPS rounds; the servers take turns within a
# round, so load from other processes spreads over all of them.
#
# Needs redis-server and redis-benchmark (apt-get install redis-server redis-tools).
set -euo pipefail
cd "$(dirname "$0")"
N=${N:-200000}
C=${C:-50}
LOOPS=${LOOPS:-1}
TESTS=${TESTS:-ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,mset}
PIPES=${PIPES:-"1 16"}
REPS=${REPS:-3}
out=$(mktemp -d)
mkdir -p bin
go build -o bin/respbench .

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start() { # name port command...
	local name=$1 port=$2
	shift 2
	"$@" >"$out/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "$name did not start" >&2
	cat "$out/$name.log" >&2
	exit 1
}

start eventpoll 6390 bin/respbench -server eventpoll -addr 127.0.0.1:6390 -loops "$LOOPS"
start redis 6391 redis-server --port 6391 --bind 127.0.0.1 --save '' --appendonly no
start redcon 6392 bin/respbench -server redcon -addr 127.0.0.1:6392

servers="eventpoll:6390 redis:6391 redcon:6392"
for rep in $(seq "$REPS"); do
	for P in $PIPES; do
		for sp in $servers; do
			name=${sp%%:*} port=${sp##*:}
			redis-cli -p "$port" flushall >/dev/null 2>&1 || true
			redis-benchmark -h 127.0.0.1 -p "$port" -n "$N" -c "$C" -P "$P" -t "$TESTS" --csv \
				| tail -n +2 | tr -d '"' | cut -d, -f1,2 >>"$out/$name.P$P.csv"
		done
	done
done

median() { # test file: the median requests/s of test in file
	awk -F, -v t="$1" '$1 == t {print $2}' "$2" | sort -n | awk '{v[NR]=$1} END {printf "%d", v[int((NR+1)/2)]}'
}

echo "redis-benchmark -n $N -c $C -t $TESTS; requests per second, median of $REPS (eventpoll: $LOOPS loop(s); redcon: GOMAXPROCS=$(nproc)); $(nproc) CPUs, client on the same host"
echo
hdr="| test |"
sep="|---|"
for P in $PIPES; do
	for sp in $servers; do
		hdr="$hdr ${sp%%:*} -P $P |"
		sep="$sep---:|"
	done
done
echo "$hdr"
echo "$sep"
cut -d, -f1 "$out/eventpoll.P${PIPES%% *}.csv" | awk '!seen[$0]++' | while read -r t; do
	row="| $t |"
	for P in $PIPES; do
		for sp in $servers; do
			row="$row $(median "$t" "$out/${sp%%:*}.P$P.csv") |"
		done
	done
	echo "$row"
done
