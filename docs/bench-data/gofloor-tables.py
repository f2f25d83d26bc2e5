# Renders the Go-floor table of docs/BENCHMARKS.md from a `bench matrix --json`
# file with the impls c, goraw, eventpoll:epoll:et:1 and eventpoll:epoll:lt:1:
# server CPU per message (median over the runs) per cell, and the ratios
# paired run by run (median and range).
#   python3 docs/bench-data/gofloor-tables.py docs/bench-data/gofloor-2026-12-03.jsonl
import json
import statistics
import sys

C, RAW, ET, LT = "c", "goraw", "eventpoll:epoll:et:1", "eventpoll:epoll:lt:1"
RATIOS = [(RAW, C, "Go floor / C epoll"), (ET, C, "ET / C epoll"), (LT, C, "LT / C epoll"),
          (ET, RAW, "ET / Go floor"), (LT, RAW, "LT / Go floor")]

cells, errors = {}, 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    c = r["cell"]
    errors += r["errors"]
    cells.setdefault((c["Conns"], c["Depth"], c["Size"]), {}).setdefault(r["rep"], {})[r["impl"]] = r


def size(n):
    return f"{n // 1024} KiB" if n >= 1024 else f"{n} B"


print("| cell | C epoll | Go floor | eventpoll ET | eventpoll LT | " + " | ".join(h for _, _, h in RATIOS) + " |")
print("|---|" + "---:|" * (4 + len(RATIOS)))
for key in sorted(cells):
    reps = cells[key]
    cpu = lambda impl: statistics.median(reps[k][impl]["server_cpu_us_per_msg"] for k in reps)
    row = [f"{key[0]} x {key[1]} x {size(key[2])}"] + [f"{cpu(i):.2f}" for i in (C, RAW, ET, LT)]
    for a, b, _ in RATIOS:
        rs = sorted(reps[k][a]["server_cpu_us_per_msg"] / reps[k][b]["server_cpu_us_per_msg"] for k in reps)
        row.append(f"{statistics.median(rs):.2f} ({rs[0]:.2f}–{rs[-1]:.2f})")
    print("| " + " | ".join(row) + " |")
print(f"\nerrors: {errors}")
