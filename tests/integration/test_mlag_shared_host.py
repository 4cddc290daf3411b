"""A dual-attached host on an MLAG pair does not oscillate (docs/host-routing.md,
"Dual-attached hosts"): real FRR, hostroute_learner and fpm_client on both ToRs of
lab/topologies/mlag.toml, one host (hm1) with a member link to each.

Each ToR's learner config declares br10's member port hm1 dual-attached with the other ToR as
its peer (interface/learning/dual-attached: the explicit opt-in; without it a live host that
another router also advertises is a conflict, not shared). In an eBGP fabric configured as
docs/frr-config.md §2.2 prescribes and in an OSPF fabric:
- both ToRs learn the host and settle on it as shared: both inject it with the steady shared
  distance, both advertise it, the spine has a route to the host through both ToRs;
- over several hold times and claim windows nothing moves: the spine's BGP paths (each with
  its last-update time) or OSPF external LSAs (each with its sequence number) and its RIB
  entry are sampled continuously, and every change is counted (zero expected);
- the host's link to tor1 is cut: tor1 withdraws it (its probes out of the member port go
  unanswered), tor2 keeps it, the spine routes through tor2 only, hs1 behind the spine
  reaches the host;
- the link comes back: tor1 takes the host back as shared at once and the spine returns to
  both ToRs, then stays put again (changes counted).
"""

import copy
import json
import threading
import time
import tomllib

import pytest

from conftest import REPO, lab_prefix, require_lab_environment  # noqa: F401
import hrlab
from hrlab import hostrouting, wait_until

LEARNER = "hostroute_learner"
FPM = "fpm_client"
TOPOLOGY = REPO / "lab" / "topologies" / "mlag.toml"
HOST = "10.1.0.50"
PREFIX = f"{HOST}/32"
HOLD = 6           # the learner's hold time here (s)
CLAIM_WINDOW = 2   # fpm_client's claim window (default, s)
WINDOW = 3 * HOLD  # the steady-state watch: 3 hold times, 9 claim windows
TORS = ("tor1", "tor2")
TOR_ON_SPINE = {"10.0.1.0": "tor1", "10.0.2.0": "tor2"}  # the ToRs' addresses on the spine's links
ROUTER_ID = {"10.0.0.11": "tor1", "10.0.0.12": "tor2"}


def topology(fabric):
    with open(TOPOLOGY, "rb") as f:
        topo = copy.deepcopy(tomllib.load(f))
    topo["lab"]["name"] = f"mlag-{fabric}"
    for r in ("spine", "tor1", "tor2"):
        topo["routers"][r]["protocols"] = [fabric]
    # docs/frr-config.md: §2.1 (OSPF) or §2.2 (eBGP with the move-signal route-maps).
    for tor in TORS:
        topo["routers"][tor]["frr_extra"] = hostrouting.frr_config(topo, tor)
    return topo


PEER = {"tor1": "tor2", "tor2": "tor1"}


def suite_config(tor):
    return {
        "frr-hostroute:hostroute": {
            "interface": [{
                "name": "br10",
                "subnet": [{"prefix": "10.1.0.0/24"}, {"prefix": "2001:db8:1::/64"}],
                # hm1 is the member link of the bonded server: its hosts may be shared with
                # the MLAG peer (the peer link and any other port: never).
                "learning": {"enabled": True,
                             "dual-attached": {"peer": PEER[tor], "port": ["hm1"]}},
            }],
            "learning": {
                # The peer ToR's own addresses are heard over the peer link: not hosts.
                "excluded-address": ["10.1.0.2", "10.1.0.3", "2001:db8:1::2", "2001:db8:1::3"],
                "aging": {"hold-time": HOLD},
                "probing": {"interval": 1000, "retries": 2},
            },
        }
    }


