# Renders the two lead tables of docs/BENCHMARKS.md from a `bench matrix --json`
# file: server CPU per message (median over the runs) of every impl per cell,
# then the ratios paired run by run (median and range) and system calls per
# message.
#   python3 docs/bench-data/lead-tables.py docs/bench-data/matrix-2026-12-03b-cclient.jsonl
import json
import statistics
import sys

COLS = [
    ("c", "C epoll"),
    ("c-uring", "C io_uring"),
    ("net", "Go net"),
    ("netpoll", "netpoll"),
    ("gnet", "gnet"),
    ("nbio", "nbio"),
    ("eventpoll:epoll:et:1", "eventpoll ET"),
    ("eventpoll:epoll:lt:1", "eventpoll LT"),
    ("eventpoll:io_uring:et:1", "io_uring poller (ET)"),
    ("eventpoll:io_uring:cq:1", "completion engine"),
]
ET, LT, CQ = "eventpoll:epoll:et:1", "eventpoll:epoll:lt:1", "eventpoll:io_uring:cq:1"
RATIOS = [  # (numerator, denominator, heading)
    (ET, "c", "ET / C epoll"),
    (LT, "c", "LT / C epoll"),
    (CQ, "c-uring", "completion / C io_uring"),
    (CQ, "c", "completion / C epoll"),
    ("gnet", ET, "gnet / ET"),
    ("nbio", ET, "nbio / ET"),
    ("gnet", CQ, "gnet / completion"),
    ("nbio", CQ, "nbio / completion"),
]
SYSCALLS = ["c", "c-uring", "gnet", "nbio", ET, CQ]

cells = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    c = r["cell"]
    key = (c["Conns"], c["Depth"], c["Size"])
    cells.setdefault(key, {}).setdefault(r["rep"], {})[r["impl"]] = r


def name(key):
    size = "4 KiB" if key[2] == 4096 else "%d B" % key[2]
    return "%d x %d x %s" % (key[0], key[1], size)


def med(reps, impl, field="server_cpu_us_per_msg"):
    v = [reps[k][impl][field] for k in reps if impl in reps[k] and reps[k][impl].get(field, -1) >= 0]
    return statistics.median(v) if v else None


def ratio(reps, a, b):
    v = [reps[k][a]["server_cpu_us_per_msg"] / reps[k][b]["server_cpu_us_per_msg"]
         for k in reps if a in reps[k] and b in reps[k]]
    if not v:
        return "n/a"
    return "%.2f (%.2f–%.2f)" % (statistics.median(v), min(v), max(v))


def fmt(x, f="%.2f"):
    return "n/a" if x is None else f % x


print("| cell | " + " | ".join(h for _, h in COLS) + " |")
print("|---|" + "---:|" * len(COLS))
for key in sorted(cells):
    reps = cells[key]
    print("| %s | %s |" % (name(key), " | ".join(fmt(med(reps, i)) for i, _ in COLS)))
print()
print("| cell | " + " | ".join(h for _, _, h in RATIOS) + " | syscalls/msg: C epoll, C io_uring, gnet, nbio, ET, completion | errors |")
print("|---|" + "---:|" * len(RATIOS) + "---|---:|")
for key in sorted(cells):
    reps = cells[key]
    errs = sum(reps[k][i]["errors"] for k in reps for i in reps[k])
    sc = ", ".join(fmt(med(reps, i, "server_syscalls_per_msg"), "%.3f") for i in SYSCALLS)
    print("| %s | %s | %s | %d |" % (name(key), " | ".join(ratio(reps, a, b) for a, b, _ in RATIOS), sc, errs))
