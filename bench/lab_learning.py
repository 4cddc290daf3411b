#!/usr/bin/env python3
"""Learn-to-route latency in the lab, beside FRR's floor measured in the same run.

Default topology (spine, tor1, tor2; eBGP + OSPF), tor1 redistributes `table` into BGP and
OSPF. Two series of N host routes, each timed from a wall-clock start to the route in
tor1's kernel FIB (zebra installed it) and in the spine's FIB (BGP/OSPF carried it):

  floor    fpm_client alone; a stand-in learner on its IPC (tests/integration/injection_ipc.py)
           sends one RouteIntents per host, N times: the injection path without learning
  learner  hostroute_learner + fpm_client; a host namespace on tor1's br10 sends one
           gratuitous ARP per host (scapy, a new MAC and address each): the whole path

Then (--moves N, default 10; 0 skips) VM moves in an OSPF fabric and in an eBGP fabric with
the ToR route-maps of docs/frr-config.md §3 (lab `move_host` tor1 <-> tor2, then one
gratuitous ARP from the host): the time from that ARP to the spine's FIB pointing at the new
ToR, and to the old ToR's FIB losing the route (its withdrawal), beside the floor of one
claim injected through fpm_client on the new ToR while the old one holds the route.

Hosts are sent one every --gap ms (default 25) so that each is its own sample. Also
printed: the learner's own part, from its counters (latency.learn_to_intent_*: frame
received -> intent written to fpm_client, last 1024 hosts). Events/s and memory per host of
the learner's core: bench_learner (bench/learner_bench.cpp).

  HR_BUILD_DIR=build HRLAB_PREFIX=hrbench /usr/bin/python3 bench/lab_learning.py [--hosts N]
"""
import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
import tomllib
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lab"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import hrlab  # noqa: E402

TS = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})\]\s+(Deleted\s+)?(\d+\.\d+\.\d+\.\d+)\s")


def realtime():
    return time.time()


def parse_monitor(path):
    """First time each prefix was added to the FIB: {address: epoch seconds}."""
    first = {}
    for line in Path(path).read_text().splitlines():
        m = TS.match(line)
        if not m or m.group(2):
            continue
        t = datetime.fromisoformat(m.group(1)).timestamp()
        first.setdefault(m.group(3), t)
    return first


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))
    return xs[k]


def topology():
    with open(hrlab.DEFAULT_TOPOLOGY, "rb") as f:
        topo = tomllib.load(f)
    topo["lab"]["name"] = "bench-learning"
    topo["routers"]["tor1"]["frr_extra"] = (
        "router bgp 65001\n address-family ipv4 unicast\n  redistribute table\n exit-address-family\n!\n"
        "router ospf\n redistribute table\n!\n")
    return topo


CONFIG = {
    "frr-hostroute:hostroute": {
        "interface": [{"name": "br10", "subnet": [{"prefix": "10.1.0.0/24"}], "learning": {"enabled": True}}],
        "learning": {
            "foreign-subnet": [{"prefix": "10.77.0.0/16"}],
            "aging": {"hold-time": 600},
        },
    }
}


def addr(series, i):
    base = 77 if series == "learner" else 78
    return f"10.{base}.{i // 250}.{i % 250 + 1}"


def report(name, sent, tor, spine):
    lt = [(tor[a] - t) * 1000 for a, t in sent.items() if a in tor]
    ls = [(spine[a] - t) * 1000 for a, t in sent.items() if a in spine]
    print(f"  {name:<8} {len(sent):>5} sent {len(lt):>5} in tor1 FIB: p50 {pct(lt, 50):7.2f} ms  p99 {pct(lt, 99):7.2f} ms"
          f"   {len(ls):>5} at spine: p50 {pct(ls, 50):7.2f} ms  p99 {pct(ls, 99):7.2f} ms")
    return lt, ls


