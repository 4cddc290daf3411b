"""Host routing end to end: hostroute_learner + fpm_client on both ToRs, real FRR (zebra,
bgpd, ospfd, ospf6d), real hosts. A host's first ARP puts its /32 (and its ND its /128) in
the ToR's zebra, in the spine's BGP or OSPF pointing at that ToR; a VM move follows, and the
old ToR withdraws at once on the move signal (docs/host-routing.md) or, without the FRR
configuration of the signal, within the hold time; a spoofer behind the other ToR does not
take a live host over (the first ToR keeps it, both flag it duplicate); restarts of the
learner or of fpm_client lose nothing (watched continuously on the spine).

Three fabrics, each a module-scoped lab (prefix from HRLAB_PREFIX):
  ospf      OSPFv2/v3 only, `redistribute table` (the claim/hold distances alone give the
            signal in OSPF)
  bgp       eBGP only, configured as docs/frr-config.md §2.2 prescribes (redistribute table
            route-map HOSTROUTES-OUT, neighbor ... route-map FABRIC-IN in)
  fallback  eBGP only, plain `redistribute table`: no signal, the old ToR ages the host out
"""

import copy
import json
import subprocess
import threading
import time
import tomllib

import pytest

from conftest import REPO, lab_prefix, require_lab_environment  # noqa: F401
import hrlab
from hrlab import hostrouting, wait_until

LEARNER = "hostroute_learner"
FPM = "fpm_client"
HOLD = 6  # the learner's hold time in these labs (seconds)
INTERVAL, RETRIES = 1.0, 2  # probing: 2 probes 1 s apart
# When aging starts probing a quiet host (docs/host-routing.md): hold - retries x interval -
# a tenth of an interval. A withdrawal before that was not aging.
PROBE_START = HOLD - RETRIES * INTERVAL - INTERVAL / 10
CLAIM_WINDOW = 2.0  # fpm_client's claim window (default)



def topology(fabric):
    with open(hrlab.DEFAULT_TOPOLOGY, "rb") as f:
        topo = tomllib.load(f)
    topo = copy.deepcopy(topo)
    topo["lab"]["name"] = f"hostroute-{fabric}"
    for r in ("spine", "tor1", "tor2"):
        topo["routers"][r]["protocols"] = ["ospf"] if fabric == "ospf" else ["bgp"]
    # The host-route lines docs/frr-config.md prescribes (§1, and §2.2 in the eBGP fabric);
    # the fallback fabric has §1 only.
    for tor in ("tor1", "tor2"):
        topo["routers"][tor]["frr_extra"] = hostrouting.frr_config(topo, tor, move_signal=fabric != "fallback")
    return topo


def suite_config(tor):
    return {
        "frr-hostroute:hostroute": {
            "interface": [{
                "name": "br10",
                "subnet": [{"prefix": "10.1.0.0/24"}, {"prefix": "2001:db8:1::/64"}],
                "learning": {"enabled": True},
            }],
            "learning": {"aging": {"hold-time": HOLD},
                         "probing": {"interval": int(INTERVAL * 1000), "retries": RETRIES},
                         "timeline": {"length": 24}},
        }
    }