@pytest.fixture(scope="module", params=["bgp", "ospf"])
def pair(request):
    require_lab_environment()
    fabric = request.param
    lab = hrlab.Lab(topology(fabric), prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        for tor in TORS:
            # MLAG forwarding rules (lab/topologies/mlag.toml): the member port and the peer
            # link never forward to each other.
            for port in ("hm1", "peerlink"):
                lab.run(tor, ["bridge", "link", "set", "dev", port, "isolated", "on"])
        # The bond's view of the gateways: one next hop per member link.
        lab.run("hm1", "ip route add default nexthop via 10.1.0.2 dev e1 nexthop via 10.1.0.3 dev e2")
        for tor in TORS:
            lab.start_daemon(tor, FPM, config=suite_config(tor))
            topics = lab.hostroutectl(tor, "show", "status", "--json", json=True)[FPM].get("topics", [])
            assert "routes" in topics, f"fpm_client on {tor} serves no host routes: topics {topics}"
            lab.start_daemon(tor, LEARNER)
        yield fabric, lab
    finally:
        failed = request.module.__dict__.get("_hrlab_failed", False)
        lab.down(keep_logs=failed or None)


# ---- reading state --------------------------------------------------------------------------

def host(lab, tor):
    out = lab.hostroutectl(tor, "show", "hosts", HOST, "--json", check=False)
    try:
        return json.loads(out) if out.strip() else None
    except ValueError:
        return None


def fpm_route(lab, tor):
    out = lab.hostroutectl(tor, "show", "routes", HOST, "--json", check=False)
    try:
        routes = json.loads(out).get("routes", []) if out.strip() else []
    except ValueError:
        return None
    return routes[0] if routes else None


def spine_view(lab, fabric):
    """What the spine knows of the host route, as a comparable value: the fabric's own
    records (BGP: the prefix's table version, which any update or withdrawal of a path
    bumps, and each path's peer, AS path, version and multipath/best flags; OSPF: each
    AS-external LSA's advertising router, sequence number and tag) and the next hops of the
    selected RIB entry."""
    if fabric == "bgp":
        r = lab.vtysh_json("spine", f"show bgp ipv4 unicast {PREFIX} json") or {}
        records = [("version", r.get("version"))] + sorted(
            (p.get("peer", {}).get("peerId", "?"), p.get("aspath", {}).get("string", ""),
             p.get("version"), bool(p.get("multipath")),
             bool(p.get("bestpath", {}).get("overall")))
            for p in r.get("paths", []))
    else:
        r = lab.vtysh_json("spine", f"show ip ospf database external {HOST} json") or {}
        records = sorted(
            (lsa.get("advertisingRouter"), lsa.get("lsaSeqNumber"), lsa.get("externalRouteTag"))
            for lsa in r.get("asExternalLinkStates", []))
    rib = lab.vtysh_json("spine", f"show ip route {PREFIX} json") or {}
    hops = sorted(
        TOR_ON_SPINE.get(nh.get("ip"), nh.get("ip", "?"))
        for e in rib.get(PREFIX, []) if e.get("selected")
        for nh in e.get("nexthops", []) if nh.get("active"))
    return tuple(records), tuple(hops)


def via(view):
    return set(view[1])


class SpineWatch:
    """Samples spine_view() continuously in a thread; counts every change. A failed sample is
    recorded (never a silent stop); `times` keeps when each sample was taken, so a test can
    check that the samples cover its window without a long gap."""

    def __init__(self, lab, fabric, interval=0.05):
        self.lab, self.fabric, self.interval = lab, fabric, interval
        self.samples = 0
        self.times = []
        self.errors = []
        self.first = None  # the first view sampled
        self.changes = []  # (seconds since start, old view, new view)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        start = time.monotonic()
        last = None
        while not self._stop.is_set():
            try:
                v = spine_view(self.lab, self.fabric)
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))
                self._stop.wait(self.interval)
                continue
            self.samples += 1
            self.times.append(time.monotonic())
            if self.first is None:
                self.first = v
            if last is not None and v != last:
                self.changes.append((round(time.monotonic() - start, 3), last, v))
            last = v
            self._stop.wait(self.interval)

    def __enter__(self):
        self._t.start()
        wait_until(lambda: self.first is not None, timeout=5, desc="first spine sample")
        return self

    def __exit__(self, *exc):
        self.alive_at_exit = self._t.is_alive()
        self._stop.set()
        self._t.join()

    def sample_after(self, t):
        """Waits for a sample taken after time `t` (the end of a watched window)."""
        wait_until(lambda: self.times and self.times[-1] > t, timeout=10, desc="a spine sample after the window")

    def covered(self, start, end):
        """The watch was live over [start, end]: samples before and after it, the largest gap
        between two samples, no failed sample, the thread alive."""
        assert not self.errors, f"spine samples failed: {self.errors[:3]}"
        assert self.alive_at_exit, "the spine watcher died"
        assert self.times[0] <= start and self.times[-1] >= end, (self.times[0], start, self.times[-1], end)
        ts = [t for t in self.times if start <= t <= end]
        inner = [start, *ts, end]
        return max(b - a for a, b in zip(inner, inner[1:]))

    def report(self):
        return "\n".join(f"  +{t}s: {a}\n      -> {b}" for t, a, b in self.changes) or "  (none)"