TOR_LINK = {"tor1": "10.0.1.0", "tor2": "10.0.2.0"}
ASN = {"tor1": 65001, "tor2": 65002}
SPINE = {"tor1": ("10.0.1.1", "2001:db8:f1::1"), "tor2": ("10.0.2.1", "2001:db8:f2::1")}


def move_topology(fabric):
    with open(hrlab.DEFAULT_TOPOLOGY, "rb") as f:
        topo = tomllib.load(f)
    topo["lab"]["name"] = f"bench-move-{fabric}"
    for r in ("spine", "tor1", "tor2"):
        topo["routers"][r]["protocols"] = [fabric]
    for tor in ("tor1", "tor2"):
        if fabric == "ospf":
            extra = "router ospf\n redistribute table\n!\n"
        else:
            a = ASN[tor]
            v4, v6 = SPINE[tor]
            extra = (f"route-map HOSTROUTES-OUT permit 10\n match tag 2\n set as-path prepend {a} {a}\n set weight 0\n!\n"
                     "route-map HOSTROUTES-OUT permit 20\n!\nroute-map FABRIC-IN permit 10\n set weight 1\n!\n"
                     f"router bgp {a}\n address-family ipv4 unicast\n  redistribute table route-map HOSTROUTES-OUT\n"
                     f"  neighbor {v4} route-map FABRIC-IN in\n exit-address-family\n!\n")
        topo["routers"][tor]["frr_extra"] = extra
    return topo


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    return None


def spine_switch_time(path, address, tor, after):
    """When the spine's FIB route for `address` first pointed only at `tor` after `after`."""
    lines = Path(path).read_text().splitlines()
    i = 0
    while i < len(lines):
        m = TS.match(lines[i])
        block = [lines[i]]
        j = i + 1
        while j < len(lines) and not TS.match(lines[j]):  # multipath continuation lines
            block.append(lines[j])
            j += 1
        i = j
        if not m or m.group(2) or m.group(3) != address:
            continue
        t = datetime.fromisoformat(m.group(1)).timestamp()
        text = " ".join(block)
        other = [v for k, v in TOR_LINK.items() if k != tor][0]
        if t >= after and TOR_LINK[tor] in text and other not in text:
            return t
    return None


MONO_TO_REAL = time.time() - time.monotonic()  # the daemons' steady clock is CLOCK_MONOTONIC


def event_time(lab, tor, address, event, after):
    """Wall-clock time of the last `event` in the host's timeline on `tor`, if after `after`."""
    out = lab.hostroutectl(tor, "show", "hosts", address, "--json", check=False)
    if not out.strip():
        return None
    ts = [e["atUs"] / 1e6 + MONO_TO_REAL for e in json.loads(out).get("timeline", []) if e["event"] == event]
    return ts[-1] if ts and ts[-1] >= after else None


