#!/usr/bin/env python3
"""Bulk host routes on real FRR 8.4: N hosts appear on tor1 at once, then all go at once
(issue 4, "Benchmarks", 10k and 100k hosts). Not a test: it prints figures, targets and
PASS/MISS. Lab: lab/topologies/injection-ebgp.toml (eBGP with the move-signal route-maps),
plus `ip import-table 10` / `redistribute table 10` on tor1 for the kernel-table paths.

Paths, all measured in the same run, each with its own prefixes:

  floor       a bare ZAPI client (bench/benchlib.py RawZapi: our encoding straight to zebra,
              FRR's own floor, ZAPI.md §6) writes N ROUTE_ADDs as fpm_client would (claim:
              distance 10, tag 1) in one write, and relaxes them to hold (250, tag 2) 2 s
              later in one more, as fpm_client's claim window does
  ours        the real path: a host namespace on tor1's br10 writes N crafted gratuitous
              ARPs (one new host each, paced at --rate frames/s) -> hostroute_learner ->
              fpm_client -> zebra (the ZAPI method)
  fpm-ipc     fpm_client alone: N intents written to its IPC socket by a stand-in learner
              (tests/integration/injection_ipc.py): ours without the learning part
  fpm-kernel  fpm_client's kernel-table method (IPC -> netlink into kernel table 10 ->
              zebra's `ip import-table 10`)
  ip-batch    `ip -batch` of N `route add ... table 10` (Cumulus' redistribute-neighbour way)

Timed from t0 (the first frame sent, the first byte written, `ip` started) until the N-th
route arrived, seen by ZAPI probes (benchlib.Probe): on tor1 subscribed to table/0 and
table/10 ("selected in tor1's RIB"), on the spine subscribed to bgp ("in the spine's RIB").
Then every path withdraws all N at once (ours: the learner's config loses the hosts'
foreign-subnet range and `hostroutectl reload hostroute_learner` makes it withdraw them
all; floor: N ROUTE_DELETEs; IPC paths: N withdrawals; ip-batch: `ip route flush table
10`), and the routes left in tor1's zebra and on the spine are counted (ZAPI.md §6.3: the
kernel table lost deletions at 50k). Targets: ours within 1.1x of the floor and faster
than the kernel-table paths (to the spine); no stale route on the spine.

    HR_BUILD_DIR=build HRLAB_PREFIX=hb /usr/bin/python3 bench/lab_injection.py [N ...] [--rate R]
        [--repeat 3] [--paths floor,ours,...]
        (default N: 10000; `./dev.sh bench lab_injection` runs the default)

The learner must keep up with the frames: if its socket overflows (the kernel's drop count
is printed), lower --rate; 100,000 hosts on a loaded 2-core machine needed --rate 4000.
"""

import argparse
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "bench"))
from benchlib import (AFI_IP, BGP, ROUTE_ADD, ROUTE_DELETE, TABLE, Probe, RawZapi, Summary,  # noqa: E402
                      frame_for, key, machine_load, route_msg, send_frames)
from injection_lab import TOPOLOGIES, LearnerClient, hrlab, injection_config, start_fpm  # noqa: E402

CLAIM = dict(distance=10, tag=1)
HOLD = dict(distance=250, tag=2)
CLAIM_WINDOW = 2.0
RATIO_TARGET = 1.1
BASES = {"floor": "10.100.0.0", "ours": "10.140.0.1", "fpm-ipc": "10.110.0.0",
         "fpm-kernel": "10.120.0.0", "ip-batch": "10.130.0.0"}
OURS_RANGE = "10.140.0.0/14"


def addresses(path, n):
    b = int(ipaddress.ip_address(BASES[path]))
    return [str(ipaddress.ip_address(b + i)) for i in range(n)]


ROUTE_LINE = re.compile(r"^([A-Za-z])(\[\d+\])?[>* ]*\s*(\d+\.\d+\.\d+\.\d+)/32\s")


def routes_of(lab, router, code):
    """Host /32s with protocol code `code` (T: table, any instance; B: bgp) in `router`'s
    zebra, from `show ip route` (text: the JSON of 100k routes is too slow to parse)."""
    out = lab.vtysh(router, "show ip route", timeout=300)
    found = set()
    for line in out.splitlines():
        m = ROUTE_LINE.match(line)
        if m and m.group(1) == code:
            found.add(m.group(3))
    return found


