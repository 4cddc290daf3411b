#!/usr/bin/env python3
"""Lab benchmark: 100k routes from zebra through FPM and fpm_client into the asic namespace,
side by side, in the same run, with

  (a) `ip -batch` installing the same 100k routes directly into a namespace (the kernel's
      own limit through iproute2), once with `via GW dev swp1` and once with a next-hop
      object (`nhid`, the form fpm_client programs);
  (b) zebra installing them itself into the ToR's own kernel FIB (the other side of the
      same BGP update), measured by a netlink monitor in the ToR's namespace.

The routes are N /32s (100.64.0.0/10) that spine s1 originates with `network` statements
(FPM.md §1, bulk variant); its session to the ToR starts shut down and T0 is
`no neighbor 10.0.1.0 shutdown`. Netlink monitors in the ToR and in the asic namespace
timestamp the first and the last RTM_NEWROUTE (then RTM_DELROUTE) of those routes.

Printed: routes/s for each; the target (end to end within 2x of `ip -batch`, i.e. ratio
>= 0.5) and whether it is met; when it is not, what bounds the path in that run: zebra's own
install rate (zebra hands a route to FPM only after its own kernel install) or fpm_client
(behind zebra); fpm_client alone (zebra's FPM replay into an empty asic) against the same
target; the lag of the asic behind the ToR's kernel; fpm_client's CPU time and its share of
the path's wall time; how the netlink writes were batched (messages per sendmsg, from the
backend's counters); its memory per mirrored route (RSS delta / routes). Exit status 0 when
every route arrived and left; the ratios are reported, not asserted (timings are not tests).

With --profile, fpm_client is sampled with `perf record -g` during the BGP add and the
replay, and the top of `perf report` is printed (where its CPU time goes).

  HRLAB_PREFIX=hrfp HR_BUILD_DIR=build /usr/bin/python3 bench/lab_fpm.py [--routes N] [--runs R] [--profile]
"""
import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lab"))

RTMGRP_IPV4_ROUTE = 0x40
SO_RCVBUFFORCE = 33


def bulk_prefix(i: int) -> str:
    return f"100.{64 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}"


# --- netlink monitor (runs inside a namespace: `lab_fpm.py --monitor ...`) ---------------

def monitor(n: int, kind: str, metric: int, out: str, timeout: float) -> None:
    """Counts RTM_NEWROUTE (kind=add) or RTM_DELROUTE (kind=del) of /32s in 100.64.0.0/10
    with `metric`; writes {first, last, count, overruns} when n were seen or on timeout.
    Parses only the fixed headers and two attributes: the observer must stay cheap on 2
    shared cores (FPM.md §5)."""
    want = 24 if kind == "add" else 25
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 256 << 20)
    s.bind((0, RTMGRP_IPV4_ROUTE))
    s.settimeout(0.5)
    seen, first, last, overruns, times = set(), None, None, 0, []
    # One receive buffer for the whole run: a fresh multi-MiB bytes object per recv (one
    # notification each) made this observer fall tens of seconds behind a burst of deletions.
    buf = bytearray(1 << 20)
    Path(out + ".ready").write_text("1")
    deadline = time.time() + timeout
    while len(seen) < n and time.time() < deadline:
        try:
            size = s.recv_into(buf)
        except socket.timeout:
            continue
        except OSError:  # ENOBUFS: events lost
            overruns += 1
            continue
        now = time.time()
        data = memoryview(buf)[:size]
        off = 0
        while off + 16 <= len(data):
            ln, typ = struct.unpack_from("=IH", data, off)
            if ln < 16:
                break
            if typ == want and data[off + 17] == 32:  # rtm_dst_len
                dst, prio, a = None, None, off + 28
                while a + 4 <= off + ln:
                    alen, atype = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atype == 1:
                        dst = bytes(data[a + 4:a + 8])
                    elif atype == 6:
                        prio = struct.unpack_from("=I", data, a + 4)[0]
                    a += (alen + 3) & ~3
                if dst and dst[0] == 100 and 64 <= dst[1] < 128 and prio == metric:
                    if dst not in seen:
                        times.append(now)
                        last_dst = ".".join(str(b) for b in dst)
                    seen.add(dst)
                    if first is None:
                        first = now
                    last = now
            off += (ln + 3) & ~3
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1] if times else None
    Path(out).write_text(json.dumps({"first": first, "last": last, "count": len(seen), "overruns": overruns,
                                     "p99": p99, "last_dst": last_dst if times else None}))