def announce(lab, member):
    """The host speaks on one member link (a gratuitous ARP)."""
    lab.run("hm1", ["arping", "-c", "1", "-I", member, "-U", HOST], check=False)


def wait_shared_on_both(lab, timeout=20):
    def both():
        seen = {}
        for tor in TORS:
            h, r = host(lab, tor), fpm_route(lab, tor)
            seen[tor] = (h and h.get("state"), h and h.get("shared"), r and r.get("mode"),
                         r and r.get("state"))
        ok = all(s[0] == "active" and s[1] and s[2] == "shared" and s[3] == "installed"
                 for s in seen.values())
        return hrlab.Observation(ok, seen, "both: active, shared, fpm_client mode shared, installed")
    wait_until(both, timeout=timeout, desc="the host shared on both ToRs")


def wait_spine_via(lab, fabric, tors, timeout=15):
    want = set(tors)
    wait_until(lambda: hrlab.Observation(via(v := spine_view(lab, fabric)) == want, v, sorted(want)),
               timeout=timeout, desc=f"spine routes {PREFIX} via {sorted(want)}")


# ---- the test -------------------------------------------------------------------------------

def test_dual_attached_host_is_steady_and_survives_a_member_link(pair):
    fabric, lab = pair
    announce(lab, "e1")
    announce(lab, "e2")
    wait_shared_on_both(lab)
    wait_spine_via(lab, fabric, TORS)
    for tor in TORS:
        r = fpm_route(lab, tor)
        assert (r["distance"], r["tag"]) == (10, 1), r  # the same attributes on both
        lab.wait_route(tor, PREFIX, protocol="table", timeout=5)
        h = host(lab, tor)
        # Shared because of the opt-in (its member port, its peer), never a conflict.
        assert h["dualAttached"] == {"peer": PEER[tor], "memberPort": True}, h
        assert not h["duplicate"], h
        assert _counter(lab.hostroutectl(tor, "show", "counters", "--json", json=True),
                        "mobility.remote_conflicts") == 0
    steady = spine_view(lab, fabric)
    print(f"[mlag] {fabric}: steady spine view {steady}")
    if fabric == "bgp":
        paths = {rec[0] for rec in steady[0][1:] if rec[3]}
        assert paths == {"10.0.1.0", "10.0.2.0"}, steady  # multipath: a path from each ToR
    else:
        lsas = {rec[0]: rec[2] for rec in steady[0]}
        assert lsas == {"10.0.0.11": 1, "10.0.0.12": 1}, steady  # an LSA from each, same tag

    # Steady state: several hold times and claim windows, nothing moves.
    counters0 = {t: lab.hostroutectl(t, "show", "counters", "--json", json=True) for t in TORS}
    with SpineWatch(lab, fabric) as w:
        start = time.monotonic()
        deadline = start + WINDOW
        while time.monotonic() < deadline:
            for tor in TORS:
                h = host(lab, tor)
                assert h and h["state"] == "active" and h["shared"], (tor, h)
            time.sleep(0.5)  # the watch thread samples every 50 ms; this only paces the check
        w.sample_after(deadline)
    gap = w.covered(start, deadline)
    print(f"[mlag] {fabric}: {w.samples} spine samples over {WINDOW} s (largest gap {gap:.2f} s), "
          f"{len(w.changes)} changes")
    # Each sample is three vtysh calls (2-9 a second on this machine, with its load). The BGP
    # table version and the LSA sequence numbers are monotonic, so a change between two samples
    # still shows: what proves the watch is that its samples span the window (one before it,
    # one after it, none failed, the thread alive: covered() asserts it), not their rate.

    assert not w.changes, f"the spine's route to {HOST} changed in the steady state:\n{w.report()}"
    for tor in TORS:
        c1 = lab.hostroutectl(tor, "show", "counters", "--json", json=True)
        rechecks = _counter(c1, "mobility.shared_rechecks") - _counter(counters0[tor], "mobility.shared_rechecks")
        print(f"[mlag] {fabric}: {tor} shared rechecks in the window: {rechecks}")
        assert rechecks >= 1, (tor, "the quiet shared host was never re-checked")
        r = fpm_route(lab, tor)
        assert r["mode"] == "shared" and r["state"] == "installed", (tor, r)

    # Traffic from behind the spine reaches the host.
    assert wait_until(lambda: lab.ping("hs1", HOST), timeout=5, desc="hs1 -> hm1")

    # The host's link to tor1 fails: tor1 withdraws it, tor2 keeps it.
    lab.link_down("tor1", "hm1")
    h1 = wait_until(lambda: (x := host(lab, "tor1")) and x["state"] == "withdrawn" and x,
                    timeout=HOLD + 5, desc="tor1 withdrew the host")
    print(f"[mlag] {fabric}: tor1 withdrew: reason {h1['reason']}")
    assert h1["reason"] == "aged", h1  # its probes went unanswered (not a move signal)
    lab.wait_route("tor1", PREFIX, protocol="table", present=False, timeout=5)
    wait_spine_via(lab, fabric, ["tor2"])
    h2 = host(lab, "tor2")
    assert h2["state"] == "active" and h2["shared"], h2
    for _ in range(3):
        assert wait_until(lambda: lab.ping("hs1", HOST), timeout=5, desc="hs1 -> hm1 through tor2")

    # The link comes back: tor1 takes the host back as shared, the spine uses both again.
    with SpineWatch(lab, fabric) as back:
        assert via(back.first) == {"tor2"}, back.first
        lab.link_up("tor1", "hm1")
        announce(lab, "e1")
        wait_shared_on_both(lab)
        wait_spine_via(lab, fabric, TORS)
        settle_until = time.monotonic() + 2 * HOLD
        while time.monotonic() < settle_until:
            time.sleep(0.5)  # the watch samples every 50 ms meanwhile
        back.sample_after(settle_until)
    back_gap = back.covered(back.times[0], settle_until)
    print(f"[mlag] {fabric}: restore: {back.samples} samples (largest gap {back_gap:.2f} s), "
          f"{len(back.changes)} spine changes:\n{back.report()}")
    # From tor2 only to both ToRs, without flapping: the views pass through at most one
    # intermediate (BGP: tor1's path arrives, then the multipath flags settle) and tor1 is
    # never dropped again.
    assert via(spine_view(lab, fabric)) == set(TORS)
    assert back.changes, "the spine never changed from tor2 alone to both ToRs"
    dropped = [c for c in back.changes if "tor1" in via(c[1]) and "tor1" not in via(c[2])]
    assert not dropped, f"tor1 left the spine's route again after coming back:\n{back.report()}"
    assert len(back.changes) <= 3, f"the spine's route flapped after the restore:\n{back.report()}"
    assert host(lab, "tor1")["reason"] != "moved-away"


def _counter(doc, name):
    """A learner counter from `show counters --json` (docs/json.md)."""
    return doc.get(LEARNER, {}).get(f"{LEARNER}.{name}", 0)
