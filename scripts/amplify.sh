#!/usr/bin/env bash
# Reply amplification and memory after a burst (issue 10, items 1 and 2).
#
# For each server (eventpoll serve --proto resp, and redis-server when it is
# installed) and each N: CONNS clients each SET a 1 MB value, then write
# "GET big\r\n" N times in one write and never read. After HOLD seconds the
# clients close and, 5 s later, the server's RSS (VmRSS) and peak RSS
# (VmHWM, the most it held at any time) are taken. Bounded: each run lasts about HOLD + 6 s.
#
#   scripts/amplify.sh                  # N = 300 2000, CONNS = 1 and 20
#   N="300 2000 100000" CONNS="1" SERVERS=eventpoll scripts/amplify.sh
set -euo pipefail
cd "$(dirname "$0")/.."
NS=${N:-"300 2000"}
CONNSS=${CONNS:-"1 20"}
HOLD=${HOLD:-3}
SERVERS=${SERVERS:-"eventpoll redis"}
PORT=${PORT:-7391}
bin=$(mktemp -d)/eventpoll
go build -o "$bin" ./cmd/eventpoll

client() { # port conns n
	python3 - "$@" <<'PY'
import socket, sys, time
port, conns, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
val = b"v" * (1 << 20)
socks = []
for i in range(conns):
    s = socket.create_connection(("127.0.0.1", port))
    key = b"big%d" % i
    s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(val), val))
    buf = b""
    while not buf.endswith(b"\r\n"):
        buf += s.recv(64)
    assert buf == b"+OK\r\n", buf
    s.setblocking(False)
    socks.append((s, b"GET " + key + b"\r\n"))
# One write of N commands per connection; never read. The server reads
# only as far as its limits let it, so the write may block: send what
# the socket takes and go on.
pending = [(s, cmd * n) for s, cmd in socks]
end = time.time() + float(sys.argv[4])
while time.time() < end:
    rest = []
    for s, data in pending:
        try:
            k = s.send(data)
            data = data[k:]
        except BlockingIOError:
            pass
        if data:
            rest.append((s, data))
    pending = rest
    time.sleep(0.05)
print("hold-done", flush=True)
sys.stdin.readline()  # the parent has read the peak: close everything
for s, _ in socks:
    s.close()
PY
}

rss() { awk -v k="$2:" '$1==k {print int($2/1024)}' "/proc/$1/status"; }

measure() { # name pid
	local name=$1 pid=$2
	for conns in $CONNSS; do
		for n in $NS; do
			coproc CL { client "$PORT" "$conns" "$n" "$HOLD"; }
			read -r _ <&"${CL[0]}"
			local peak now
			echo >&"${CL[1]}"
			wait "$CL_PID" || true
			sleep 5
			now=$(rss "$pid" VmRSS)
			peak=$(rss "$pid" VmHWM)
			printf '%-14s conns=%-3s N=%-7s peak RSS %6s MB   RSS 5 s after close %6s MB\n' "$name" "$conns" "$n" "$peak" "$now"
		done
	done
}

run_eventpoll() {
	"$bin" serve --proto resp --addr "127.0.0.1:$PORT" 2>/dev/null &
	local pid=$!
	sleep 0.5
	measure "eventpoll" "$pid"
	kill -TERM "$pid"; wait "$pid" || true
}

run_redis() {
	command -v redis-server >/dev/null || { echo "redis-server not installed: skipped"; return; }
	redis-server --port "$PORT" --save "" --appendonly no --daemonize no --loglevel warning >/dev/null &
	local pid=$!
	sleep 0.5
	measure "redis-server" "$pid"
	kill -TERM "$pid"; wait "$pid" || true
}

# VmHWM is a process's peak since it started: each server is restarted per
# measurement so that one N does not carry another's peak.
for conns in $CONNSS; do
	for n in $NS; do
		for srv in $SERVERS; do
			CONNSS=$conns NS=$n "run_$srv"
		done
	done
done