# --- the benchmark ---------------------------------------------------------------------------

def topology(n: int) -> dict:
    topo = tomllib.loads((ROOT / "lab/topologies/fpm.toml").read_text())
    topo["lab"]["name"] = "fpm-bench"
    nets = "\n".join(f"  network {bulk_prefix(i)}/32" for i in range(n))
    topo["routers"]["s1"]["frr_extra"] = f"""
router bgp 65101
 no bgp network import-check
 neighbor 10.0.1.0 shutdown
 address-family ipv4 unicast
  network 192.0.2.0/24
{nets}
 exit-address-family
"""
    # The ToR keeps the bulk away from s2, so s2's zebra does not compete for the 2 cores.
    topo["routers"]["tor"]["frr_extra"] += """
ip prefix-list BULK seq 5 permit 100.64.0.0/10 le 32
route-map TO-S2 deny 10
 match ip address prefix-list BULK
route-map TO-S2 permit 20
router bgp 65000
 address-family ipv4 unicast
  neighbor 10.0.2.1 route-map TO-S2 out
"""
    # A namespace for the ip -batch baseline, with its own copy of swp1.
    topo["namespaces"]["ipb"] = {}
    topo["links"].append({"a": {"node": "ipb", "ifname": "swp1", "addresses": ["10.0.1.0/31"]},
                          "b": {"node": "phy", "ifname": "p3"}})
    return topo


def start_monitor(lab, node, n, kind, workdir: Path, timeout=180.0):
    out = workdir / f"mon-{node}-{kind}.json"
    for p in (out, Path(str(out) + ".ready")):
        p.unlink(missing_ok=True)
    proc = subprocess.Popen(["ip", "netns", "exec", lab.ns(node), sys.executable, __file__, "--monitor",
                             str(n), kind, "20", str(out), str(timeout)])
    lab.wait_until(lambda: Path(str(out) + ".ready").exists(), timeout=10, desc=f"monitor in {node}")
    return proc, out


def finish_monitor(proc, out: Path, timeout=200.0) -> dict:
    proc.wait(timeout=timeout)
    return json.loads(out.read_text())


def ip_batch(lab, n: int, nhid: bool) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".batch", delete=False) as f:
        for i in range(n):
            via = "nhid 9001" if nhid else "via 10.0.1.1 dev swp1"
            f.write(f"route add {bulk_prefix(i)}/32 {via} proto bgp metric 20\n")
        path = f.name
    if nhid:
        lab.run("ipb", "ip nexthop add id 9001 via 10.0.1.1 dev swp1")
    t0 = time.monotonic()
    lab.run("ipb", ["ip", "-batch", path], timeout=300)
    dt = time.monotonic() - t0
    count = int(lab.run("ipb", "ip route show proto bgp | wc -l").stdout)
    if count != n:
        raise SystemExit(f"ip -batch installed {count} of {n} routes")
    if nhid:
        lab.run("ipb", "ip nexthop del id 9001")  # takes its routes along
    else:
        lab.run("ipb", "ip route flush proto bgp")
    os.unlink(path)
    return dt


def proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds, RSS bytes) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


def backend_counters(lab) -> dict:
    return lab.hostroutectl("tor", "show", "dataplane", "--json", json=True)["backend"]["counters"]


