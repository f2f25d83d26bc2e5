#!/usr/bin/env bash
# Side-by-side HTTP benchmark under wrk: eventpoll (proto/http1 on the
# reactor), net/http and valyala/fasthttp; plaintext and JSON, without and
# with pipelining (DEPTH requests per write). Prints a Markdown table of
# requests per second; a run with socket errors or non-2xx is marked.
#
#   D=5s C=64 T=2 DEPTH=16 REPS=3 ./run.sh
#
# Each cell is the median of REPS runs; the servers take turns, so load
# from other processes spreads over all of them.
#
# Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")"
D=${D:-5s}
C=${C:-64}
T=${T:-2}
DEPTH=${DEPTH:-16}
LOOPS=${LOOPS:-0}
REPS=${REPS:-3}
out=$(mktemp -d)
mkdir -p bin
go build -o bin/httpbench .
cat >"$out/pipeline.lua" <<'LUA'
init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do r[i] = wrk.format(nil) end
  req = table.concat(r)
end
request = function() return req end
LUA

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
servers="eventpoll:8090 nethttp:8091 fasthttp:8092"
for sp in $servers; do
	name=${sp%%:*} port=${sp##*:}
	bin/httpbench -server "$name" -addr "127.0.0.1:$port" -loops "$LOOPS" >"$out/$name.log" 2>&1 &
	pids+=($!)
done
for sp in $servers; do
	for _ in $(seq 50); do
		curl -sf "http://127.0.0.1:${sp##*:}/" >/dev/null && break
		sleep 0.1
	done
done

run() { # port path pipelined
	local args=(-t "$T" -c "$C" -d "$D" "http://127.0.0.1:$1$2")
	if [ "$3" = yes ]; then args=(-s "$out/pipeline.lua" "${args[@]}" -- "$DEPTH"); fi
	local o
	o=$(wrk "${args[@]}" 2>&1)
	echo "$o" | awk '/Requests\/sec/ {printf "%d", $2}'
	if echo "$o" | grep -q -e "Socket errors" -e "Non-2xx"; then echo "$o" >&2; echo -n "!"; fi
}

echo "wrk -t $T -c $C -d $D (pipelined: $DEPTH requests per write); requests per second, median of $REPS (! marks a run with socket errors or non-2xx); eventpoll loops: ${LOOPS/#0/GOMAXPROCS}; $(nproc) CPUs, client on the same host"
echo
echo "| workload | eventpoll | net/http | fasthttp |"
echo "|---|---:|---:|---:|"
for w in "plaintext:/:no" "plaintext pipelined:/:yes" "json:/json:no" "json pipelined:/json:yes"; do
	IFS=: read -r label path pipe <<<"$w"
	declare -A res=()
	for rep in $(seq "$REPS"); do
		for sp in $servers; do
			res[$sp]="${res[$sp]:-} $(run "${sp##*:}" "$path" "$pipe")"
		done
	done
	row="| $label |"
	for sp in $servers; do
		m=$(echo ${res[$sp]} | tr ' ' '\n' | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
		case "${res[$sp]}" in *!*) m="$m !" ;; esac
		row="$row $m |"
	done
	unset res
	echo "$row"
done