def move_bench(fabric, moves, prefix):
    from injection_ipc import LearnerClient  # noqa: E402
    with hrlab.Lab(move_topology(fabric), prefix=prefix) as lab:
        tmp = tempfile.TemporaryDirectory(prefix=f"{prefix}-move-")
        work = Path(tmp.name)
        mon = {r: work / f"{r}.routes" for r in ("tor1", "tor2", "spine")}
        for r, p in mon.items():
            lab.popen(r, ["ip", "-ts", "-4", "monitor", "route"], log=str(p))
        for tor in ("tor1", "tor2"):
            lab.run(tor, ["ip", "addr", "add", "10.1.0.1/24", "dev", "br10"])  # the shared gateway
            # Ten moves in a minute is flapping by the default rule (5 in 180 s): raise it,
            # or the host is frozen mid-benchmark.
            cfg = json.loads(json.dumps(CONFIG))
            cfg["frr-hostroute:hostroute"]["learning"]["mobility"] = {"max-moves": 1000}
            lab.start_daemon(tor, "fpm_client", config=cfg)
        time.sleep(0.5)
        # Floor: tor1 holds P (claim relaxed to hold), then tor2 claims P.
        cl = {t: LearnerClient(lab.daemon_socket(t, "fpm_client"), name=f"floor-{t}") for t in ("tor1", "tor2")}
        for c in cl.values():
            c.subscribe()
            c.sync(1, [])
        floor = []
        for k in range(moves):
            a = f"10.78.9.{k + 1}"
            cl["tor1"].add([a], claim=True)
            if not wait_for(lambda: spine_switch_time(mon["spine"], a, "tor1", 0), 10):
                continue
            time.sleep(2.5)  # the claim window (2 s) relaxes tor1's copy to hold
            t0 = realtime()
            cl["tor2"].add([a], claim=True)
            t = wait_for(lambda: spine_switch_time(mon["spine"], a, "tor2", t0), 10)
            if t:
                floor.append((t - t0) * 1000)
        for c in cl.values():
            c.close()
        for tor in ("tor1", "tor2"):
            lab.start_daemon(tor, "hostroute_learner")
        lab.add_host("hm", "tor1", ipv4="10.1.0.60", gateway4="10.1.0.1")
        a = "10.1.0.60"
        lab.run("hm", ["arping", "-c", "1", "-U", "-I", "eth0", a], check=False)
        wait_for(lambda: spine_switch_time(mon["spine"], a, "tor1", 0), 10)
        to_spine, to_withdraw = [], []
        where = "tor1"
        for k in range(moves):
            time.sleep(2.5)  # let the last claim relax to hold
            new = "tor2" if where == "tor1" else "tor1"
            before = realtime()
            lab.move_host("hm", new)
            lab.run("hm", ["arping", "-c", "1", "-U", "-I", "eth0", a], check=False)
            # t0: the moved host's first frame as the new ToR's learner received it.
            t0 = wait_for(lambda: event_time(lab, new, a, "learned", before), 10)
            ts = wait_for(lambda: spine_switch_time(mon["spine"], a, new, before), 10)
            tw = wait_for(lambda: event_time(lab, where, a, "withdrawn", before), 10)
            if t0 and ts:
                to_spine.append((ts - t0) * 1000)
            if t0 and tw:
                to_withdraw.append((tw - t0) * 1000)
            where = new
        print(f"\nVM move, {fabric} fabric, {moves} moves (tor1 <-> tor2)")
        print(f"  floor: one claim injected on the new ToR -> spine FIB on it: n={len(floor)} p50 {pct(floor, 50):7.1f} ms  max {max(floor or [0]):7.1f} ms")
        print(f"  ours: moved host's first frame at the new ToR -> spine FIB on the new ToR: n={len(to_spine)} p50 {pct(to_spine, 50):7.1f} ms  max {max(to_spine or [0]):7.1f} ms"
              f"  (p50 {pct(to_spine, 50) - pct(floor, 50):+.1f} ms vs the floor)")
        print(f"  ours: -> the old ToR's learner withdraws it (probe unanswered): n={len(to_withdraw)} p50 {pct(to_withdraw, 50):7.1f} ms  max {max(to_withdraw or [0]):7.1f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--gap", type=float, default=25.0, help="ms between hosts")
    ap.add_argument("--moves", type=int, default=10, help="VM moves per fabric (0: skip)")
    ap.add_argument("--skip-latency", action="store_true")
    args = ap.parse_args()
    prefix = os.environ.get("HRLAB_PREFIX", "hrbench")
    rc = 0 if args.skip_latency else latency(args, prefix)
    if args.moves > 0 and rc == 0:
        for fabric in ("ospf", "bgp"):
            move_bench(fabric, args.moves, prefix)
    return rc