class Profiler:
    """`perf record -g` on fpm_client while a phase runs (--profile); report() prints the top."""

    def __init__(self, enabled: bool, workdir: Path, name: str):
        self.enabled, self.out, self.proc = enabled, workdir / f"perf-{name}.data", None
        self.name = name

    def start(self, pid: int):
        if self.enabled:
            self.proc = subprocess.Popen(["perf", "record", "-q", "-F", "499", "-g", "-p", str(pid),
                                          "-o", str(self.out)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while not self.out.exists() and time.monotonic() < deadline and self.proc.poll() is None:
                time.sleep(0.05)  # polling for perf's output file: it has attached

    def stop(self):
        if self.proc:
            self.proc.send_signal(2)
            self.proc.wait(timeout=30)

    def report(self) -> str:
        if not self.enabled or not self.out.exists():
            return ""
        def top(sort: str, limit: str, n: int) -> list[str]:
            r = subprocess.run(["perf", "report", "-i", str(self.out), "--stdio", "--no-children",
                                "--sort", sort, "--percent-limit", limit, "-g", "none"],
                               capture_output=True, text=True)
            lines = [l.strip() for l in r.stdout.splitlines() if l.strip() and not l.startswith("#")]
            # C++ symbols are long: keep the container and the function, not the template arguments
            return [l if len(l) < 110 else l[:60] + " ... " + l[-40:] for l in lines[:n]]

        return (f"  perf, fpm_client during {self.name}: samples by object (kernel = the netlink work"
                " charged to fpm_client)\n" + "\n".join("    " + l for l in top("dso", "1", 6))
                + "\n    top symbols (self time, >= 2%):\n"
                + "\n".join("      " + l for l in top("dso,sym", "2", 12)))


def one_run(lab, n: int, run: int, rss_base: int, profile: bool = False) -> dict:
    r = {"rss_base": rss_base}
    workdir = lab.workdir
    # (a) ip -batch baselines, while nothing else runs.
    r["ipbatch_via_s"] = ip_batch(lab, n, nhid=False)
    r["ipbatch_nhid_s"] = ip_batch(lab, n, nhid=True)

    pid = lab.daemon_pid("tor", "fpm_client")
    cpu0, rss0 = proc_stats(pid)
    c0 = backend_counters(lab)
    prof_add = Profiler(profile, workdir, f"run {run + 1} BGP add")
    tor_mon = start_monitor(lab, "tor", n, "add", workdir)
    asic_mon = start_monitor(lab, "asic", n, "add", workdir)
    prof_add.start(pid)
    t0 = time.time()
    lab.vtysh("s1", "configure terminal", "router bgp 65101", "no neighbor 10.0.1.0 shutdown")
    tor, asic = finish_monitor(*tor_mon), finish_monitor(*asic_mon)
    cpu1, rss1 = proc_stats(pid)
    prof_add.stop()
    c1 = backend_counters(lab)
    d = lab.hostroutectl("tor", "show", "dataplane", "--json", json=True)
    r.update(t0=t0, tor_add=tor, asic_add=asic, cpu_add=cpu1 - cpu0, rss_before=rss0, rss_after=rss1,
             mirror_routes=d["mirror"]["routes"], pauses=d["fpm"]["pauses"],
             batch_add=(c1["messages"] - c0["messages"], c1["batches"] - c0["batches"]),
             perf_add=prof_add.report())

    # Replay into an empty asic: fpm_client restarts after its routes were flushed from the
    # asic; zebra replays its 100k routes over FPM (0.15-0.22 s, FPM.md §3) and fpm_client
    # programs them all. This is fpm_client's own rate, not bounded by BGP or zebra's install.
    lab.stop_daemon("tor", "fpm_client")
    lab.run("asic", "ip nexthop flush proto 254")  # our next-hop objects, and the routes using them
    asic_mon = start_monitor(lab, "asic", n, "add", workdir)
    lab.start_daemon("tor", "fpm_client")
    pid = lab.daemon_pid("tor", "fpm_client")
    prof_replay = Profiler(profile, workdir, f"run {run + 1} replay")
    prof_replay.start(pid)  # zebra connects 3 s after the listener: perf is attached by then
    r["replay"] = finish_monitor(*asic_mon)
    prof_replay.stop()
    lab.wait_until(lambda: lab.hostroutectl("tor", "show", "dataplane", "--json", json=True)["fpm"]["session"]
                   == "synced", timeout=30, desc="fpm_client synced after the replay")
    cpu1, r["rss_replayed"] = proc_stats(pid)
    r["cpu_replay"] = cpu1
    c2 = backend_counters(lab)  # a new process: its counters started at 0
    r["batch_replay"] = (c2["messages"], c2["batches"])
    r["perf_replay"] = prof_replay.report()

    # Withdrawal: the session goes down again.
    tor_mon = start_monitor(lab, "tor", n, "del", workdir)
    asic_mon = start_monitor(lab, "asic", n, "del", workdir)
    t1 = time.time()
    lab.vtysh("s1", "configure terminal", "router bgp 65101", "neighbor 10.0.1.0 shutdown")
    tor, asic = finish_monitor(*tor_mon), finish_monitor(*asic_mon)
    cpu2, _ = proc_stats(pid)
    r.update(t1=t1, tor_del=tor, asic_del=asic, cpu_del=cpu2 - cpu1)
    d = lab.hostroutectl("tor", "show", "dataplane", "--json", json=True)
    r["del_failed"], r["del_retrying"] = d["counters"]["opsFailed"], d["backlog"]["retrying"]
    left = int(lab.run("asic", "ip route show proto bgp | grep -c '^100\\.' || true").stdout or 0)
    r["left_in_asic"] = left
    return r


def report(n: int, r: dict) -> bool:
    ok = True
    rate = lambda secs: n / secs if secs and secs > 0 else float("nan")  # noqa: E731
    ta, aa = r["tor_add"], r["asic_add"]
    td, ad = r["tor_del"], r["asic_del"]
    rp = r["replay"]
    for name, m in (("ToR kernel add", ta), ("asic add", aa), ("replay into the asic", rp),
                    ("ToR kernel delete", td), ("asic delete", ad)):
        if m["count"] != n:
            print(f"  !! {name}: saw {m['count']} of {n} routes (overruns {m['overruns']})")
            ok = False
    if not ok:
        return False
    zebra_s = ta["last"] - ta["first"]
    e2e_s = aa["last"] - ta["first"]
    asic_s = aa["last"] - aa["first"]
    t0_s = aa["last"] - r["t0"]
    via_s, nhid_s = r["ipbatch_via_s"], r["ipbatch_nhid_s"]
    print(f"  {'what':<58} {'seconds':>8} {'routes/s':>10}")
    rows = [
        ("ip -batch into a namespace, via+dev", via_s),
        ("ip -batch into a namespace, nhid (fpm_client's form)", nhid_s),
        ("zebra into its own kernel (ToR first -> last)", zebra_s),
        ("zebra -> FPM -> fpm_client -> asic (ToR first -> asic last)", e2e_s),
        ("  of which asic first -> last", asic_s),
        ("  from T0 (incl. BGP session set-up)", t0_s),
        ("zebra's FPM replay -> fpm_client -> empty asic (first -> last)", rp["last"] - rp["first"]),
        ("withdrawal: zebra's kernel (first -> last)", td["last"] - td["first"]),
        ("withdrawal: end to end (ToR first -> asic last)", ad["last"] - td["first"]),
    ]
    for name, secs in rows:
        print(f"  {name:<58} {secs:>8.3f} {rate(secs):>10.0f}")
    lag_ms = (aa["last"] - ta["last"]) * 1000
    replay_s = rp["last"] - rp["first"]
    print(f"  last route in the asic minus last in the ToR's kernel: {lag_ms:.0f} ms"
          " (the two monitors' clocks; tens of ms of noise on a loaded machine)")

    def ratios(secs):
        return rate(secs) / rate(via_s), rate(secs) / rate(nhid_s)

    e2e_via, e2e_nhid = ratios(e2e_s)
    zeb_via, zeb_nhid = ratios(zebra_s)
    rp_via, rp_nhid = ratios(replay_s)
    ours_vs_zebra = rate(e2e_s) / rate(zebra_s)
    met = lambda a, b: "met" if min(a, b) >= 0.5 else "NOT met"  # noqa: E731
    print("  target: 100k routes end to end within 2x of ip -batch (ratio >= 0.50 against both forms)")
    print(f"    BGP path end to end / ip -batch: {e2e_via:.2f} (via+dev), {e2e_nhid:.2f} (nhid): "
          f"{met(e2e_via, e2e_nhid)}")
    print(f"    zebra's own kernel install / ip -batch, same run: {zeb_via:.2f} (via+dev), {zeb_nhid:.2f} (nhid)")
    print(f"    ours / zebra's own install: {ours_vs_zebra:.2f} (zebra hands a route to FPM only after"
          " its own kernel install)")
    if min(e2e_via, e2e_nhid) < 0.5:
        if ours_vs_zebra >= 0.9:
            print("    => the bound is zebra itself: fpm_client keeps pace with zebra's own install,"
                  " which runs below the target in this run")
        else:
            print("    => fpm_client is behind zebra in this run: ours is the limit")
    print(f"    fpm_client alone (zebra's FPM replay into an empty asic) / ip -batch: {rp_via:.2f} (via+dev),"
          f" {rp_nhid:.2f} (nhid): {met(rp_via, rp_nhid)}")
    path_wall = aa["last"] - r["t0"]
    print(f"  fpm_client CPU for {n} routes: {r['cpu_add']:.2f} s (BGP add: {100 * r['cpu_add'] / path_wall:.0f}%"
          f" of the path's {path_wall:.2f} s from T0), {r['cpu_replay']:.2f} s (replay, start-up included),"
          f" {r['cpu_del']:.2f} s (withdrawal); read pauses {r['pauses']}")
    for what, m, start in (("ToR's kernel", td, td["first"]), ("asic", ad, td["first"])):
        if m.get("p99") and m["last"] - m["p99"] > 1.0:
            print(f"  !! withdrawal straggler in the {what}: 99% of the routes gone {m['p99'] - start:.1f} s"
                  f" after the ToR's first, the last ({m['last_dst']}) {m['last'] - start:.1f} s after;"
                  f" fpm_client ops failed {r['del_failed']}, retrying {r['del_retrying']}")
    for what, (msgs, batches) in (("BGP add", r["batch_add"]), ("replay", r["batch_replay"])):
        print(f"  netlink batching, {what}: {msgs} messages in {batches} sendmsg calls"
              f" = {msgs / max(batches, 1):.0f} per sendmsg")
    mem = (r["rss_replayed"] - r["rss_base"]) / n
    print(f"  fpm_client memory: RSS {r['rss_base'] / 2**20:.1f} MiB idle -> {r['rss_replayed'] / 2**20:.1f} MiB"
          f" after the replay = {mem:.0f} bytes per mirrored route ({r['mirror_routes']} routes)")
    for rep in (r.get("perf_add"), r.get("perf_replay")):
        if rep:
            print(rep)
    if r["left_in_asic"]:
        print(f"  !! {r['left_in_asic']} bulk routes left in the asic after the withdrawal")
        ok = False
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--routes", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="perf record fpm_client (needs perf)")
    ap.add_argument("--monitor", nargs=5, metavar=("N", "KIND", "METRIC", "OUT", "TIMEOUT"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.monitor:
        monitor(int(a.monitor[0]), a.monitor[1], int(a.monitor[2]), a.monitor[3], float(a.monitor[4]))
        return 0
    from hrlab import Lab

    n = a.routes
    prefix = os.environ.get("HRLAB_PREFIX", "hrfp")
    print(f"lab_fpm: {n} routes, prefix {prefix}, {os.cpu_count()} cores")
    ok = True
    lab = Lab(topology(n), prefix=prefix, log=lambda m: None)
    try:
        lab.up(wait=False)  # s1's IPv4 session starts shut down: wait for what we need
        lab.wait_until(lambda: lab.bgp_sessions("tor").get("10.0.2.1") == "Established", timeout=60,
                       desc="tor-s2 session")
        lab.wait_route("tor", "192.0.2.0/24", protocol="bgp", timeout=30)
        lab.start_daemon("tor", "fpm_client", config={"frr-hostroute:hostroute": {
            "frr-hostroute-dataplane:dataplane": {"enabled": True, "backend": {"netns": lab.ns("asic")}}}})
        lab.wait_until(lambda: lab.hostroutectl("tor", "show", "dataplane", "--json", json=True)["fpm"]["session"]
                       == "synced", timeout=30, desc="fpm_client synced")
        rss_base = proc_stats(lab.daemon_pid("tor", "fpm_client"))[1]
        for run in range(a.runs):
            print(f"run {run + 1}:")
            ok = report(n, one_run(lab, n, run, rss_base, a.profile)) and ok
    finally:
        lab.down()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
