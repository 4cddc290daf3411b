#!/usr/bin/python3
"""frr-hostroute demo: a fabric with real FRR, the suite's daemons, hosts learned and moved.

    /usr/bin/python3 lab/demo.py [--hold] [--prefix P] [--topology F] [--build-dir D]

Builds the default topology (spine, tor1, tor2, hosts h11 behind tor1, h21 behind tor2,
hs1 behind the spine) in network namespaces named <prefix>-<node> (prefix: --prefix, env
HRLAB_PREFIX, else 'hr'), with the FRR configuration docs/frr-config.md prescribes for host
routes on the ToRs (hrlab.hostrouting), the hosts' default gateway on the anycast address
10.1.0.1 / 2001:db8:1::1, and on tor1 zebra's FPM feed into an "asic" namespace. Then, step
by step, checking real state each time (polling with deadlines) and saying what it sees:

  the fabric converges (eBGP and OSPF) and both ToRs announce the same subnet;
  fpm_client, hostroute_learner and vrrp_anycast start on both ToRs, on lab/configs/<tor>.json
    (validated with hostroutectl first);
  the anycast gateway answers on both ToRs with the same virtual MAC;
  the hosts are learned: their /32 and /128 in their ToR's zebra, in the spine's BGP and OSPF,
    in `hostroutectl show hosts`, and (tor1) in the data path fed by FPM;
  hs1 behind the spine reaches both hosts;
  h11 moves to tor2 as a live-migrated VM does: the spine's route follows, tor1 withdraws,
    h11 keeps its gateway and is reachable again, tor1's data path follows.

It exits 0 when every step passed, 1 when one failed or a daemon it started died, 130 on
Ctrl-C/SIGTERM, 2 on a bad topology. Whatever happens it tears everything down and checks
that nothing with its prefix is left. With --hold it keeps the lab until Ctrl-C.

Each step is a method of `Demo` listed in `Demo.STEPS`; later scenarios add steps there.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(LAB_DIR))

from hrlab import (SUITE_DAEMONS, Lab, LabError, Observation, TopologyError,  # noqa: E402
                   default_build_dir, default_prefix, is_empty, wait_until)
from hrlab.frrconf import frr_daemons  # noqa: E402
from hrlab.hostrouting import with_host_routing  # noqa: E402
from hrlab.topology import DEFAULT_TOPOLOGY  # noqa: E402

VIP4, VIP6 = "10.1.0.1", "2001:db8:1::1"          # the anycast gateway (lab/configs/tor*.json)
VMAC4, VMAC6 = "00:00:5e:00:01:0a", "00:00:5e:00:02:0a"   # VRID 10's virtual MACs
FPM_TOR = "tor1"                                  # the ToR whose FPM feed the demo shows
DP_METRIC = 20                                    # fpm_client's metric in the data path


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived (a BaseException, like KeyboardInterrupt, so that
    no `except Exception` on the way swallows it)."""


class StepFailed(Exception):
    """A step failed in a way it has already explained."""


def demo_topology(path: Path) -> dict:
    """The topology file `path` as a dict, made ready for the demo:
    - every ToR carries the host-route FRR configuration of docs/frr-config.md
      (hrlab.hostrouting: `redistribute table` for BGP and OSPF, the eBGP move signal);
    - hosts behind a ToR use the anycast gateway (vrrp_anycast serves it) as default routers;
    - FPM_TOR's zebra streams its FIB over FPM (dplane_fpm_nl, docs/dataplane.md) and an
      "asic" namespace holds copies of its ports (swp1, br10) for fpm_client to program."""
    topo = tomllib.loads(path.read_text())
    topo = with_host_routing(topo)
    routers = topo.get("routers", {})
    for h in topo.get("hosts", {}).values():
        if routers.get(h.get("tor"), {}).get("role") == "tor" and h.get("bridge", "br10") == "br10":
            h["gateway4"], h["gateway6"] = VIP4, VIP6
    tor = routers.get(FPM_TOR)
    if tor is not None:
        tor["zebra_modules"] = list(tor.get("zebra_modules", [])) + ["dplane_fpm_nl"]
        tor["frr_extra"] = tor.get("frr_extra", "") + "fpm address 127.0.0.1 port 2620\n"
        topo.setdefault("namespaces", {}).update({"asic": {"forwarding": True}, "phy": {}})
        ports = [(l["a"], l["b"]) for l in topo.get("links", [])] + \
                [(l["b"], l["a"]) for l in topo.get("links", [])]
        copies = [(end["ifname"], end.get("addresses", [])) for end, _ in ports
                  if end.get("node") == FPM_TOR and end.get("addresses")]
        copies += [(b["name"], b.get("addresses", [])) for b in tor.get("bridges", [])]
        for i, (ifname, addrs) in enumerate(copies):
            topo["links"].append({"a": {"node": "asic", "ifname": ifname, "addresses": addrs},
                                  "b": {"node": "phy", "ifname": f"p{i + 1}"}})
    return topo