def learner_socket_drops(lab):
    """Frames the kernel dropped at tor1's AF_PACKET sockets (the learner's snooping socket:
    the only one there), from `ss` (skmem d)."""
    out = subprocess.run(["ip", "netns", "exec", lab.ns("tor1"), "ss", "-0", "-a", "-m"],
                         capture_output=True, text=True).stdout
    return sum(int(d) for d in re.findall(r"skmem:\(.*?,d(\d+)\)", out))


def cpu_pids(lab):
    """The processes whose CPU time the benchmark reports: FRR's daemons on tor1 and the
    spine, and ours on tor1 when they run."""
    out = {}
    for router in ("tor1", "spine"):
        for d, pid in lab.frr_pids(router).items():
            if d in ("zebra", "bgpd"):
                out[f"{d}@{router}"] = pid
    for d in ("hostroute_learner", "fpm_client"):
        if (pid := lab.daemon_pid("tor1", d)) is not None:
            out[d] = pid
    return out


def cpu_ns(pid):
    """CPU time (ns) process `pid` used so far, all its threads (/proc/PID/task/*/schedstat)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def zebra_alive(lab):
    return "zebra" in lab.frr_pids("tor1")


def measure(name, lab, probes, addrs, inject, withdraw, timeout, extra=None):
    """Runs one path: inject() returns t0 (or None: t0 = when it was called); waits for all N
    in tor1's RIB and on the spine; lets the claim window pass and the fabric go quiet;
    withdraw() (returns t1 or None); waits for all N gone; counts what stayed."""
    tor, spine = probes
    row = {"path": name, "n": len(addrs)}
    if not zebra_alive(lab):
        row["error"] = "zebra not running"
        return row
    n = len(addrs)
    for p in probes:
        p.expect(key(a) for a in addrs)
    types = ((TABLE, 10),) if name in ("fpm-kernel", "ip-batch") else (TABLE,)
    procs = cpu_pids(lab)
    cpu0 = {k: cpu_ns(p) for k, p in procs.items()}
    called = time.monotonic()
    t0 = inject() or called
    t_rib = wait_any(tor, "add", types, n, timeout)
    t_spine = spine.wait("add", BGP, n, timeout)
    # CPU each process used from t0 until all N were on the spine (the profile that tells
    # our code's share from FRR's).
    row["cpu"] = {k: (cpu_ns(p) - cpu0[k]) / 1e9 for k, p in procs.items() if k in cpu0}
    row["rib"] = None if t_rib is None else t_rib - t0
    row["spine"] = None if t_spine is None else t_spine - t0
    row["rib_seen"], row["spine_seen"] = count_any(tor, "add", types), spine.count("add", BGP)
    if extra:
        row.update(extra())
    # The claim window relaxes every route (a second write of N), then the fabric settles.
    while time.monotonic() < t0 + CLAIM_WINDOW + 0.5:
        time.sleep(0.05)
    spine.quiet(1.0)
    # The stale count below must be able to see routes: here, before the withdrawal, it must
    # find all N on the spine.
    row["counted_before"] = len(routes_of(lab, "spine", "B") & set(addrs))
    called = time.monotonic()
    t1 = withdraw() or called
    w_rib = wait_any(tor, "del", types, n, timeout)
    w_spine = spine.wait("del", BGP, n, timeout)
    row["w_rib"] = None if w_rib is None else w_rib - t1
    row["w_spine"] = None if w_spine is None else w_spine - t1
    if not zebra_alive(lab):
        row["error"] = "tor1's zebra died (see its log: netlink overrun?)"
        return row
    spine.quiet(1.0)
    want = set(addrs)
    row["stale_tor1"] = len(routes_of(lab, "tor1", "T") & want)
    row["stale_spine"] = len(routes_of(lab, "spine", "B") & want)
    return row


def wait_any(probe, which, types, n, timeout):
    """The time by which n prefixes arrived (or left) over any of `types`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        first = {}
        for t in types:
            for k, v in probe.times(which, t).items():
                first[k] = min(v, first.get(k, v))
        if len(first) >= n:
            return max(first.values())
        time.sleep(0.02)
    return None