def latency(args, prefix):
    n, gap = args.hosts, args.gap / 1000
    with hrlab.Lab(topology(), prefix=prefix) as lab:
        tmp = tempfile.TemporaryDirectory(prefix=f"{prefix}-bench-")
        work = Path(tmp.name)
        mon = {r: work / f"{r}.routes" for r in ("tor1", "spine")}
        for r, p in mon.items():
            lab.popen(r, ["ip", "-ts", "-4", "monitor", "route"], log=str(p))
        lab.start_daemon("tor1", "fpm_client", config=CONFIG)
        topics = lab.hostroutectl("tor1", "show", "status", "--json", json=True)["fpm_client"].get("topics", [])
        if "routes" not in topics:
            print("fpm_client has no host-route service in this build: nothing to measure")
            return 1
        time.sleep(0.5)  # let the monitors attach before the first route

        # --- floor: injection through fpm_client without learning ---------------------------
        from injection_ipc import LearnerClient  # noqa: E402 (protoc-generated at import)
        c = LearnerClient(lab.daemon_socket("tor1", "fpm_client"), name="bench-floor")
        c.subscribe()
        c.sync(1, [])
        floor = {}
        for i in range(n):
            a = addr("floor", i)
            floor[a] = realtime()
            c.add([a], ifname="br10", claim=True)
            time.sleep(gap)
        time.sleep(1.0)
        c.close()

        # --- the learner: one gratuitous ARP per host from a namespace on br10 ------------------
        lab.start_daemon("tor1", "hostroute_learner")
        lab.add_host("hb", "tor1", ipv4="10.1.0.99")
        script = work / "send.py"
        script.write_text(
            "import json, sys, time\nfrom scapy.all import conf, sendp, Ether, ARP\nconf.verb = 0\n"
            f"n, gap = {n}, {gap}\nout = {{}}\n"
            "s = conf.L2socket(iface='eth0')\n"
            "for i in range(n):\n"
            "    a = f'10.77.{i // 250}.{i % 250 + 1}'\n"
            "    mac = '02:77:%02x:%02x:%02x:%02x' % (i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)\n"
            "    f = Ether(src=mac, dst='ff:ff:ff:ff:ff:ff')/ARP(op=1, hwsrc=mac, psrc=a, pdst=a)\n"
            "    out[a] = time.time()\n"
            "    s.send(f)\n"
            "    time.sleep(gap)\n"
            f"json.dump(out, open('{work}/sent.json', 'w'))\n")
        lab.run("hb", ["/usr/bin/python3", str(script)], timeout=60 + n * gap * 3)
        learned = json.loads((work / "sent.json").read_text())
        time.sleep(1.0)
        counters = lab.hostroutectl("tor1", "show", "counters", "--json", json=True)["hostroute_learner"]

        tor, spine = parse_monitor(mon["tor1"]), parse_monitor(mon["spine"])
        print(f"\nlearn-to-route latency, {n} hosts one every {args.gap:g} ms (tor1 -> spine: eBGP + OSPF)")
        fl_t, fl_s = report("floor", floor, tor, spine)
        le_t, le_s = report("learner", learned, tor, spine)
        print(f"  difference (learner - floor): tor1 p50 {pct(le_t, 50) - pct(fl_t, 50):+.2f} ms p99 {pct(le_t, 99) - pct(fl_t, 99):+.2f} ms;"
              f" spine p50 {pct(le_s, 50) - pct(fl_s, 50):+.2f} ms p99 {pct(le_s, 99) - pct(fl_s, 99):+.2f} ms")
        k = "hostroute_learner.latency.learn_to_intent_"
        print(f"  the learner's own part (frame received -> intent written to fpm_client, last 1024): "
              f"p50 {counters.get(k + 'p50_us', 0)} us  p99 {counters.get(k + 'p99_us', 0)} us  max {counters.get(k + 'max_us', 0)} us"
              f"  ({counters.get('hostroute_learner.latency.samples', 0)} samples)")
        print(f"  hosts learned {counters.get('hostroute_learner.hosts.learned', 0)}, intents sent "
              f"{counters.get('hostroute_learner.ipc.routes_added', 0)} in {counters.get('hostroute_learner.ipc.intent_messages', 0)} messages")
        if statistics.mean([len(le_t) / max(1, n), len(fl_t) / max(1, n)]) < 0.99:
            print("  WARNING: some routes were not seen in the FIB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