class Demo:
    STEPS = [
        "step_build",
        "step_bgp",
        "step_ospf",
        "step_routes_across_fabric",
        "step_suite_daemons",
        "step_anycast_gateway",
        "step_hosts_learned",
        "step_show_hosts",
        "step_dataplane",
        "step_fabric_reaches_hosts",
        "step_vm_move",
    ]

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.t0 = time.monotonic()
        self.lab = Lab(demo_topology(Path(args.topology)), prefix=args.prefix,
                       build_dir=args.build_dir, log=lambda m: None)
        self.started: list[tuple[str, str]] = []   # (router, daemon) the demo started
        self.quiet = False
        self.explained: set[str] = set()

    def explain(self, key: str, text: str) -> str:
        """`text` the first time `key` comes up, "" afterwards."""
        if key in self.explained:
            return ""
        self.explained.add(key)
        return text

    def note(self, key: str, text: str, indent: int = 2) -> None:
        """Says `text` the first time `key` comes up."""
        if text := self.explain(key, text):
            self.say(text, indent=indent)

    # ----- output ----------------------------------------------------------
    def say(self, msg: str = "", indent: int = 1) -> None:
        stamp = f"[{time.monotonic() - self.t0:6.2f}s]"
        for i, line in enumerate(msg.splitlines() or [""]):
            self._print(f"{stamp if i == 0 else ' ' * len(stamp)} {'  ' * indent}{line}")

    def title(self, msg: str) -> None:
        self._print("")
        self.say(f"== {msg}", indent=0)

    def show(self, text: str, indent: int = 3) -> None:
        """Command output, indented under the line that introduced it."""
        for line in text.rstrip("\n").splitlines():
            self._print(" " * 9 + "  " * indent + line)

    def _print(self, line: str) -> None:
        """Print, but never fail: a closed stdout (`demo.py | head`) must not
        stop the teardown."""
        if self.quiet:
            return
        try:
            print(line, flush=True)
        except (BrokenPipeError, OSError):
            self.quiet = True

    # ----- helpers ---------------------------------------------------------
    @property
    def tors(self) -> list[str]:
        return [r for r in self.lab.routers if self.lab.topo.routers[r].role == "tor"]

    def have(self, *nodes: str) -> bool:
        """Does the topology have these nodes? Scenario steps need the default lab's."""
        missing = [n for n in nodes if n not in self.lab.nodes()]
        if missing:
            self.say(f"skipped: the topology has no {', '.join(missing)}")
        return not missing

    def wait(self, predicate, desc: str, timeout: float | None = None):
        """hrlab.wait_until with the demo's deadline; returns (value, seconds waited)."""
        t = time.monotonic()
        v = wait_until(predicate, timeout=timeout or self.args.timeout, desc=desc)
        return v, time.monotonic() - t

    def ctl(self, router: str, *args: str):
        return self.lab.hostroutectl(router, *args, "--json", json=True)

    def host_state(self, router: str, addr: str) -> dict | None:
        """`hostroutectl show hosts ADDRESS --json` on `router`, None if never seen there."""
        out = self.lab.hostroutectl(router, "show", "hosts", addr, "--json", check=False)
        return json.loads(out) if out.strip() else None

    def spine_routes(self, addr: str, tor: str) -> str:
        """Waits until the spine has `addr`'s host route by BGP (selected) and by OSPF (the
        external from the ToR, which loses to BGP on distance), both via `tor`; says so."""
        lab, plen = self.lab, 128 if ":" in addr else 32
        prefix = f"{addr}/{plen}"
        t = time.monotonic()
        got = []
        if "bgp" in lab.topo.routers["spine"].protocols:
            lab.wait_route("spine", prefix, protocol="bgp", via_router=tor, timeout=self.args.timeout)
            best = lab.bgp_best_path("spine", prefix) or {}
            comms = (best.get("community") or {}).get("string", "")
            path = best.get("aspath", {}).get("string", "")
            asns = path.split()
            held = len(asns) > 1 and len(set(asns)) < len(asns)
            got.append(f"BGP (selected), AS path {path!r}"
                       + (f", community {comms}" if comms else "")
                       + (self.explain("prepend", " (a held route: the ToR prepends its AS twice, "
                                       "so that another ToR's claim wins after a move)")
                          if held else ""))
        if "ospf" in lab.topo.routers["spine"].protocols:
            proto = "ospf6" if plen == 128 else "ospf"
            entries = lab.wait_route("spine", prefix, protocol=proto, via_router=tor,
                                     selected=False, timeout=self.args.timeout)
            e = next(e for e in entries if e.get("protocol") == proto)
            got.append(f"{'OSPFv3' if plen == 128 else 'OSPFv2'} external"
                       + ("" if e.get("selected") else
                          f" (not selected: distance {e.get('distance')} > BGP's)"))
        return f"spine: {prefix} via {tor}: " + "; ".join(got) + f" ({time.monotonic() - t:.2f}s)"

    def check_daemons(self) -> None:
        """Every suite daemon the demo started must still run."""
        dead = [(r, d) for r, d in self.started if not self.lab.daemon_pid(r, d)]
        if dead:
            for r, d in dead:
                log = self.lab.daemon_log(r, d)
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log.exists() else ""
                self.say(f"FAILED: {d} on {r} died; the end of its log ({log}):")
                self.show(tail)
            raise StepFailed(f"suite daemon(s) died: {', '.join(f'{d}@{r}' for r, d in dead)}")

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
            extra = "; streams its FIB over FPM to 127.0.0.1:2620" if r == FPM_TOR and \
                "dplane_fpm_nl" in topo.routers[r].zebra_modules else ""
            self.say(f"FRR on {r} (AS {topo.routers[r].asn}, router-id "
                     f"{topo.routers[r].router_id}): {', '.join(frr_daemons(topo.routers[r]))}"
                     f"  [vtysh -N {lab.ns(r)}]{extra}")
        if self.tors:
            self.say(f"the ToRs ({', '.join(self.tors)}) carry docs/frr-config.md's host-route "
                     "configuration: `redistribute table` into BGP and OSPF, and the eBGP "
                     "move-signal route-maps HOSTROUTES-OUT / FABRIC-IN")
        if "asic" in topo.namespaces:
            self.say(f"namespace asic stands for {FPM_TOR}'s switch ASIC: copies of its ports, "
                     "programmed by fpm_client from zebra's FPM feed")
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
        if not self.have(src, dst, "spine"):
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
        net = "10.1.0.0/24"

        def both_tors():
            entries = lab.route("spine", net)
            hops = {n.get("ip") for e in entries if e.get("selected")
                    for n in e.get("nexthops", []) if n.get("active")}
            want = lab.neighbor_addresses("spine", src) | lab.neighbor_addresses("spine", dst)
            ok = bool(hops & lab.neighbor_addresses("spine", src)) and \
                bool(hops & lab.neighbor_addresses("spine", dst))
            return Observation(ok, observed=sorted(hops), expected=f"next hops among {sorted(want)}")

        self.wait(both_tors, f"the spine load-shares {net} over {src} and {dst}")
        self.say(f"the spine reaches {net} over both ToRs (ECMP): both carry that subnet, so "
                 "without host routes the fabric cannot tell which ToR a host is behind, and "
                 "half the flows land on the wrong one. That is what the suite fixes.")

    def step_suite_daemons(self) -> None:
        lab = self.lab
        self.title(f"Starting the suite's daemons (binaries from {lab.build_dir}/bin)")
        missing = [d for d in SUITE_DAEMONS + ("hostroutectl",) if not lab.has_binary(d)]
        if missing:
            raise StepFailed(f"not built: {', '.join(missing)} (run ./dev.sh build, or set "
                             "HR_BUILD_DIR)")
        for router in self.tors:
            config = self.load_config(router)
            self.say(f"{router}: starting fpm_client, hostroute_learner, vrrp_anycast "
                     f"(hostroutectl -N {lab.ns(router)} ...)")
            for daemon in SUITE_DAEMONS:
                t = time.monotonic()
                try:
                    p = lab.start_daemon(router, daemon, config=config)
                except LabError as e:
                    raise StepFailed(f"{daemon} on {router} did not start: {e}") from None
                self.started.append((router, daemon))
                self.say(f"{daemon:<17} pid {p.pid:<7} accepting on "
                         f"{lab.daemon_socket(router, daemon)} after {time.monotonic() - t:.2f}s",
                         indent=2)

            def zapi_ready(router=router):
                z = self.ctl(router, "show", "zebra")
                return Observation(z["session"]["state"] == "ready", observed=z["session"])

            _, secs = self.wait(zapi_ready, f"fpm_client's ZAPI session with zebra on {router}")
            self.say(f"fpm_client's ZAPI session with {router}'s zebra is ready "
                     f"(waited {secs:.2f}s): host routes can be injected", indent=2)

            def synced(router=router):
                h = self.ctl(router, "show", "hosts")
                return Observation(h["fpmClient"]["synced"], observed=h["fpmClient"])

            self.wait(synced, f"hostroute_learner synced with fpm_client on {router}")
            self.say("hostroute_learner is connected to fpm_client and in sync", indent=2)
        st = lab.hostroutectl(self.tors[0], "show", "status")
        self.say(f"hostroutectl -N {lab.ns(self.tors[0])} show status:")
        self.show(st)

    def load_config(self, router: str) -> dict:
        """lab/configs/<router>.json (plus, on FPM_TOR, the data-path part naming this lab's
        asic namespace), validated by `hostroutectl validate` as it will run."""
        path = LAB_DIR / "configs" / f"{router}.json"
        if not path.exists():
            raise StepFailed(f"no {path} for {router}")
        try:
            doc = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise StepFailed(f"{path} is not JSON: {e}") from None
        what = path.relative_to(LAB_DIR.parent)
        if router == FPM_TOR and "asic" in self.lab.topo.namespaces:
            doc["frr-hostroute:hostroute"]["frr-hostroute-dataplane:dataplane"] = {
                "enabled": True, "backend": {"netns": self.lab.ns("asic")}}
            what = f"{what} + dataplane (backend netns {self.lab.ns('asic')})"
        run = self.lab.node_workdir(router) / "hostroute.json"
        run.parent.mkdir(parents=True, exist_ok=True)
        run.write_text(json.dumps(doc, indent=2) + "\n")
        cp = subprocess.run([str(self.lab.binary("hostroutectl")), "validate", str(run)],
                            capture_output=True, text=True, timeout=30)
        if cp.returncode != 0:
            raise StepFailed(f"{router}: hostroutectl validate {run} failed (exit "
                             f"{cp.returncode}): {(cp.stdout + cp.stderr).strip()}")
        self.say(f"{router}: config {what}: valid (hostroutectl validate)")
        return doc

    def step_anycast_gateway(self) -> None:
        lab = self.lab
        if not self.have("h11", "h21"):
            return
        self.title(f"The anycast gateway {VIP4} / {VIP6}: every ToR answers, same MAC")
        for tor in self.tors:
            def serving(tor=tor):
                gs = {g["family"]: g for g in self.ctl(tor, "show", "vrrp")["groups"]}
                seen = {f: (g["state"], g["role"], g["vmacInterface"]["up"]) for f, g in gs.items()}
                ok = len(gs) == 2 and all(g["role"] in ("master", "anycast-forwarding")
                                          and g["vmacInterface"]["up"] for g in gs.values())
                return Observation(ok, observed=seen, expected="master or anycast-forwarding, "
                                                               "virtual-MAC interface up")

            gs, secs = self.wait(serving, f"vrrp_anycast serving the gateway on {tor}")
            g = gs.observed
            roles = "; ".join(f"{f}: VRRP state {g[f][0]}, role {g[f][1]}" for f in sorted(g))
            self.say(f"{tor}: VRID 10 up on br10 with virtual MACs {VMAC4} / {VMAC6} ({roles}; "
                     f"waited {secs:.2f}s)")
            if any(r == "anycast-forwarding" for _, r, _ in g.values()):
                self.note("anycast", "anycast-forwarding: not the VRRP master (yet), but it routes "
                          "whatever hosts send to the virtual MAC all the same: every ToR is an "
                          "active gateway")
        for host, tor in (("h11", "tor1"), ("h21", "tor2")):
            for vip, vmac in ((VIP4, VMAC4), (VIP6, VMAC6)):
                def answers(host=host, vip=vip, vmac=vmac):
                    if not lab.ping(host, vip, timeout=1):
                        return Observation(False, observed=f"no echo reply from {vip}")
                    neigh = lab.run(host, ["ip", "neigh", "show", vip]).stdout.strip()
                    return Observation(f"lladdr {vmac}" in neigh, observed=neigh,
                                       expected=f"{vip} at {vmac}")

                _, secs = self.wait(answers, f"{host} pings its gateway {vip} at {vmac}")
                self.say(f"{host} (behind {tor}) pings its gateway {vip}: answered, from "
                         f"{vmac} ({secs:.2f}s)")
        self.say("both ToRs answer for the same gateway address and MAC: each routes its "
                 "hosts' traffic itself, and a host that moves keeps its gateway")

    def step_hosts_learned(self) -> None:
        lab = self.lab
        if not self.have("h11", "h21", "spine"):
            return
        self.title("Hosts learned, host routes in zebra and on the spine")
        self.say("the hosts' ARP and ND towards their gateway (previous step) is all the "
                 "learners need")
        for host, tor in (("h11", "tor1"), ("h21", "tor2")):
            for addr, plen in ((lab.host_ip(host, 4), 32), (lab.host_ip(host, 6), 128)):
                def installed(addr=addr, tor=tor):
                    h = self.host_state(tor, addr)
                    return Observation(bool(h and h.get("installed")), observed=h and {
                        k: h.get(k) for k in ("state", "reason", "zebra")})

                h, secs = self.wait(installed, f"{tor} learned {addr} and zebra installed it")
                learned = next((e["detail"] for e in self.host_state(tor, addr)["timeline"]
                                if e["event"] == "learned"), "?")
                entries = lab.wait_route(tor, f"{addr}/{plen}", protocol="table",
                                         timeout=self.args.timeout)
                e = next(e for e in entries if e.get("protocol") == "table")
                mode = {1: "a claim", 2: "a hold"}.get(e.get("tag"), "")
                self.say(f"{tor} learned {host} {addr} ({learned}); {tor}'s zebra has "
                         f"{addr}/{plen} as fpm_client's 'table' route, distance "
                         f"{e.get('distance')}, tag {e.get('tag', '-')}"
                         + (f": {mode}" if mode else "") + f" ({secs:.2f}s)")
                if mode:
                    self.note("claim", "(a claim beats any copy of the route from the fabric; "
                              "after 2 s it relaxes to a hold, distance 250 and tag 2, which loses "
                              "to one: that is how a ToR hears that its host moved, "
                              "docs/frr-config.md §2)")
                self.say(self.spine_routes(addr, tor), indent=2)

    def step_show_hosts(self) -> None:
        for tor in self.tors:
            self.title(f"hostroutectl -N {self.lab.ns(tor)} show hosts")
            self.show(self.lab.hostroutectl(tor, "show", "hosts"), indent=1)

    def step_dataplane(self) -> None:
        lab = self.lab
        if "asic" not in lab.topo.namespaces or not self.have("h11"):
            return
        self.title(f"{FPM_TOR}'s data path: zebra's FIB over FPM into the 'asic' namespace")

        def synced():
            d = self.ctl(FPM_TOR, "show", "dataplane")
            return Observation(d["fpm"]["connected"] and d["fpm"]["session"] == "synced",
                               observed={k: d["fpm"].get(k) for k in ("connected", "session")})

        _, secs = self.wait(synced, f"zebra's FPM session with fpm_client on {FPM_TOR}")
        self.say(f"zebra connected to fpm_client's FPM server and replayed its FIB "
                 f"({secs:.2f}s; zebra retries its FPM connection every 3 s)")
        for addr in (lab.host_ip("h11", 4), lab.host_ip("h11", 6)):
            route, secs = self.wait(lambda addr=addr: self.asic_route(addr),
                                    f"{addr} in the asic namespace")
            self.say(f"asic: {route}  ({secs:.2f}s)")
        d = self.ctl(FPM_TOR, "show", "dataplane")
        gloss = {"software": "programmed in the asic's kernel; no hardware to offload to here",
                 "held": "waiting for an interface or next hop",
                 "rejected": "refused by the asic's kernel",
                 "pending": "being written", "refused": "over the switch profile's capacity"}
        states = ", ".join(f"{n} {st}" + (f" ({gloss[st]})" if st in gloss else "")
                           for st, n in d["routes"].items() if isinstance(n, int) and n)
        self.say(f"fpm_client mirrors the {d['mirror']['routes']} routes of zebra's FIB: {states}")
        for st in ("rejected", "held", "refused"):
            if d["routes"].get(st):
                for r in self.ctl(FPM_TOR, "show", "dataplane", "routes", st)["routes"]:
                    paths = (r.get("wanted") or {}).get("paths") or []
                    via = ", ".join(p.get("interface") or "?" for p in paths)
                    why = r.get("reason") or ""
                    if "no port" in why:
                        why += (" (the stand-in asic copies only "
                                + ", ".join(sorted(self.asic_ports())) + ")")
                    self.say(f"{st}: {r['prefix']} ({r.get('protocol')}"
                             + (f" via {via}" if via else "") + f"): {why}", indent=2)

    def asic_ports(self) -> list[str]:
        return [e.ifname for link in self.lab.topo.links for e in (link.a, link.b)
                if e.node == "asic"]

    def asic_route(self, addr: str, dev: str | None = None) -> str | None:
        """The asic namespace's route for exactly `addr` programmed by fpm_client (metric
        DP_METRIC), as `ip route` prints it; with `dev`, only one out of that device."""
        fam = "-6" if ":" in addr else "-4"
        plen = 128 if ":" in addr else 32
        out = self.lab.run("asic", ["ip", fam, "-j", "route", "show", "exact", f"{addr}/{plen}"],
                           check=False).stdout
        for r in json.loads(out or "[]"):
            if r.get("metric") == DP_METRIC and (dev is None or r.get("dev") == dev):
                via = f" via {r['gateway']}" if r.get("gateway") else ""
                return f"{r['dst']}{via} dev {r.get('dev')} metric {DP_METRIC}"
        return None

    def step_fabric_reaches_hosts(self) -> None:
        lab = self.lab
        if not self.have("hs1", "h11", "h21"):
            return
        self.title("hs1 (behind the spine) reaches every host, IPv4 and IPv6")
        for host in ("h11", "h21"):
            for v in (4, 6):
                addr = lab.host_ip(host, v)
                _, secs = self.wait(lambda addr=addr: lab.ping("hs1", addr, count=3),
                                    f"hs1 pings {host} {addr}")
                self.say(f"hs1 -> {host} {addr}: 3 echo replies ({secs:.2f}s)")
        self.say("the spine follows each host's /32 or /128 to the right ToR, not the /24")

    def step_vm_move(self) -> None:
        lab = self.lab
        if not self.have("h11", "hs1", "spine", "tor1", "tor2"):
            return
        self.title("h11 moves from tor1 to tor2 (a live-migrated VM)")
        a4, a6 = lab.host_ip("h11", 4), lab.host_ip("h11", 6)
        # A migrated Linux guest announces itself (virtio's GUEST_ANNOUNCE: a gratuitous ARP
        # and an unsolicited neighbour advertisement); the kernel does the same when the new
        # eth0 comes up with arp_notify / ndisc_notify on.
        lab.run("h11", ["sysctl", "-q", "-w", "net.ipv4.conf.default.arp_notify=1",
                        "net.ipv6.conf.default.ndisc_notify=1"])
        t = time.monotonic()
        lab.move_host("h11", "tor2")
        self.say("h11's port moved to tor2's br10: same namespace, MAC, addresses and gateway "
                 f"{VIP4}. As a migrated VM does, it announces itself when its link comes up "
                 "(arp_notify, ndisc_notify: a gratuitous ARP and an unsolicited NA)")
        for addr, plen in ((a4, 32), (a6, 128)):
            def claimed(addr=addr):
                h = self.host_state("tor2", addr)
                return Observation(bool(h and h.get("installed") and h.get("state") == "active"),
                                   observed=h and {k: h.get(k) for k in ("state", "reason", "zebra")})

            h, _ = self.wait(claimed, f"tor2 learned {addr} and installed it")
            learned = next((e["detail"] for e in self.host_state("tor2", addr)["timeline"]
                            if e["event"] == "learned"), "?")
            self.say(f"tor2 learned {addr} ({learned}) and installed {addr}/{plen} "
                     f"({time.monotonic() - t:.2f}s after the move)")
            self.say(self.spine_routes(addr, "tor2"), indent=2)
        for addr, plen in ((a4, 32), (a6, 128)):
            def withdrawn(addr=addr):
                h = self.host_state("tor1", addr)
                return Observation(bool(h and h.get("state") == "withdrawn"),
                                   observed=h and {k: h.get(k) for k in ("state", "reason")})

            h, _ = self.wait(withdrawn, f"tor1 withdrew {addr}")
            h = h.observed
            lab.wait_route("tor1", f"{addr}/{plen}", protocol="table", present=False,
                           timeout=self.args.timeout)
            why = {"moved-away": "the fabric told it: tor2's route reached tor1 and the host "
                                 "did not answer tor1's probe",
                   "aged": "it stopped answering until the hold time ran out"}.get(
                       h["reason"], h["reason"])
            self.say(f"tor1 withdrew {addr} ({h['reason']}: {why}) "
                     f"{time.monotonic() - t:.2f}s after the move")
        for v in (4, 6):
            addr = lab.host_ip("h11", v)
            _, secs = self.wait(lambda addr=addr: lab.ping("hs1", addr, count=3),
                                f"hs1 pings h11 {addr} behind tor2")
            self.say(f"hs1 -> h11 {addr} (now behind tor2): 3 echo replies ({secs:.2f}s)")
        neigh = lab.run("h11", ["ip", "neigh", "show", VIP4]).stdout.strip()
        self.say(f"h11 kept its gateway entry ({neigh}): tor2 routes it, same virtual MAC")
        if "asic" in lab.topo.namespaces:
            route, secs = self.wait(lambda: self.asic_route(a4, dev="swp1"),
                                    f"{FPM_TOR}'s data path sends {a4} to the spine")
            self.say(f"{FPM_TOR}'s asic now: {route}: the data path follows zebra "
                     f"({secs:.2f}s)")

    # ----- run -------------------------------------------------------------
    def run(self) -> int:
        durations = {}
        for name in self.STEPS:
            t = time.monotonic()
            getattr(self, name)()
            self.check_daemons()
            durations[name.removeprefix("step_")] = time.monotonic() - t
        self.title("Summary")
        self.say(f"all {len(self.STEPS)} steps passed, {time.monotonic() - self.t0:.2f}s after "
                 "start: " + ", ".join(f"{k} {v:.2f}s" for k, v in durations.items()))
        self.say("suite daemons running: "
                 + (", ".join(f"{d}@{r}" for r, d in self.started) if self.started else "none"))
        if self.args.hold:
            self.say(f"holding the lab; try: vtysh -N {self.lab.ns('spine')} -c 'show ip route'"
                     f"  or: {self.lab.binary('hostroutectl')} -N {self.lab.ns('tor1')} show hosts"
                     f"  or: ip netns exec {self.lab.ns('hs1')} ping 10.1.0.21")
            self.say("press Ctrl-C to tear down")
            while True:
                signal.pause()
        return 0

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
    ap.add_argument("--topology", default=str(DEFAULT_TOPOLOGY))
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
    except (LabError, TopologyError, OSError, tomllib.TOMLDecodeError) as e:
        print(f"demo: {e}", file=sys.stderr)
        return 2
    rc, ok = 1, False
    try:
        try:
            rc = demo.run()
        except Interrupted as e:
            demo.say(f"{e}: stopping", indent=0)
            rc = 130
        except (LabError, StepFailed, AssertionError) as e:
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