def count_any(probe, which, types):
    seen = set()
    for t in types:
        seen |= set(probe.times(which, t))
    return len(seen)


def learner_config(with_hosts: bool) -> dict:
    cfg = injection_config(graceful_restart={"stop_action": "withdraw"})
    hr = cfg["frr-hostroute:hostroute"]
    hr["interface"] = [{"name": "br10", "subnet": [{"prefix": "10.1.0.0/24"}], "learning": {"enabled": True}}]
    hr["learning"]["aging"] = {"hold-time": 3600}
    hr["learning"]["limits"] = {"max-hosts": 1000000}
    if with_hosts:
        hr["learning"]["foreign-subnet"] = [{"prefix": OURS_RANGE}]
    return cfg


def path_floor(lab, n, args, probes, br10, work, timeout):
    """FRR's floor: a bare ZAPI client, one write of N claims, one of N relaxes 2 s later."""
    addrs = addresses("floor", n)
    raw = RawZapi(lab, "tor1")
    adds = b"".join(route_msg(ROUTE_ADD, a, br10, **CLAIM) for a in addrs)
    relax = b"".join(route_msg(ROUTE_ADD, a, br10, **HOLD) for a in addrs)
    dels = b"".join(route_msg(ROUTE_DELETE, a) for a in addrs)
    timer = []

    def inject():
        t0 = raw.send(adds)
        timer.append(threading.Timer(max(0.0, t0 + CLAIM_WINDOW - time.monotonic()), lambda: raw.send(relax)))
        timer[0].start()
        return t0
    row = measure("floor", lab, probes, addrs, inject, lambda: raw.send(dels), timeout)
    timer[0].join()
    raw.close()
    return row


def path_ours(lab, n, args, probes, br10, work, timeout):
    """Crafted ARP from a host namespace -> hostroute_learner -> fpm_client -> zebra."""
    addrs = addresses("ours", n)
    start_fpm(lab, "tor1", learner_config(True))
    lab.start_daemon("tor1", "hostroute_learner")
    lab.add_host("hb", "tor1", ipv4="10.1.0.99")
    frames = [frame_for(a, i) for i, a in enumerate(addrs)]
    sent = {}

    def inject():
        sent.update(send_frames(lab, "hb", work, frames, rate=args.rate, timeout=timeout))
        return sent["first"]

    def extra():
        drops = learner_socket_drops(lab)
        c = lab.hostroutectl("tor1", "show", "counters", "--json", json=True)
        lc, fc = c["hostroute_learner"], c["fpm_client"]
        k = "fpm_client.latency.seen_to_zapi_write_"
        return {"send_s": sent["last"] - sent["first"], "enobufs": sent["enobufs"], "drops": drops,
                "sender_cpu_s": sent.get("cpu_s"),
                "learned": lc.get("hostroute_learner.hosts.learned", 0),
                "rx": lc.get("hostroute_learner.packets.rx", 0),
                "write_p50_us": fc.get(k + "p50_us"), "write_p99_us": fc.get(k + "p99_us"),
                "write_max_us": fc.get(k + "max_us")}

    def withdraw():
        # The hosts' range leaves the learner's config: it withdraws every one of them.
        lab.config_path("tor1").write_text(json.dumps(learner_config(False), indent=2) + "\n")
        t1 = time.monotonic()
        lab.hostroutectl("tor1", "reload", "hostroute_learner")
        return t1
    row = measure("ours", lab, probes, addrs, inject, withdraw, timeout, extra)
    lab.stop_daemon("tor1", "hostroute_learner")
    lab.stop_daemon("tor1", "fpm_client")
    lab.remove_host("hb")
    return row


def ipc_send(c, data):
    t = time.monotonic()
    c.send_raw(data)
    return t


