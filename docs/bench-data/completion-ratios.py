# Paired ratios of server CPU per message for the completion engine, per cell
# and run, from a `bench matrix --json` file:
#   python3 docs/bench-data/completion-ratios.py docs/bench-data/completion-2026-12-03.jsonl
import json,sys,statistics
rows=[json.loads(l) for l in open(sys.argv[1])]
cells={}
for r in rows:
    c=r['cell']; key=(c['Conns'],c['Depth'],c['Size'])
    cells.setdefault(key,{}).setdefault(r['rep'],{})[r['impl']]=r
CQ='eventpoll:io_uring:cq:1'
def fmt(v): return "%.2f (%.2f–%.2f)"%(statistics.median(v),min(v),max(v)) if v else "n/a"
print("| cell | cq µs/msg | C io_uring | C epoll | eventpoll ET | cq / C io_uring | cq / C epoll | cq / eventpoll ET | syscalls/msg: cq, C io_uring, C epoll, ET | errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
for key in sorted(cells):
    reps=cells[key]
    def med(impl,f='server_cpu_us_per_msg'):
        v=[reps[k][impl][f] for k in reps if impl in reps[k]]
        return statistics.median(v) if v else float('nan')
    def ratio(a,b):
        return [reps[k][a]['server_cpu_us_per_msg']/reps[k][b]['server_cpu_us_per_msg'] for k in reps if a in reps[k] and b in reps[k]]
    errs=sum(reps[k][i]['errors'] for k in reps for i in reps[k])
    size = "4 KiB" if key[2]==4096 else "%d B"%key[2]
    print("| %d x %d x %s | %.2f | %.2f | %.2f | %.2f | %s | %s | %s | %.3f, %.3f, %.3f, %.3f | %d |"%(key[0],key[1],size,med(CQ),med('c-uring'),med('c'),med('eventpoll:epoll:et:1'),fmt(ratio(CQ,'c-uring')),fmt(ratio(CQ,'c')),fmt(ratio(CQ,'eventpoll:epoll:et:1')),med(CQ,'server_syscalls_per_msg'),med('c-uring','server_syscalls_per_msg'),med('c','server_syscalls_per_msg'),med('eventpoll:epoll:et:1','server_syscalls_per_msg'),errs))
