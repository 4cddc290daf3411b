#!/usr/bin/python3
"""frr-hostroute demo: bring up the lab fabric with real FRR and the suite's daemons.

    /usr/bin/python3 lab/demo.py [--hold] [--prefix P] [--topology F] [--build-dir D]

Builds the default topology (spine, tor1, tor2, three hosts) in network
namespaces named <prefix>-<node> (prefix: --prefix, env HRLAB_PREFIX, else
'hr'), starts FRR on each router, tells what happens step by step with timings,
starts the suite's daemons that exist under <build>/bin on each ToR, then exits
after the summary (or, with --hold, waits for Ctrl-C). Everything is torn down
on exit, on Ctrl-C, on SIGTERM and on any error, and the demo checks that
nothing is left.

Each step is a method of `Demo` listed in `Demo.STEPS`; later scenarios add
steps there.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(LAB_DIR))

from hrlab import (SUITE_DAEMONS, Lab, LabError, TopologyError, default_build_dir,  # noqa: E402
                   default_prefix, is_empty)
from hrlab.frrconf import frr_daemons  # noqa: E402


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived (a BaseException, like KeyboardInterrupt, so that
    no `except Exception` on the way swallows it)."""


class StepFailed(Exception):
    """A step failed in a way it has already explained."""


class Demo:
    STEPS = [
        "step_build",
        "step_bgp",
        "step_ospf",
        "step_routes_across_fabric",
        "step_spine_table",
        "step_suite_daemons",
    ]

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.t0 = time.monotonic()
        self.lab = Lab.from_file(args.topology, prefix=args.prefix, build_dir=args.build_dir,
                                 log=lambda m: None)
        self.problems: list[str] = []
        self.quiet = False

    # ----- output ----------------------------------------------------------
    def say(self, msg: str = "", indent: int = 1) -> None:
        stamp = f"[{time.monotonic() - self.t0:6.2f}s]"
        self._print(f"{stamp} {'  ' * indent}{msg}")

    def title(self, msg: str) -> None:
        self._print("")
        self.say(f"== {msg}", indent=0)

    def _print(self, line: str) -> None:
        """Print, but never fail: a closed stdout (`demo.py | head`) must not
        stop the teardown."""
        if self.quiet:
            return
        try:
            print(line, flush=True)
        except (BrokenPipeError, OSError):
            self.quiet = True

    # ----- steps -----------------------------------------------------------
    def step_build(self) -> None:
        """Namespaces, bridges, links, hosts; FRR on every router."""
        lab, topo = self.lab, self.lab.topo
        self.title(f"Building the '{topo.name}' lab (prefix '{lab.prefix}')")
        lab.up(wait=False)
        t = lab.timings
        left = lab.leftovers_removed
        if any(left.values()):
            self.say(f"removed leftovers of an earlier run with the same prefix: "
                     f"{len(left['namespaces'])} namespaces, {len(left['pids'])} processes, "
                     f"{len(left['dirs'])} dirs ({t['cleanup']:.2f}s)")
        self.say(f"created {len(lab.nodes())} network namespaces "
                 f"({len(topo.routers)} routers, {len(topo.namespaces)} plain, "
                 f"{len(lab.hosts)} hosts): {', '.join(lab.ns(n) for n in lab.nodes())} "
                 f"({t['namespaces']:.2f}s)")
        for link in topo.links:
            a, b = link.a, link.b
            self.say(f"link {a.node}:{a.ifname} <-> {b.node}:{b.ifname}  "
                     f"{' '.join(a.addresses)}  <->  {' '.join(b.addresses)}")
        for h in lab.hosts.values():
            self.say(f"host {h.name} ({h.ipv4}, {h.ipv6}, MAC {h.effective_mac}) on "
                     f"{h.tor}:{h.bridge}, default gateway {lab.host_gateways[h.name][0]}")
        self.say(f"links and hosts ready ({t['links']:.2f}s)")
        for r in lab.routers:
            self.say(f"FRR on {r} (AS {topo.routers[r].asn}, router-id "
                     f"{topo.routers[r].router_id}): {', '.join(frr_daemons(topo.routers[r]))}"
                     f"  [vtysh -N {lab.ns(r)}]")
        self.say(f"FRR daemons started ({t['frr_start']:.2f}s); logs in {lab.workdir}/<router>/")

    def step_bgp(self) -> None:
        self.title("Waiting for every eBGP session (IPv4 and IPv6) to be Established")
        topo = self.lab.topo
        peers = {(r, ip): (afi, p) for r in self.lab.routers for ip, afi, p in topo.bgp_peers(r)}

        def progress(router, peer, _desc, secs):
            afi, p = peers[(router, peer)]
            self.say(f"{router:>6} -> {p.peer:<6} {afi} session to {peer} "
                     f"(AS {topo.routers[p.peer].asn}) Established after {secs:.2f}s")

        t = time.monotonic()
        self.lab.wait_bgp_established(timeout=self.args.timeout, on_progress=progress)
        self.say(f"all {len(peers)} BGP sessions up in {time.monotonic() - t:.2f}s")

    def step_ospf(self) -> None:
        self.title("Waiting for every OSPFv2 and OSPFv3 adjacency to be Full")
        n = 0

        def progress(router, version, desc, secs):
            nonlocal n
            n += 1
            self.say(f"{router:>6} {version} adjacency with {desc} Full after {secs:.2f}s")

        t = time.monotonic()
        self.lab.wait_ospf_full(timeout=self.args.timeout, on_progress=progress)
        self.say(f"all {n} adjacencies Full in {time.monotonic() - t:.2f}s")

    def step_routes_across_fabric(self) -> None:
        lab = self.lab
        src, dst = "tor1", "tor2"
        if not {src, dst, "spine"} <= set(lab.routers):
            return
        self.title(f"{src}'s routes as seen on {dst} (through the spine)")
        for prefix in lab.topo.routers[src].loopbacks:
            t = time.monotonic()
            lab.wait_route(dst, prefix, protocol="bgp", via_router="spine",
                           timeout=self.args.timeout)
            best = lab.bgp_best_path(dst, prefix) or {}
            hops = [n.get("ip") for e in lab.route(dst, prefix) if e.get("selected")
                    for n in e.get("nexthops", [])]
            self.say(f"{dst} reaches {src}'s loopback {prefix} by BGP via the spine "
                     f"({', '.join(hops)}), AS path {best.get('aspath', {}).get('string')!r} "
                     f"(waited {time.monotonic() - t:.2f}s)")
        for br in lab.topo.routers[src].bridges:
            for a in br.addresses:
                net = str(ipaddress.ip_interface(a).network)
                entries = lab.route(dst, net)
                sel = [e["protocol"] for e in entries if e.get("selected")]
                protos = sorted({e["protocol"] for e in entries})
                self.say(f"{src}'s subnet {net} on {dst}: RIB has {protos}, uses {sel}")
        self.say("both ToRs own 10.1.0.0/24: without host routes the fabric cannot tell "
                 "which ToR a host is behind; that is what the suite adds")

    def step_spine_table(self) -> None:
        lab = self.lab
        if "spine" not in lab.routers:
            return
        self.title("The spine's routing table")
        for afi in ("ipv4", "ipv6"):
            routes = lab.routes("spine", afi)
            by_proto: dict[str, int] = {}
            for entries in routes.values():
                for e in entries:
                    if e.get("selected"):
                        by_proto[e["protocol"]] = by_proto.get(e["protocol"], 0) + 1
            self.say(f"{afi}: {len(routes)} prefixes; selected by protocol: "
                     + ", ".join(f"{p} {n}" for p, n in sorted(by_proto.items())))
            for prefix, entries in sorted(routes.items()):
                for e in entries:
                    if not e.get("selected") or e["protocol"] == "connected":
                        continue
                    hops = [n.get("ip") or n.get("interfaceName") for n in e.get("nexthops", [])
                            if n.get("active")]
                    ecmp = "  (ECMP)" if len(hops) > 1 else ""
                    self.say(f"  {prefix:<22} {e['protocol']:<5} via {', '.join(hops)}{ecmp}",
                             indent=1)

    def step_suite_daemons(self) -> None:
        lab = self.lab
        self.title(f"Starting the suite's daemons (binaries from {lab.build_dir}/bin)")
        present = [d for d in SUITE_DAEMONS if lab.has_binary(d)]
        missing = [d for d in SUITE_DAEMONS if d not in present]
        if missing:
            self.say(f"not built (yet), skipped: {', '.join(missing)}")
        if not present:
            self.say("no suite daemon binaries exist; nothing to start")
            return
        tors = [r for r in lab.routers if lab.topo.routers[r].role == "tor"]
        for router in tors:
            config = self.load_config(router)
            if config is False:
                continue
            for daemon in present:
                t = time.monotonic()
                try:
                    p = lab.start_daemon(router, daemon, config=config)
                except LabError as e:
                    self.problems.append(f"{daemon} on {router} did not start")
                    self.say(f"FAILED: {daemon} on {router}: {e}")
                    continue
                self.say(f"{daemon} started on {router}: pid {p.pid}, control socket "
                         f"{lab.daemon_socket(router, daemon)} accepting after "
                         f"{time.monotonic() - t:.2f}s; log {lab.daemon_log(router, daemon)}")

    def load_config(self, router: str):
        """lab/configs/<router>.json validated by hostroutectl (if built):
        the dict, None if there is no file, False if it is invalid."""
        path = LAB_DIR / "configs" / f"{router}.json"
        if not path.exists():
            self.say(f"{router}: no {path.relative_to(LAB_DIR.parent)}; daemons start "
                     "without a config file")
            return None
        if self.lab.has_binary("hostroutectl"):
            ctl = self.lab.binary("hostroutectl")
            cp = subprocess.run([str(ctl), "validate", str(path)], capture_output=True,
                                text=True, timeout=30)
            if cp.returncode != 0:
                self.problems.append(f"{path} is invalid")
                self.say(f"{router}: hostroutectl validate {path} FAILED (exit {cp.returncode}):"
                         f" {(cp.stdout + cp.stderr).strip()}; its daemons are not started")
                return False
            self.say(f"{router}: {path.name} validated by hostroutectl")
        else:
            self.say(f"{router}: hostroutectl not built; {path.name} used unvalidated")
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as e:
            self.problems.append(f"{path} is not JSON")
            self.say(f"{router}: {path} is not JSON ({e}); its daemons are not started")
            return False

    # ----- run -------------------------------------------------------------
    def run(self) -> int:
        durations = {}
        for name in self.STEPS:
            t = time.monotonic()
            getattr(self, name)()
            durations[name.removeprefix("step_")] = time.monotonic() - t
        self.title("Summary")
        self.say(f"all steps done {time.monotonic() - self.t0:.2f}s after start: "
                 + ", ".join(f"{k} {v:.2f}s" for k, v in durations.items()))
        running = [(r, d) for r in self.lab.routers for d in SUITE_DAEMONS
                   if self.lab.daemon_pid(r, d)]
        self.say("suite daemons running: "
                 + (", ".join(f"{d}@{r}" for r, d in running) if running else "none"))
        if self.problems:
            self.say("problems: " + "; ".join(self.problems))
        if self.args.hold:
            self.say(f"holding the lab; try: vtysh -N {self.lab.ns('spine')} -c 'show ip route'"
                     f"  or: ip netns exec {self.lab.ns('h11')} ping 10.200.0.10")
            self.say("press Ctrl-C to tear down")
            while True:
                signal.pause()
        return 1 if self.problems else 0

    def teardown(self) -> bool:
        self.title("Tearing down")
        t = time.monotonic()
        self.lab.down(keep_logs=self.args.keep_logs)
        left = self.lab.resources()
        if is_empty(left):
            self.say(f"nothing left: no namespace, process, pid file, directory or link "
                     f"with prefix '{self.lab.prefix}' ({time.monotonic() - t:.2f}s)")
            return True
        self.say(f"LEFT BEHIND: {left}")
        return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hold", action="store_true", help="keep the lab up until Ctrl-C")
    ap.add_argument("--prefix", default=None, help="name prefix (default: env HRLAB_PREFIX or hr)")
    ap.add_argument("--topology", default=str(LAB_DIR / "topologies" / "default.toml"))
    ap.add_argument("--build-dir", default=None,
                    help=f"C++ build dir (default: env HR_BUILD_DIR or {default_build_dir()})")
    ap.add_argument("--timeout", type=float, default=60.0, help="deadline per wait (s)")
    ap.add_argument("--keep-logs", action="store_true",
                    help="copy logs to /tmp/<prefix>-lab-logs before teardown")
    args = ap.parse_args(argv)

    def on_signal(signum, _frame):
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        args.prefix = args.prefix or default_prefix()
        demo = Demo(args)
    except (LabError, TopologyError) as e:
        print(f"demo: {e}", file=sys.stderr)
        return 2
    rc, ok = 1, False
    try:
        try:
            rc = demo.run()
        except Interrupted as e:
            demo.say(f"{e}: stopping", indent=0)
            rc = 130
        except (LabError, AssertionError) as e:
            demo.say(f"FAILED: {e}", indent=0)
            args.keep_logs = True
            rc = 1
        except BaseException as e:  # a bug: tear down (below), keep logs, re-raise
            demo.say(f"FAILED with {type(e).__name__}: {e}", indent=0)
            args.keep_logs = True
            raise
    finally:
        # the teardown itself is not interruptible
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        ok = demo.teardown()
        if args.keep_logs:
            demo.say(f"logs kept in /tmp/{demo.lab.prefix}-lab-logs", indent=0)
    return rc if ok else (rc or 1)

if __name__ == "__main__":
    sys.exit(main())