def path_fpm_ipc(lab, n, args, probes, br10, work, timeout):
    """fpm_client alone (ZAPI method): N claims written to its IPC by a stand-in learner."""
    addrs = addresses("fpm-ipc", n)
    start_fpm(lab, "tor1", injection_config(graceful_restart={"stop_action": "withdraw"}))
    c = LearnerClient(lab.daemon_socket("tor1", "fpm_client"))
    c.subscribe(["remote-routes"])  # route statuses parsed in Python would steal zebra's CPU
    c.sync(1, [])
    add_bytes, del_bytes = c.frames(addrs, claim=True), c.frames(addrs, withdraw=True)
    row = measure("fpm-ipc", lab, probes, addrs, lambda: ipc_send(c, add_bytes),
                  lambda: ipc_send(c, del_bytes), timeout)
    c.close()
    lab.stop_daemon("tor1", "fpm_client")
    return row


def path_fpm_kernel(lab, n, args, probes, br10, work, timeout):
    """fpm_client's kernel-table method: IPC -> kernel table 10 -> `ip import-table 10`."""
    addrs = addresses("fpm-kernel", n)
    start_fpm(lab, "tor1", injection_config(method="kernel-table", kernel_table=10,
                                            graceful_restart={"stop_action": "withdraw"}))
    c = LearnerClient(lab.daemon_socket("tor1", "fpm_client"))
    c.subscribe(["remote-routes"])
    c.sync(1, [])
    add_bytes, del_bytes = c.frames(addrs, claim=True), c.frames(addrs, withdraw=True)
    row = measure("fpm-kernel", lab, probes, addrs, lambda: ipc_send(c, add_bytes),
                  lambda: ipc_send(c, del_bytes), timeout)
    c.close()
    lab.stop_daemon("tor1", "fpm_client")
    return row


def path_ip_batch(lab, n, args, probes, br10, work, timeout):
    """`ip -batch` into table 10, flushed at once (Cumulus' redistribute-neighbour way)."""
    addrs = addresses("ip-batch", n)
    batch = "".join(f"route add {a}/32 dev br10 table 10\n" for a in addrs)

    def ip(*argv, data=None):
        t = time.monotonic()
        subprocess.run(["ip", "-n", lab.ns("tor1"), *argv], input=data, text=True, check=True)
        return t
    row = measure("ip-batch", lab, probes, addrs, lambda: ip("-batch", "-", data=batch),
                  lambda: ip("route", "flush", "table", "10"), timeout)
    # Repair what zebra may have kept (ZAPI.md §6.3) before the next path.
    lab.frr_config("tor1", ["no ip import-table 10", "ip import-table 10"])
    return row


PATHS = {"floor": path_floor, "ours": path_ours, "fpm-ipc": path_fpm_ipc,
         "fpm-kernel": path_fpm_kernel, "ip-batch": path_ip_batch}


def run_size(lab, n, args, probes, br10, work, timeout):
    """Every path `args.repeat` times, the order rotated each round so that no path always
    runs first (or last) in a changing load. Returns {path: [row per round]} and the loads."""
    names = [p for p in PATHS if p in args.paths]
    rows = {name: [] for name in names}
    loads = []
    for r in range(args.repeat):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            rows[name].append(PATHS[name](lab, n, args, probes, br10, work, timeout))
        loads.append(machine_load())
    return rows, loads