@pytest.fixture(scope="module", params=["ospf", "bgp", "fallback"])
def fabric(request):
    require_lab_environment()
    name = request.param
    lab = hrlab.Lab(topology(name), prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        for tor in ("tor1", "tor2"):
            # The same gateway address on both ToRs (what vrrp_anycast provides): a moved VM
            # keeps its default gateway.
            lab.run(tor, ["ip", "addr", "add", "10.1.0.1/24", "dev", "br10"])
            lab.run(tor, ["ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", "br10", "nodad"])
            lab.start_daemon(tor, FPM, config=suite_config(tor))
            topics = lab.hostroutectl(tor, "show", "status", "--json", json=True)[FPM].get("topics", [])
            assert "routes" in topics, f"fpm_client on {tor} serves no host routes: topics {topics}"
            lab.start_daemon(tor, LEARNER)
        yield name, lab
    finally:
        failed = request.module.__dict__.get("_hrlab_failed", False)
        lab.down(keep_logs=failed or None)


def spine_proto(fabric, v6=False):
    if fabric == "ospf":
        return "ospf6" if v6 else "ospf"
    return "bgp"


def host(lab, tor, addr):
    out = lab.hostroutectl(tor, "show", "hosts", addr, "--json", check=False)
    try:
        return json.loads(out) if out.strip() else None
    except ValueError:
        return None


def counters(lab, tor, daemon=LEARNER):
    return lab.hostroutectl(tor, "show", "counters", "--json", json=True)[daemon]


def counter(lab, tor, name, daemon=LEARNER):
    return counters(lab, tor, daemon).get(f"{daemon}.{name}", 0)


def zebra_counter(lab, tor, name):
    """An fpm_client host-route counter from `show zebra` (docs/json.md)."""
    return lab.hostroutectl(tor, "show", "zebra", "--json", json=True)["counters"].get(name, 0)


def events(h, kind):
    """The timeline events of one kind, oldest first."""
    return [e for e in h["timeline"] if e["event"] == kind]


SPINE_PORT = {"swp1": "tor1", "swp2": "tor2"}  # the spine's interface towards each ToR


class SpineWatch:
    """Watches the spine continuously while a `with` block runs, two ways, each in a thread
    whose failure is recorded (never a silent pass):
      - `ip monitor route` in the spine's namespace: every deletion of a host prefix from its
        FIB, with the time it was seen (no gaps between polls);
      - a poller of `show bgp ... PREFIX json` and `show ip[v6] route PREFIX json` for each
        watched prefix: whether the BGP table has a path (bgp=True) and through which ToRs
        the selected route goes. Every sample is kept with its time.
    `check()` proves both were live: the poller took samples throughout and the monitor was
    still running; a test adds a canary (a deletion it causes on purpose) to prove the
    monitor saw deletions in the window."""

    def __init__(self, lab, prefixes, bgp=False, interval=0.05):
        self.lab, self.bgp, self.interval = lab, bgp, interval
        self.prefixes = list(prefixes)
        self.samples = []       # (monotonic time, prefix, bgp paths or None, frozenset of ToRs)
        self.deleted = []       # (monotonic time, line) for host prefixes
        self.errors = []
        self._stop = threading.Event()
        self._poll = threading.Thread(target=self._poller, daemon=True)
        self._mon = None
        self._mt = None

    def __enter__(self):
        self._mon = subprocess.Popen(["ip", "-n", self.lab.ns("spine"), "-o", "monitor", "route"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._mt = threading.Thread(target=self._monitor, daemon=True)
        self._mt.start()
        self._poll.start()
        wait_until(lambda: len(self.samples) >= len(self.prefixes), timeout=10, desc="first spine samples")
        return self

    def __exit__(self, *exc):
        self.monitor_alive_at_exit = self._mon.poll() is None
        self.poller_alive_at_exit = self._poll.is_alive()
        self._stop.set()
        self._poll.join(timeout=15)
        self._mon.terminate()
        self._mon.wait(timeout=5)
        self._mt.join(timeout=5)

    def _monitor(self):
        try:
            for line in self._mon.stdout:
                w = line.split()
                if len(w) >= 2 and w[0] == "Deleted" and (w[1].endswith("/128") or "/" not in w[1]):
                    self.deleted.append((time.monotonic(), line.strip()))
        except Exception as e:  # noqa: BLE001 - reported by check()
            self.errors.append(f"monitor: {e!r}")

    def _sample(self, prefix):
        afi = "ipv6" if ":" in prefix else "ipv4"
        paths = None
        if self.bgp:
            r = self.lab.vtysh_json("spine", f"show bgp {afi} unicast {prefix} json", timeout=10) or {}
            paths = len(r.get("paths", []))
        rib = self.lab.vtysh_json("spine", f"show {'ipv6' if afi == 'ipv6' else 'ip'} route {prefix} json",
                                  timeout=10) or {}
        tors = frozenset(SPINE_PORT.get(nh.get("interfaceName"), nh.get("interfaceName"))
                         for e in rib.get(prefix, []) if e.get("selected")
                         for nh in e.get("nexthops", []) if nh.get("active"))
        return paths, tors

    def _poller(self):
        while not self._stop.is_set():
            for p in self.prefixes:
                try:
                    paths, tors = self._sample(p)
                except Exception as e:  # noqa: BLE001 - a vtysh hiccup is recorded, not a pass
                    self.errors.append(f"poll {p}: {e!r}")
                    continue
                self.samples.append((time.monotonic(), p, paths, tors))
            self._stop.wait(self.interval)

    def deleted_host(self, addr):
        return [(t, l) for t, l in self.deleted if l.split()[1].split("/")[0] == addr]

    def samples_of(self, prefix, after=0.0):
        return [s for s in self.samples if s[1] == prefix and s[0] >= after]

    def missing(self, prefix):
        """Samples where the prefix was absent (no BGP path, or no selected route)."""
        return [s for s in self.samples_of(prefix) if (self.bgp and not s[2]) or not s[3]]

    def wait_samples_after(self, t, n=3, timeout=30):
        """Waits until the poller has looked at every watched prefix `n` times after `t` (the
        canary: whatever the same sweep withdrew had reached the spine by then)."""
        wait_until(lambda: all(len(self.samples_of(p, t)) >= n for p in self.prefixes), timeout=timeout,
                   desc=f"{n} spine samples of each watched prefix after the event")

    def check(self, started_before, min_before=3):
        """Both watchers ran the whole window: no error, both alive at the end, and the
        poller sampled every prefix at least `min_before` times before `started_before` (the
        event under watch). Tests also wait for samples after their canary."""
        assert not self.errors, f"the spine watcher failed: {self.errors[:5]}"
        assert self.monitor_alive_at_exit, "ip monitor died during the watch"
        assert self.poller_alive_at_exit, "the poller thread died during the watch"
        for p in self.prefixes:
            n = len([s for s in self.samples_of(p) if s[0] < started_before])
            assert n >= min_before, f"only {n} spine samples of {p} before the event"
        gaps = [b[0] - a[0] for p in self.prefixes for a, b in zip(self.samples_of(p), self.samples_of(p)[1:])]
        print(f"[e2e] spine watch: {len(self.samples)} samples, largest gap {max(gaps, default=0):.2f} s, "
              f"{len(self.deleted)} FIB deletions of host routes seen")


def tor1_neighbors(lab):
    """tor1's kernel neighbour table on br10: address -> MAC (entries with a MAC only)."""
    cp = lab.run("tor1", ["ip", "-j", "neigh", "show", "dev", "br10"], check=False)
    return {n["dst"]: n.get("lladdr") for n in json.loads(cp.stdout or "[]") if n.get("lladdr")}


def announce(lab, name, addr4, addr6=None):
    """The host speaks once: an ARP (and an ND exchange) towards its gateway."""
    lab.run(name, ["arping", "-c", "1", "-I", "eth0", "-U", addr4], check=False)
    if addr6:
        lab.run(name, ["ping", "-6", "-c", "1", "-W", "1", "2001:db8:1::2"], check=False)


def test_one_arp_routes_the_host_to_its_tor(fabric):
    name, lab = fabric
    lab.add_host("he1", "tor1", ipv4="10.1.0.51", ipv6="2001:db8:1::51", gateway4="10.1.0.1")
    announce(lab, "he1", "10.1.0.51")
    lab.wait_route("tor1", "10.1.0.51/32", protocol="table", timeout=5)
    lab.wait_route("spine", "10.1.0.51/32", protocol=spine_proto(name), via_router="tor1", timeout=10)
    h = wait_until(lambda: (x := host(lab, "tor1", "10.1.0.51")) and x["installed"] and x, timeout=5,
                   desc="show hosts: installed in zebra")
    assert h["zebra"] == "installed"
    # IPv6: learned from ND, /128 in zebra and in BGP / OSPFv3 at the spine.
    lab.run("he1", ["ping", "-6", "-c", "1", "-W", "1", "2001:db8:1::2"], check=False)
    lab.wait_route("tor1", "2001:db8:1::51/128", protocol="table", timeout=5)
    lab.wait_route("spine", "2001:db8:1::51/128", protocol=spine_proto(name, v6=True), via_router="tor1", timeout=10)
    # A host behind the spine reaches it (the /24 alone would send half the flows to tor2).
    assert wait_until(lambda: lab.ping("hs1", "10.1.0.51"), timeout=5, desc="hs1 -> he1")


def last_event_us(h, kind):
    ev = events(h, kind)
    assert ev, (kind, h["timeline"])
    return ev[-1]["atUs"]


def check_move(lab, fabric_name, addr, old, new, v6=False):
    """The host moved from `old` to `new` and spoke there. With the move signal the old ToR
    withdraws for reason moved-away before aging could even have started (the withdrawal
    within PROBE_START of the arrival at the new ToR and of the host's last sign of life at
    the old one); without it, aging withdraws within the hold time of the last sign of life.
    Both read from the learners' timelines (CLOCK_MONOTONIC microseconds, one clock for every
    namespace of the machine)."""
    signal = fabric_name != "fallback"
    plen = 128 if v6 else 32
    proto = spine_proto(fabric_name, v6)
    # With the signal every wait is shorter than aging takes: aging cannot pass for it.
    limit = PROBE_START if signal else HOLD + 4
    lab.wait_route("spine", f"{addr}/{plen}", protocol=proto, via_router=new, timeout=limit)
    lab.wait_route(new, f"{addr}/{plen}", protocol="table", timeout=5)
    h = wait_until(lambda: (x := host(lab, old, addr)) and x["state"] == "withdrawn" and x,
                   timeout=limit, desc=f"{old} withdrew {addr}")
    lab.wait_route(old, f"{addr}/{plen}", protocol="table", present=False, timeout=5)
    arrived = last_event_us(host(lab, new, addr), "learned")
    withdrawn = last_event_us(h, "withdrawn")
    quiet_ms = h["lastSeenMsAgo"] - events(h, "withdrawn")[-1]["msAgo"]  # withdrawn - last seen
    print(f"[e2e] {fabric_name}: {addr} {old} -> {new}: {old} withdrew {(withdrawn - arrived) / 1000:.0f} ms "
          f"after the arrival at {new}, {quiet_ms} ms after its last sign of life there ({h['reason']})")
    if signal:
        assert h["reason"] == "moved-away", h  # the signal, not aging
        assert events(h, "remote-route"), h["timeline"]
        assert [e for e in events(h, "probed") if "verify-remote" in e["detail"]], h["timeline"]
        assert withdrawn - arrived < PROBE_START * 1e6, (withdrawn - arrived, h["timeline"])
        assert quiet_ms < PROBE_START * 1000, (quiet_ms, h)
    else:
        assert h["reason"] == "aged", h  # no signal: the hold time did it
        assert quiet_ms <= HOLD * 1000, (quiet_ms, h)
    return h


def test_vm_move_and_back(fabric):
    name, lab = fabric
    lab.add_host("he2", "tor1", ipv4="10.1.0.52", ipv6="2001:db8:1::52", gateway4="10.1.0.1",
                 gateway6="2001:db8:1::1")
    announce(lab, "he2", "10.1.0.52", "2001:db8:1::52")
    lab.wait_route("spine", "10.1.0.52/32", protocol=spine_proto(name), via_router="tor1", timeout=10)
    lab.wait_route("spine", "2001:db8:1::52/128", protocol=spine_proto(name, v6=True), via_router="tor1", timeout=10)
    for old, new in (("tor1", "tor2"), ("tor2", "tor1")):
        lab.move_host("he2", new)
        announce(lab, "he2", "10.1.0.52", "2001:db8:1::52")
        check_move(lab, name, "10.1.0.52", old, new)
        # The /128 follows (learned from the host's ND on the new ToR), the same way.
        check_move(lab, name, "2001:db8:1::52", old, new, v6=True)
        # Traffic from behind the spine reaches the moved host.
        assert wait_until(lambda: lab.ping("hs1", "10.1.0.52"), timeout=5, desc=f"hs1 -> he2 behind {new}")
        assert wait_until(lambda: lab.ping("hs1", "2001:db8:1::52"), timeout=5, desc=f"hs1 -> he2 behind {new} (v6)")


@pytest.mark.parametrize("fabric", ["ospf", "bgp"], indirect=True)  # the move-signal fabrics
def test_spoofer_behind_the_other_tor_does_not_take_a_live_host(fabric):
    """A spoofer behind tor2 claims the address of a live host on tor1 (scapy gratuitous
    ARPs, and it answers ARP for the address: both answer). tor2 cannot tell that from a VM
    move and claims it; tor1 hears the claim (signal fabrics), finds its host answering and,
    having had it first, keeps and re-claims it; tor2's claim relaxes, loses to tor1's copy
    and tor2 yields. The spine routes to tor1 only from then on, while the spoofer goes on.
    Only in the move-signal fabrics: without the signal configuration neither ToR hears the
    other (docs/host-routing.md "Duplicates across the fabric")."""
    name, lab = fabric
    addr = "10.1.0.57"
    lab.add_host("he7", "tor1", ipv4=addr, gateway4="10.1.0.1")
    assert lab.ping("he7", "10.1.0.2")
    lab.wait_route("spine", f"{addr}/32", protocol=spine_proto(name), via_router="tor1", timeout=10)
    wait_until(lambda: (x := host(lab, "tor1", addr)) and x["installed"], timeout=5, desc="tor1: installed")
    real, spoof = lab.host_mac("he7"), lab.host_mac("hx7")
    lab.add_host("hx7", "tor2", ipv4=addr, gateway4="none", gateway6="none")  # the same address
    before = {t: counters(lab, t) for t in ("tor1", "tor2")}
    garps = lab.popen("hx7", ["/usr/bin/python3", "-c",
                              "from scapy.all import *\nimport time\nconf.verb = 0\n"
                              f"p = Ether(src='{spoof}', dst='ff:ff:ff:ff:ff:ff')/ARP(op=1, hwsrc='{spoof}', "
                              f"psrc='{addr}', hwdst='00:00:00:00:00:00', pdst='{addr}')\n"
                              "for _ in range(200):\n    sendp(p, iface='eth0')\n    time.sleep(0.25)\n"])
    try:
        started = time.monotonic()
        with SpineWatch(lab, [f"{addr}/32"]) as w:
            # tor2 learned the spoofer as a newcomer and yielded: flagged, counted, held.
            h2 = wait_until(lambda: (x := host(lab, "tor2", addr)) and x.get("duplicate") and x,
                            timeout=3 * CLAIM_WINDOW + 4, desc="tor2 flags the address duplicate")
            assert h2["mac"] == spoof and h2["duplicateOf"]["remote"], h2
            assert h2["duplicateOf"]["role"] == "newcomer", h2
            assert counter(lab, "tor2", "mobility.conflicts_yielded") > \
                before["tor2"].get(f"{LEARNER}.mobility.conflicts_yielded", 0)
            r2 = lab.hostroutectl("tor2", "show", "routes", addr, "--json", json=True)["routes"][0]
            assert (r2["mode"], r2["state"]) == ("hold", "shadowed"), r2  # held, losing: not advertised
            h1 = host(lab, "tor1", addr)
            assert h1["state"] == "active" and h1["mac"] == real, h1  # never taken over
            # tor1 heard tor2's claim, its host answered: it had it first, kept it.
            assert h1["duplicate"] and h1["duplicateOf"]["role"] == "first", h1
            assert counter(lab, "tor1", "mobility.conflicts_defended") > \
                before["tor1"].get(f"{LEARNER}.mobility.conflicts_defended", 0)
            assert counter(lab, "tor1", "mobility.remote_conflicts") > \
                before["tor1"].get(f"{LEARNER}.mobility.remote_conflicts", 0)
            # The spine routes to tor1 only, and keeps doing so while the spoofer goes on.
            wait_until(lambda: w.samples_of(f"{addr}/32") and w.samples_of(f"{addr}/32")[-1][3] == {"tor1"},
                       timeout=5, desc="spine routes to tor1 only")
            settled = time.monotonic()
            transient = [(round(t - started, 2), sorted(v)) for t, _, _, v in w.samples_of(f"{addr}/32")
                         if v != {"tor1"}]
            watch_until = settled + 3 * CLAIM_WINDOW
            while time.monotonic() < watch_until:
                assert garps.poll() is None, "the spoofer stopped early"
                time.sleep(0.2)  # the watcher samples every 50 ms; this paces the check only
            after = w.samples_of(f"{addr}/32", settled)
            span = f"from +{transient[0][0]} s to +{transient[-1][0]} s" if transient else "never"
            print(f"[e2e] {name}: spoof (claim window {CLAIM_WINDOW} s): the spine left tor1-only "
                  f"{span} after the spoofer started ({len(transient)} samples, {transient[:2]}); then "
                  f"{len(after)} samples over {3 * CLAIM_WINDOW} s, "
                  f"{sum(1 for s in after if s[3] != {'tor1'})} not tor1-only")
            assert [s for s in after if s[3] != {"tor1"}] == [], "the spine left tor1 while the spoofer went on"
        w.check(started_before=settled)
        # tor2 still has it yielded (flagged while tor1's copy is there), tor1 still has it:
        # the spoofer never took it over. (tor1 no longer sees tor2's copy: its own flag
        # clears a hold time after the last one it saw.)
        assert host(lab, "tor2", addr)["duplicateOf"]["role"] == "newcomer"
        assert host(lab, "tor1", addr)["mac"] == real
        # Traffic from behind the spine goes to tor1, whose kernel sends it to the real MAC.
        assert tor1_neighbors(lab).get(addr) == real
        assert wait_until(lambda: lab.ping("hs1", addr), timeout=5, desc="hs1 -> he7")
    finally:
        garps.kill()
        garps.wait(timeout=5)
        lab.remove_host("hx7")


@pytest.mark.parametrize("fabric", ["bgp"], indirect=True)  # once, in the eBGP fabric
def test_kill9_learner_spine_never_loses_a_live_host(fabric):
    """kill -9 of the learner and a restart: nothing valid is withdrawn, also a host the
    restarted learner cannot find in the kernel's neighbour table (known only from snooping:
    fpm_client still holds its route, the learner probes it before its sync ends); a host
    that died meanwhile is swept. The spine's BGP table and FIB are watched throughout; the
    dead host's deletion at the spine is the canary that the watch saw the sweep."""
    name, lab = fabric
    live = {"he3": "10.1.0.53", "he3s": "10.1.0.63"}  # in the kernel's table / snooped only
    dead = ("he3d", "10.1.0.73")                        # snooped only, dies during the restart
    for n, a in [*live.items(), dead]:
        lab.add_host(n, "tor1", ipv4=a, gateway4="10.1.0.1")
    assert lab.ping("he3", "10.1.0.2")  # the kernel's neighbour table has it
    announce(lab, "he3s", live["he3s"])  # a gratuitous ARP: snooped, the kernel keeps no entry
    announce(lab, dead[0], dead[1])
    for a in [*live.values(), dead[1]]:
        lab.wait_route("spine", f"{a}/32", protocol="bgp", via_router="tor1", timeout=10)
    neigh = tor1_neighbors(lab)
    assert live["he3"] in neigh and live["he3s"] not in neigh and dead[1] not in neigh, neigh
    syncs = zebra_counter(lab, "tor1", "routes.syncs")
    swept = zebra_counter(lab, "tor1", "routes.swept")
    with SpineWatch(lab, [f"{a}/32" for a in live.values()], bgp=True) as w:
        w.wait_samples_after(0, n=3)
        t_kill = time.monotonic()
        lab.link_down(dead[0], "eth0")  # dies: it will not answer the restarted learner
        lab.kill_daemon("tor1", LEARNER)
        lab.start_daemon("tor1", LEARNER)
        # The window, by conditions: the learner re-synced, fpm_client swept the dead host,
        # the spine's FIB lost it (the canary), and the poller looked at the live hosts again
        # after that (the FIB monitor watches without gaps throughout).
        wait_until(lambda: lab.hostroutectl("tor1", "show", "hosts", "--json", json=True)["fpmClient"]["synced"],
                   timeout=10, desc="learner re-synced with fpm_client")
        wait_until(lambda: zebra_counter(lab, "tor1", "routes.syncs") > syncs, timeout=10, desc="SyncEnd processed")
        assert zebra_counter(lab, "tor1", "routes.swept") == swept + 1  # the dead host only
        canary = wait_until(lambda: w.deleted_host(dead[1]), timeout=10, desc="the spine's FIB lost the dead host")
        w.wait_samples_after(canary[0][0])
    w.check(started_before=t_kill)
    for a in live.values():
        assert not w.missing(f"{a}/32"), f"the spine lost {a}/32: {w.missing(f'{a}/32')[:5]}"
        assert not w.deleted_host(a), w.deleted_host(a)
    hs = host(lab, "tor1", live["he3s"])
    assert hs["learned"] and "recovered" in events(hs, "learned")[-1]["detail"], hs["timeline"]
    assert "start-up dump" in events(host(lab, "tor1", live["he3"]), "learned")[-1]["detail"]
    hd = host(lab, "tor1", dead[1])
    assert hd is None or not hd.get("learned"), hd
    lab.wait_route("tor1", f"{dead[1]}/32", present=False, timeout=5)
    lab.wait_route("spine", f"{dead[1]}/32", present=False, timeout=5)
    assert counter(lab, "tor1", "recover.recovered") == 1
    assert counter(lab, "tor1", "recover.unanswered") == 1


@pytest.mark.parametrize("fabric", ["bgp"], indirect=True)  # once, in the eBGP fabric
def test_kill9_fpm_client_spine_never_loses_the_route(fabric):
    """kill -9 of fpm_client with the real learner: zebra keeps its routes under graceful
    restart, the restarted fpm_client gets the learner's full table and completes the
    restart. The spine's BGP table never loses the live host (watched); a host the learner
    forgot while fpm_client was away is flushed at the end (the canary)."""
    name, lab = fabric
    addr, gone = "10.1.0.56", "10.1.0.66"
    lab.add_host("he6", "tor1", ipv4=addr, gateway4="10.1.0.1")
    lab.add_host("he6c", "tor1", ipv4=gone, gateway4="10.1.0.1")
    assert lab.ping("he6", "10.1.0.2")
    announce(lab, "he6c", gone)
    for a in (addr, gone):
        lab.wait_route("spine", f"{a}/32", protocol="bgp", via_router="tor1", timeout=10)
    with SpineWatch(lab, [f"{addr}/32"], bgp=True) as w:
        w.wait_samples_after(0, n=3)
        t_kill = time.monotonic()
        lab.kill_daemon("tor1", FPM)
        # While fpm_client is away the learner forgets the canary host; its withdrawal waits
        # for the next sync (the timeline says so), and zebra keeps its stale copy meanwhile.
        lab.hostroutectl("tor1", "clear", "host", gone)
        lab.start_daemon("tor1", FPM)
        wait_until(lambda: lab.hostroutectl("tor1", "show", "zebra", "--json", json=True)
                   ["gracefulRestart"]["state"] == "complete", timeout=20, desc="fpm_client's graceful restart complete")
        canary = wait_until(lambda: w.deleted_host(gone), timeout=10, desc="the spine's FIB lost the forgotten host")
        w.wait_samples_after(canary[0][0])
    w.check(started_before=t_kill)
    assert not w.missing(f"{addr}/32"), f"the spine lost {addr}/32: {w.missing(f'{addr}/32')[:5]}"
    assert not w.deleted_host(addr), w.deleted_host(addr)
    lab.wait_route("spine", f"{gone}/32", present=False, timeout=5)
    h = host(lab, "tor1", addr)
    assert h["learned"] and h["zebra"] == "installed", h


@pytest.mark.parametrize("fabric", ["ospf"], indirect=True)  # once, in the OSPF fabric
def test_frr_restart_and_interface_flap(fabric):
    name, lab = fabric
    lab.add_host("he4", "tor1", ipv4="10.1.0.54", gateway4="10.1.0.1")
    assert lab.ping("he4", "10.1.0.2")
    lab.wait_route("spine", "10.1.0.54/32", protocol="ospf", via_router="tor1", timeout=10)
    # FRR restarted as watchfrr does: every host route comes back, nobody re-learns by hand.
    lab.restart_frr("tor1")
    lab.wait_ospf_full("tor1", timeout=30)
    lab.wait_route("tor1", "10.1.0.54/32", protocol="table", timeout=20)
    lab.wait_route("spine", "10.1.0.54/32", protocol="ospf", via_router="tor1", timeout=20)
    # The host's interface goes down and up: the route leaves and returns with it.
    lab.link_down("tor1", "br10")
    lab.wait_route("spine", "10.1.0.54/32", present=False, timeout=10)
    lab.link_up("tor1", "br10")
    lab.wait_route("spine", "10.1.0.54/32", protocol="ospf", via_router="tor1", timeout=15)
