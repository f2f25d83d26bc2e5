#!/bin/sh
# Side-by-side echo benchmarks. Run from anywhere:
#
#   bench/run.sh build            build bin/bench, bin/cecho, bin/cclient, bin/curing (needs Go modules, cc)
#   bench/run.sh quick [flags]    small matrix subset (about 2 minutes)
#   bench/run.sh matrix [flags]   full matrix: 100/1000/10000 conns x depth 1/16 x 64 B/4 KiB
#   bench/run.sh loops [flags]    throughput against 1, 2, 4, 8 event loops (multi-core)
#   bench/run.sh tls [flags]      TLS echo, handshakes and HTTPS vs net+crypto/tls, nbio, fasthttp
#
# After "build", matrix, quick and loops run only the binaries in bench/bin:
# no network, no compiler. Flags are those of "bin/bench matrix -h" / "loops -h".
set -eu
cd "$(dirname "$0")"
cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
build)
	# Static binaries, so bin/ can be copied to another Linux machine and run there.
	CGO_ENABLED=0 go build -o bin/bench .
	${CC:-cc} -O2 -Wall -static -o bin/cecho cserver/echo.c 2>/dev/null ||
		${CC:-cc} -O2 -Wall -o bin/cecho cserver/echo.c
	${CC:-cc} -O2 -Wall -static -o bin/cclient cclient/echo_client.c 2>/dev/null ||
		${CC:-cc} -O2 -Wall -o bin/cclient cclient/echo_client.c
	# The C io_uring server needs liburing (Debian: liburing-dev); without it
	# the c-uring impl is unavailable and the rest still builds.
	if ${CC:-cc} -O2 -Wall -static -o bin/curing cserver/uring_echo.c -luring 2>/dev/null ||
		${CC:-cc} -O2 -Wall -o bin/curing cserver/uring_echo.c -luring; then
		echo "built bin/bench bin/cecho bin/cclient bin/curing"
	else
		echo "built bin/bench bin/cecho bin/cclient (no bin/curing: install liburing-dev)"
	fi
	;;
quick)
	[ -x bin/bench ] || "$0" build
	exec bin/bench matrix --quick "$@"
	;;
matrix | loops | tls)
	[ -x bin/bench ] || "$0" build
	exec bin/bench "$cmd" "$@"
	;;
*)
	sed -n '2,11p' "$0"
	exit 2
	;;
esac