def median_row(rows):
    """One row from several rounds: the median of each timing, the worst of the rest."""
    if len(rows) == 1:
        return rows[0]
    out = dict(rows[0])
    for k, v in rows[0].items():
        vals = [r.get(k) for r in rows]
        if k.startswith("stale") or k in ("drops", "enobufs"):
            out[k] = max((x for x in vals if x is not None), default=None)
        elif k in ("rib_seen", "spine_seen", "learned", "counted_before"):
            out[k] = min((x for x in vals if x is not None), default=None)
        elif k == "cpu":
            out[k] = {p: sorted(r[k].get(p, 0.0) for r in rows if r.get(k))[len(rows) // 2] for p in v}
        elif isinstance(v, (int, float)) and k != "n":
            good = sorted(x for x in vals if x is not None)
            out[k] = good[len(good) // 2] if len(good) == len(vals) else None
    errors = [r["error"] for r in rows if r.get("error")]
    if errors:
        out["error"] = "; ".join(errors)
    return out


def fmt(v, spec=".3f"):
    return "-" if v is None else format(v, spec)


def report(n, runs, loads, summary):
    rounds = len(loads)
    print(f"\n{n} host routes, tor1 -> spine (eBGP), FRR 8.4.4 defaults; seconds from t0 to the N-th event, "
          f"{'median of ' + str(rounds) + ' rounds' if rounds > 1 else 'one round'} "
          f"(load average after each round: {'; '.join(loads)})")
    if rounds > 1:
        for name, rs in runs.items():
            print(f"  {name:<11} rounds, to the spine: " + ", ".join(fmt(r.get("spine")) for r in rs))
    rows = [median_row(rs) for rs in runs.values()]
    hdr = (f"{'path':<11} {'tor1 RIB':>9} {'spine':>9} {'withdraw RIB':>13} {'withdraw spine':>15} "
           f"{'stale tor1/spine':>17}")
    print("  " + hdr)
    print("  " + "-" * len(hdr))
    by = {}
    for r in rows:
        by[r["path"]] = r
        if "rib" not in r:
            print(f"  {r['path']:<11} {r['error']}")
            continue
        stale = f"{r.get('stale_tor1', '-')}/{r.get('stale_spine', '-')}"
        print(f"  {r['path']:<11} {fmt(r['rib']):>9} {fmt(r['spine']):>9} {fmt(r.get('w_rib')):>13} "
              f"{fmt(r.get('w_spine')):>15} {stale:>17}" + (f"  {r['error']}" if r.get("error") else ""))
        if r.get("counted_before", n) != n:
            print(f"  {'':<11} the stale count saw only {r['counted_before']} of {n} on the spine before the "
                  "withdrawal: its figure is not to be trusted")
        if r.get("rib_seen", n) < n or r.get("spine_seen", n) < n:
            print(f"  {'':<11} only {r['rib_seen']} in tor1's RIB / {r['spine_seen']} on the spine within the timeout")
    print("  CPU seconds from t0 until all N were on the spine (zebra's dataplane thread included):")
    for r in rows:
        cpu = dict(r.get("cpu") or {})
        if r.get("sender_cpu_s") is not None:
            cpu["frame sender"] = r["sender_cpu_s"]
        if cpu:
            print(f"  {r['path']:<11} " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
                  + f"; ours {sum(v for k, v in cpu.items() if '@' not in k and k != 'frame sender'):.2f}")
    o = by.get("ours", {})
    if "send_s" in o:
        print(f"  ours: {n} frames sent in {o['send_s']:.3f} s ({n / max(o['send_s'], 1e-9):,.0f}/s, "
              f"{o['enobufs']} ENOBUFS retries); learner: {o['learned']} hosts learned, {o['rx']} frames read, "
              f"{o['drops']} dropped by the kernel (socket full); "
              f"fpm_client first frame -> ZAPI write p50 {o['write_p50_us']} us, p99 {o['write_p99_us']} us, "
              f"max {o['write_max_us']} us")

    def ok(r, k):
        return r is not None and r.get(k) is not None and not r.get("error")
    fl, kern, ipb, ipc = (by.get(k) for k in ("floor", "fpm-kernel", "ip-batch", "fpm-ipc"))
    if ok(o, "spine") and ok(fl, "spine"):
        ratio = o["spine"] / fl["spine"]
        summary.check(f"{n} hosts: all on the spine, ours / floor", f"x{ratio:.2f} ({o['spine']:.3f} s vs "
                      f"{fl['spine']:.3f} s)", f"<= x{RATIO_TARGET}", ratio <= RATIO_TARGET)
    else:
        summary.check(f"{n} hosts: all on the spine, ours / floor", "not measured (see above)",
                      f"<= x{RATIO_TARGET}", None)
    if ok(o, "rib") and ok(fl, "rib"):
        summary.info(f"{n} hosts: all in tor1's RIB, ours / floor",
                     f"x{o['rib'] / fl['rib']:.2f} ({o['rib']:.3f} s vs {fl['rib']:.3f} s)")
    if ok(o, "spine") and ok(ipc, "spine"):
        summary.info(f"{n} hosts: all on the spine, fpm-ipc / floor",
                     f"x{ipc['spine'] / fl['spine']:.2f}" if ok(fl, "spine") else "-")
    for name, r in (("fpm-kernel", kern), ("ip-batch", ipb)):
        if name not in by:
            continue  # not run (--paths)
        if ok(o, "spine") and ok(r, "spine"):
            summary.check(f"{n} hosts: all on the spine, {name} / ours", f"x{r['spine'] / o['spine']:.2f} "
                          f"({r['spine']:.3f} s vs {o['spine']:.3f} s)", "> x1 (ours faster)",
                          r["spine"] > o["spine"])
        else:
            summary.check(f"{n} hosts: all on the spine, {name} / ours", "not measured (see above)",
                          "> x1 (ours faster)", None)
    if o and "stale_spine" in o and o.get("counted_before") == n:
        summary.check(f"{n} hosts withdrawn at once (ours): stale routes on the spine",
                      f"{o['stale_spine']} (tor1's zebra: {o['stale_tor1']}; all gone from the spine in "
                      f"{fmt(o.get('w_spine'))} s)", "0", o["stale_spine"] == 0 and o["stale_tor1"] == 0)
    else:
        summary.check(f"{n} hosts withdrawn at once (ours): stale routes on the spine", "not measured", "0", None)
    for r in rows:
        if r["path"] != "ours" and "stale_spine" in r and (r["stale_spine"] or r["stale_tor1"]):
            summary.info(f"{n} hosts withdrawn at once ({r['path']}): stale tor1/spine",
                         f"{r['stale_tor1']}/{r['stale_spine']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int, default=[10000])
    ap.add_argument("--rate", type=float, default=50000, help="ARP frames per second from the hosts (0: unpaced)")
    ap.add_argument("--timeout", type=float, default=0, help="per phase (default: 60 s + 1 s per 1000 hosts)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of every path (the median is judged)")
    ap.add_argument("--paths", type=lambda v: v.split(","), default=list(PATHS),
                    help=f"comma-separated subset of {','.join(PATHS)} (default: all)")
    args = ap.parse_args()
    prefix = os.environ.get("HRLAB_PREFIX", "hrbench")
    print(f"machine: {os.cpu_count()} cores, load average {machine_load()} at the start")
    summary = Summary("lab_injection")
    lab = hrlab.Lab.from_file(TOPOLOGIES / "injection-ebgp.toml", prefix=prefix, log=lambda m: None)
    with lab:
        # Bulk hosts: gratuitous ARPs create no kernel neighbour entries (arp_accept 0), only
        # bridge FDB entries (unlimited), so gc_thresh needs no change; the learner's own caps
        # are raised in learner_config().
        lab.frr_config("tor1", ["ip import-table 10", "router bgp 65001", "address-family ipv4 unicast",
                                "redistribute table 10", "exit-address-family"])
        br10 = int(lab.run("tor1", ["cat", "/sys/class/net/br10/ifindex"]).stdout)
        probes = (Probe(lab, "tor1", [(AFI_IP, TABLE), (AFI_IP, TABLE, 10)]), Probe(lab, "spine", [(AFI_IP, BGP)]))
        tmp = tempfile.TemporaryDirectory(prefix=f"{prefix}-injection-")
        work = Path(tmp.name)
        results = []
        for n in args.sizes:
            timeout = args.timeout or 60 + n / 1000
            # Warm-up (not measured): the first N routes after bring-up pay for bgpd's start-up
            # and for zebra's and bgpd's tables growing; whichever path ran first would.
            warm = [str(ipaddress.ip_address(int(ipaddress.ip_address("10.160.0.0")) + i)) for i in range(n)]
            raw = RawZapi(lab, "tor1")
            measure("warm-up", lab, probes, warm,
                    lambda: raw.send(b"".join(route_msg(ROUTE_ADD, a, br10, **CLAIM) for a in warm)),
                    lambda: raw.send(b"".join(route_msg(ROUTE_DELETE, a) for a in warm)), timeout)
            raw.close()
            runs, loads = run_size(lab, n, args, probes, br10, work, timeout)
            results.append((n, runs, loads))
        for p in probes:
            p.close()
    for n, runs, loads in results:
        report(n, runs, loads, summary)
    summary.print()
    print(f"machine: load average {machine_load()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
