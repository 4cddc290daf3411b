"""The FPM data path with real FRR (lab/topologies/fpm.toml): zebra on the ToR, loaded with
dplane_fpm_nl, streams its FIB to fpm_client, which programs a separate `asic` namespace.

Every comparison is between zebra's own FIB (`show ip[v6] route json`, selected and
installed entries) and the asic namespace's kernel FIB (routes with fpm_client's metric 20),
polled until they agree; on failure the difference is printed.
"""

import contextlib
import ipaddress
import json
import os
import signal
import socket
import struct
import subprocess
import time

import hrlab
import pytest
from hrlab import Observation
from hrlab.topology import DEFAULT_TOPOLOGY

from conftest import lab_prefix, require_lab_environment

FPM_TOPO = DEFAULT_TOPOLOGY.parent / "fpm.toml"
METRIC = 20
OTHER_TABLES = (100, 1000)  # the ToR's `ip route ... table N` routes (fpm.toml): never replayed by zebra


def dp_config(lab, **dataplane) -> dict:
    dp = {"enabled": True, "backend": {"netns": lab.ns("asic")}}
    dp.update(dataplane)
    return {"frr-hostroute:hostroute": {"frr-hostroute-dataplane:dataplane": dp}}


@pytest.fixture(scope="module")
def flab(request):
    require_lab_environment()
    lab = hrlab.Lab.from_file(FPM_TOPO, prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        lab.wait_route("tor", "192.0.2.0/24", protocol="bgp", timeout=30)
        yield lab
    finally:
        lab.down(keep_logs=request.module.__dict__.get("_hrlab_failed", False) or None)


@pytest.fixture
def fpm(flab):
    """fpm_client on the ToR with the software profile, synced with zebra."""
    flab.start_daemon("tor", "fpm_client", config=dp_config(flab))
    wait_synced(flab)
    yield flab
    if flab.daemon_pid("tor", "fpm_client"):
        flab.stop_daemon("tor", "fpm_client")


# --- reading both FIBs -------------------------------------------------------------------

def net(s: str) -> str:
    return str(ipaddress.ip_network("0.0.0.0/0" if s == "default" else s, strict=False))


def zebra_fib(lab, table: int | None = None) -> dict:
    """{prefix: frozenset((gateway|None, ifname)) or 'blackhole'} of zebra's FIB."""
    out = {}
    for afi in ("ip", "ipv6"):
        tbl = f" table {table}" if table else ""
        data = lab.vtysh_json("tor", f"show {afi} route{tbl} json")
        for prefix, entries in data.items():
            for e in entries:
                if not (e.get("selected") and e.get("installed")):
                    continue
                hops = [h for h in e.get("nexthops", []) if h.get("fib")]
                if any(h.get("unreachable") or h.get("blackhole") for h in hops):
                    out[net(prefix)] = "blackhole"
                else:
                    out[net(prefix)] = frozenset((h.get("ip"), h.get("interfaceName")) for h in hops)
    return out


def asic_fib(lab, table: str = "main") -> dict:
    out = {}
    for fam in ("-4", "-6"):
        r = lab.run("asic", f"ip {fam} -j -d route show table {table}", check=False)
        if r.returncode != 0 and "does not exist" in r.stderr:
            continue  # no route of that family in that table yet
        for rt in json.loads(r.stdout or "[]"):
            if rt.get("metric") != METRIC:
                continue
            if rt.get("type") == "blackhole":
                out[net(rt["dst"])] = "blackhole"
                continue
            hops = rt.get("nexthops") or [rt]
            out[net(rt["dst"])] = frozenset((h.get("gateway"), h.get("dev")) for h in hops)
    return out


def fib_diff(want: dict, got: dict) -> str:
    lines = []
    for p in sorted(set(want) | set(got)):
        if want.get(p) != got.get(p):
            lines.append(f"  {p}: zebra {want.get(p)} / asic {got.get(p)}")
    return "\n".join(lines)


def wait_fibs_equal(lab, timeout=20.0, desc="asic == zebra's FIB"):
    def same():
        z, a = zebra_fib(lab), asic_fib(lab)
        diff = fib_diff(z, a)
        ok = not diff and len(z) > 10
        for table in OTHER_TABLES:
            d = fib_diff(zebra_fib(lab, table), asic_fib(lab, str(table)))
            ok, diff = ok and not d, diff + d
        return Observation(ok, observed=diff, expected="no difference")

    lab.wait_until(same, timeout=timeout, desc=desc)
    return asic_fib(lab)


def dataplane(lab, *args) -> dict:
    return lab.hostroutectl("tor", "show", "dataplane", *args, "--json", json=True)


def wait_synced(lab, generation: int | None = None, timeout=20.0) -> dict:
    """Until fpm_client has a session and zebra's replay is complete (swept)."""

    def synced():
        d = dataplane(lab)
        rp = d["fpm"]["replay"]
        ok = d["fpm"]["connected"] and d["fpm"]["session"] == "synced" and (
            generation is None or rp["generation"] >= generation)
        return Observation(ok, observed={"connected": d["fpm"]["connected"], "session": d["fpm"]["session"],
                                         "generation": rp["generation"]})

    lab.wait_until(synced, timeout=timeout, desc="fpm_client synced with zebra")
    return dataplane(lab)


class RouteMonitor:
    """`ip monitor route` in a namespace: every route change seen while it runs.

    Live, proven both ways: before the action it waits until the monitor shows a canary (a
    blackhole route added to and removed from the `local` table, which zebra and fpm_client
    both ignore), and stop() does that again before ending it, so every change the kernel
    notified in between has been read. The canaries' lines are not part of the result."""

    _serial = 0

    def __init__(self, lab, node):
        self.lab, self.node = lab, node
        self.path = lab.node_workdir(node) / f"monitor-{time.monotonic_ns()}.log"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(["ip", "-n", lab.ns(node), "monitor", "route"],
                                     stdout=open(self.path, "w"), stderr=subprocess.STDOUT)
        RouteMonitor._serial += 1
        self.marker = f"100.127.255.{RouteMonitor._serial % 250 + 1}"
        self.canaries = 0
        self._canary()

    def _lines(self) -> list[str]:
        return [l for l in self.path.read_text().splitlines() if l and not l.startswith(("\t", " "))]

    def _canary(self):
        route = f"blackhole {self.marker}/32 table local"
        for verb, seen in (("add", lambda l: not l.startswith("Deleted ")),
                           ("del", lambda l: l.startswith("Deleted "))):
            before = sum(1 for l in self._lines() if self.marker in l and seen(l))
            self.lab.run(self.node, f"ip route {verb} {route}")
            self.lab.wait_until(
                lambda: sum(1 for l in self._lines() if self.marker in l and seen(l)) > before,
                timeout=10, desc=f"ip monitor in {self.node} shows the canary ({verb})")
        self.canaries += 1

    def stop(self) -> list[str]:
        self._canary()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=5)
        assert self.canaries == 2, "the monitor was not proven live before and after"
        return [l for l in self._lines() if self.marker not in l]


def prefixes(lines, deleted: bool) -> set:
    out = set()
    for l in lines:
        if l.startswith("Deleted ") != deleted:
            continue
        words = l.removeprefix("Deleted ").split()
        dst = words[1] if words[0] in ("blackhole", "unreachable", "prohibit") else words[0]
        out.add(net(dst))
    return out


def bgp(lab, router, asn, *lines):
    lab.frr_config(router, [f"router bgp {asn}", "address-family ipv4 unicast", *lines])


# --- tests --------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["next-hop-groups", "inline"])
def test_bgp_routes_reach_the_asic_with_their_next_hops(fpm, mode):
    lab = fpm
    if mode == "inline":
        gen = dataplane(lab)["fpm"]["replay"]["generation"]
        lab.vtysh("tor", "configure terminal", "no fpm use-next-hop-groups")
        wait_synced(lab, generation=gen + 1)
    try:
        fib = wait_fibs_equal(lab)
        d = dataplane(lab)
        # The mode really is what the test says: zebra sends next-hop objects or none.
        assert (d["mirror"]["nexthops"] > 0) == (mode == "next-hop-groups"), d["mirror"]
        # ECMP over the two spines, IPv4 and IPv6 (link-local gateways).
        assert {dev for _, dev in fib["192.0.2.0/24"]} == {"swp1", "swp2"}
        assert len(fib["2001:db8:100::/48"]) == 2
        # Host routes learned by BGP, a static, a blackhole, tables 100 (< 256: rtm_table) and
        # 1000 (RTA_TABLE).
        assert fib["100.64.0.1/32"] == {("10.0.1.1", "swp1")}
        assert fib["203.0.113.128/25"] == "blackhole"
        assert asic_fib(lab, "100")["198.18.2.0/24"] == {("10.0.1.1", "swp1")}
        assert asic_fib(lab, "1000")["198.18.1.0/24"] == {("10.0.2.1", "swp2")}
        assert d["routes"]["software"] == d["mirror"]["routes"] and d["routes"]["pending"] == 0
        # Hardware flags are notified in the asic (a driver's later flag changes reach us).
        assert d["backend"]["flagNotifications"] is True
        for fam in ("ipv4", "ipv6"):
            out = lab.run("asic", f"sysctl -n net.{fam}.fib_notify_on_flag_change").stdout.strip()
            assert out == "1", f"net.{fam}.fib_notify_on_flag_change = {out} in the asic"

        # s2 withdraws the ECMP prefix: one path left; s1 withdraws another: gone.
        bgp(lab, "s2", 65102, "no network 192.0.2.0/24")
        bgp(lab, "s1", 65101, "no network 198.51.100.0/24")
        lab.wait_route("tor", "198.51.100.0/24", present=False, timeout=10)
        fib = wait_fibs_equal(lab)
        assert fib["192.0.2.0/24"] == {("10.0.1.1", "swp1")}
        assert "198.51.100.0/24" not in fib
        bgp(lab, "s2", 65102, "network 192.0.2.0/24")
        bgp(lab, "s1", 65101, "network 198.51.100.0/24")
        lab.wait_route("tor", "198.51.100.0/24", timeout=10)
        fib = wait_fibs_equal(lab)
        assert len(fib["192.0.2.0/24"]) == 2
    finally:
        if mode == "inline":
            lab.vtysh("tor", "configure terminal", "fpm use-next-hop-groups")


def test_mode_switch_replay_changes_nothing_in_the_asic(fpm):
    lab = fpm
    before = wait_fibs_equal(lab)
    mon = RouteMonitor(lab, "asic")
    for cmd in ("no fpm use-next-hop-groups", "fpm use-next-hop-groups"):
        gen = dataplane(lab)["fpm"]["replay"]["generation"]
        lab.vtysh("tor", "configure terminal", cmd)
        wait_synced(lab, generation=gen + 1)
    changes = mon.stop()
    assert changes == [], "a replay in the other encoding touched the asic:\n" + "\n".join(changes)
    assert asic_fib(lab) == before


@contextlib.contextmanager
def fpm_mode(lab, mode):
    """zebra's FPM encoding for the block: next-hop groups (zebra's default) or inline next
    hops, in the running config and in frr.conf (an FRR restart keeps it); restored after."""
    if mode == "next-hop-groups":
        yield
        return
    router = lab.topo.routers["tor"]
    extra = router.frr_extra
    gen = dataplane(lab)["fpm"]["replay"]["generation"]
    router.frr_extra = extra + "no fpm use-next-hop-groups\n"
    lab.vtysh("tor", "configure terminal", "no fpm use-next-hop-groups")
    wait_synced(lab, generation=gen + 1)
    try:
        yield
        assert dataplane(lab)["mirror"]["nexthops"] == 0, "zebra did not stay in inline mode"
    finally:
        router.frr_extra = extra
        gen = dataplane(lab)["fpm"]["replay"]["generation"]
        lab.vtysh("tor", "configure terminal", "fpm use-next-hop-groups")
        wait_synced(lab, generation=gen + 1, timeout=30)


MODES = ["next-hop-groups", "inline"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_fpm_client_restart_keeps_the_asic_and_sweeps_only_stale_routes(fpm, sig, mode):
    """fpm_client stops (cleanly, or killed: nothing to flush either way), zebra changes two
    routes meanwhile; after the restart and zebra's replay the asic equals zebra's FIB, and
    the only changes it saw are those two."""
    lab = fpm
    with fpm_mode(lab, mode):
        before = wait_fibs_equal(lab)
        mon = RouteMonitor(lab, "asic")
        lab.stop_daemon("tor", "fpm_client", sig=sig)
        # While fpm_client is down zebra withdraws one route and learns another; FPM.md §0.5:
        # the withdrawal is never re-sent, only the replay tells.
        bgp(lab, "s1", 65101, "no network 198.51.100.0/24", "network 198.51.101.0/24")
        lab.wait_route("tor", "198.51.101.0/24", timeout=10)
        lab.wait_route("tor", "198.51.100.0/24", present=False, timeout=10)
        try:
            lab.start_daemon("tor", "fpm_client")
            d = wait_synced(lab)
            after = wait_fibs_equal(lab, desc="asic == zebra's FIB after the restart")
            changes = mon.stop()
            assert prefixes(changes, deleted=True) == {"198.51.100.0/24"}, "\n".join(changes)
            assert prefixes(changes, deleted=False) == {"198.51.101.0/24"}, "\n".join(changes)
            assert set(before) - set(after) == {"198.51.100.0/24"}
            assert d["counters"]["orphansDeleted"] == 1
            assert d["backend"]["counters"]["resyncs"] >= 1
            assert (d["mirror"]["nexthops"] > 0) == (mode == "next-hop-groups"), d["mirror"]
        finally:
            bgp(lab, "s1", 65101, "network 198.51.100.0/24", "no network 198.51.101.0/24")
        lab.wait_route("tor", "198.51.101.0/24", present=False, timeout=10)
        wait_fibs_equal(lab)


def kill_zebra(lab):
    """SIGKILL of the ToR's zebra (a crash): no withdrawal over FPM or from its kernel."""
    pid = lab.frr_pids("tor")["zebra"]
    os.kill(pid, signal.SIGKILL)
    lab.wait_until(lambda: "zebra" not in lab.frr_pids("tor"), timeout=10, desc="zebra gone")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["restart", "zebra-kill9"])
def test_frr_restart_asic_follows_only_what_zebra_did(fpm, how, mode):
    """FRR restarted as watchfrr does it (all daemons: restarting zebra alone leaves bgpd and
    staticd stale, LAB.md): `restart` stops them cleanly (bgpd and staticd first, so zebra
    withdraws their routes from its own kernel FIB and over FPM before it goes, a flap of the
    ToR itself); `zebra-kill9` kills zebra first (a crash: its kernel routes stay, the new
    zebra finds and sweeps them) and then restarts the rest.

    fpm_client adds no flap of its own: every route the asic saw added, replaced or removed
    was added, replaced or removed in the ToR's kernel too (a route the ToR kept is never
    rewritten in the asic), connected routes are never touched, and after the new zebra's
    replay the asic holds exactly zebra's FIB (no stale, no missing route)."""
    lab = fpm
    with fpm_mode(lab, mode):
        before = wait_fibs_equal(lab)
        gen = dataplane(lab)["fpm"]["replay"]["generation"]
        asic_mon, tor_mon = RouteMonitor(lab, "asic"), RouteMonitor(lab, "tor")
        if how == "zebra-kill9":
            kill_zebra(lab)
        lab.restart_frr("tor")
        lab.wait_bgp_established("tor", timeout=30)
        lab.wait_route("tor", "192.0.2.0/24", protocol="bgp", timeout=30)
        wait_synced(lab, generation=gen + 1, timeout=30)
        after = wait_fibs_equal(lab, timeout=30, desc="asic == zebra's FIB after the FRR restart")
        asic_changes, tor_changes = asic_mon.stop(), tor_mon.stop()
        asic_changed = prefixes(asic_changes, deleted=True) | prefixes(asic_changes, deleted=False)
        tor_changed = prefixes(tor_changes, deleted=True) | prefixes(tor_changes, deleted=False)
        print(f"{how}/{mode}: the ToR's kernel removed {len(prefixes(tor_changes, deleted=True))} and"
              f" added {len(prefixes(tor_changes, deleted=False))} routes; the asic changed"
              f" {len(asic_changed)}: {sorted(asic_changed)}")
        assert asic_changed <= tor_changed, (
            f"the asic rewrote routes the ToR kept: {sorted(asic_changed - tor_changed)}\n"
            + "\n".join(asic_changes))
        connected = {p for p, hops in before.items() if hops != "blackhole" and all(g is None for g, _ in hops)}
        assert connected and not (asic_changed & connected), asic_changed & connected
        assert set(after) == set(before)
        assert (dataplane(lab)["mirror"]["nexthops"] > 0) == (mode == "next-hop-groups")


def test_tiny_profile_refuses_and_reports_routes_beyond_capacity(fpm):
    lab = fpm
    tiny = {"name": "tiny", "driver": "veth", "offload": False,
            "capacity": {"host-routes": 3}, "warning-threshold": 50}
    lab.config_path("tor").write_text(json.dumps(dp_config(lab, profile="tiny", **{"switch-profile": [tiny]})))
    lab.hostroutectl("tor", "reload", "fpm_client")
    # Host routes rank by (length, connected < static < IGP < BGP, address): the two
    # connected loopbacks and the lowest BGP /32 fit, the rest is refused.
    admitted = {"10.255.0.1/32", "2001:db8:ff::1/128", "10.255.0.11/32"}
    refused = {"10.255.0.12/32", "100.64.0.1/32", "100.64.0.2/32", "2001:db8:ff::11/128", "2001:db8:ff::12/128"}

    def hosts_in_asic():
        a = asic_fib(lab)
        got = {p for p in a if ipaddress.ip_network(p).prefixlen in (32, 128)}
        return Observation(got == admitted, observed=sorted(got), expected=sorted(admitted))

    lab.wait_until(hosts_in_asic, timeout=10, desc="only the admitted host routes in the asic")
    d = dataplane(lab)
    usage = {u["resource"]: u for u in d["profile"]["usage"]}
    assert d["profile"]["name"] == "tiny" and d["routes"]["refused"] == len(refused)
    assert usage["host-routes"]["used"] == 3 and usage["host-routes"]["capacity"] == 3
    assert usage["host-routes"]["warning"] is True
    listed = dataplane(lab, "routes", "refused")["routes"]
    assert {r["prefix"] for r in listed} == refused
    assert all(r["reason"] == "host-routes-full" for r in listed)
    # Everything else still works: the LPM routes are all there.
    zebra = zebra_fib(lab)
    a = asic_fib(lab)
    lpm = {p for p in zebra if ipaddress.ip_network(p).prefixlen not in (32, 128)}
    assert {p: a.get(p) for p in lpm} == {p: zebra[p] for p in lpm}
    # A static /32 ranks above BGP: it evicts the worst admitted route, and when it goes
    # that route comes back.
    lab.frr_config("tor", ["ip route 10.9.9.9/32 10.0.1.1"])
    lab.wait_until(lambda: "10.9.9.9/32" in asic_fib(lab) and "10.255.0.11/32" not in asic_fib(lab),
                   timeout=10, desc="the static /32 evicts the BGP /32")
    lab.frr_config("tor", ["no ip route 10.9.9.9/32 10.0.1.1"])
    lab.wait_until(hosts_in_asic, timeout=10, desc="the evicted route is back")
    # Back to the software profile: everything is programmed.
    lab.config_path("tor").write_text(json.dumps(dp_config(lab)))
    lab.hostroutectl("tor", "reload", "fpm_client")
    wait_fibs_equal(lab)
    assert dataplane(lab)["routes"]["refused"] == 0


def host_routing_config(lab) -> dict:
    """The data path plus host routing on br10 in one fpm_client (and the learner reading the
    same document), as tests/integration/test_hostroute_e2e.py configures host routing."""
    cfg = dp_config(lab)
    cfg["frr-hostroute:hostroute"].update({
        "interface": [{
            "name": "br10",
            "subnet": [{"prefix": "10.1.0.0/24"}, {"prefix": "2001:db8:10::/64"}],
            "learning": {"enabled": True},
        }],
        "learning": {"aging": {"hold-time": 6}, "probing": {"interval": 1000, "retries": 2}},
    })
    return cfg


def test_learned_host_route_reaches_the_asic_and_leaves_with_the_host(fpm):
    """Issue 5 item 1 with issue 3's host routes: hostroute_learner on the ToR learns a real
    host from its traffic, fpm_client injects its /32 and /128 into zebra over ZAPI, zebra
    streams them over FPM, and the same fpm_client programs them into the asic with zebra's
    next hop; when the host is gone and withdrawn, they leave the asic."""
    lab = fpm
    lab.stop_daemon("tor", "fpm_client")
    lab.start_daemon("tor", "fpm_client", config=host_routing_config(lab))
    topics = lab.hostroutectl("tor", "show", "status", "--json", json=True)["fpm_client"].get("topics", [])
    assert "routes" in topics and "dataplane" in topics, topics
    wait_synced(lab)
    lab.start_daemon("tor", "hostroute_learner")
    hosts = {"10.1.0.51/32": "10.1.0.51", "2001:db8:10::51/128": "2001:db8:10::51"}
    try:
        lab.add_host("hh1", "tor", ipv4="10.1.0.51", ipv6="2001:db8:10::51")
        assert lab.ping("hh1", "10.1.0.2")  # ARP: the host is in the ToR's neighbour table
        assert wait_until_ping6(lab, "hh1", "2001:db8:10::2")  # ND
        for prefix in hosts:
            lab.wait_route("tor", prefix, protocol="table", timeout=10)

        def in_asic():
            z, a = zebra_fib(lab), asic_fib(lab)
            got = {p: a.get(p) for p in hosts}
            want = {p: z.get(p) for p in hosts}
            ok = got == want and all(w and {dev for _, dev in w} == {"br10"} for w in want.values())
            return Observation(ok, observed=got, expected=want)

        lab.wait_until(in_asic, timeout=10, desc="the host's /32 and /128 in the asic, zebra's next hop")
        wait_fibs_equal(lab)
        listed = dataplane(lab, "routes", "10.1.0.51/32")["routes"]
        assert [(r["prefix"], r["state"]) for r in listed] == [("10.1.0.51/32", "software")], listed

        # The host goes away; the operator withdraws it (the learner would age it out after
        # the hold time and failed probes): both routes leave zebra and the asic.
        lab.remove_host("hh1")
        for addr in hosts.values():
            lab.hostroutectl("tor", "clear", "host", addr)
        for prefix in hosts:
            lab.wait_route("tor", prefix, present=False, timeout=10)
        lab.wait_until(lambda: not (set(hosts) & set(asic_fib(lab))), timeout=10,
                       desc="the host's routes withdrawn from the asic")
        wait_fibs_equal(lab)
    finally:
        if "hh1" in lab.hosts:
            lab.remove_host("hh1")
        lab.stop_daemon("tor", "hostroute_learner")


def wait_until_ping6(lab, node, addr) -> bool:
    """IPv6 neighbour discovery may need a moment after the link comes up (tentative address)."""
    return lab.wait_until(lambda: lab.ping(node, addr), timeout=10, desc=f"{node} pings {addr}")


def send_to_fpm(lab, data: bytes):
    """Connects to 127.0.0.1:2620 in the ToR's namespace and sends `data`."""
    script = ("import socket,sys;s=socket.create_connection(('127.0.0.1',2620));"
              "s.sendall(sys.stdin.buffer.read());s.shutdown(socket.SHUT_WR);s.recv(1)")
    subprocess.run(["ip", "netns", "exec", lab.ns("tor"), "/usr/bin/python3", "-c", script],
                   input=data, check=True, timeout=10)


def test_malformed_input_resets_the_session_and_keeps_the_mirror(fpm):
    lab = fpm
    before = wait_fibs_equal(lab)
    pid = lab.daemon_pid("tor", "fpm_client")
    mon = RouteMonitor(lab, "asic")
    # A route whose RTA_DST runs past the message (truncated nested attribute) ...
    body = struct.pack("=BBBBBBBBI", 2, 24, 0, 0, 254, 186, 0, 1, 0) + struct.pack("=HH", 64, 1) + b"\x0a\x09\x00\x00"
    msg = struct.pack("=IHHII", 16 + len(body), 24, 0x501, 0, 0) + body
    send_to_fpm(lab, struct.pack("!BBH", 1, 1, 4 + len(msg)) + msg)
    # ... and a frame of an unknown FPM version.
    send_to_fpm(lab, struct.pack("!BBH", 2, 1, 24) + bytes(20))

    def counted():
        e = dataplane(lab)["fpm"]["errors"]
        return Observation(e.get("netlink_truncated") == 1 and e.get("fpm_bad_version") == 1, observed=e)

    lab.wait_until(counted, timeout=10, desc="both malformed inputs counted")
    d = dataplane(lab)
    assert d["fpm"]["resets"] == 2
    assert lab.daemon_pid("tor", "fpm_client") == pid
    # Our connections replaced zebra's: zebra reconnects (3 s) and replays; nothing flapped.
    wait_synced(lab, generation=d["fpm"]["replay"]["generation"] + 1, timeout=20)
    assert wait_fibs_equal(lab) == before
    assert mon.stop() == []
    counters = lab.hostroutectl("tor", "show", "counters", "--json", json=True)["fpm_client"]
    assert counters["fpm_client.fpm.errors.fpm_bad_version"] == 1


def test_back_pressure_pauses_reading_and_loses_nothing(fpm):
    """With a small max-backlog a burst from zebra makes fpm_client stop reading the socket
    until the data path caught up; every route still arrives."""
    lab = fpm
    lab.config_path("tor").write_text(json.dumps(dp_config(lab, fpm={"max-backlog": 100})))
    lab.hostroutectl("tor", "reload", "fpm_client")
    pauses = dataplane(lab)["fpm"]["pauses"]
    n = 3000
    nets = [f"network 100.65.{i >> 8}.{i & 255}/32" for i in range(n)]

    def burst_in_asic():
        a = asic_fib(lab)
        got = sum(1 for p in a if p.startswith("100.65."))
        return Observation(got == n, observed=got, expected=n)

    c0 = dataplane(lab)["backend"]["counters"]
    try:
        bgp(lab, "s1", 65101, *nets)
        lab.wait_until(burst_in_asic, timeout=60, desc=f"{n} BGP /32s in the asic")
        d = dataplane(lab)
        assert d["fpm"]["pauses"] > pauses, d["fpm"]
        assert d["backlog"]["readPaused"] is False and d["backlog"]["queued"] == 0
        # The netlink writes were batched, not one sendmsg per route, even with reading
        # paused every 100 changes.
        c1 = d["backend"]["counters"]
        messages, batches = c1["messages"] - c0["messages"], c1["batches"] - c0["batches"]
        print(f"netlink: {messages} messages in {batches} batches ({messages / max(batches, 1):.1f} per sendmsg)")
        assert messages >= n and batches >= 1
        assert messages >= 10 * batches, f"{messages} messages in {batches} batches"
    finally:
        bgp(lab, "s1", 65101, *("no " + x for x in nets))
        lab.config_path("tor").write_text(json.dumps(dp_config(lab)))
        lab.hostroutectl("tor", "reload", "fpm_client")
    lab.wait_until(lambda: not any(p.startswith("100.65.") for p in asic_fib(lab)), timeout=60,
                   desc="the burst withdrawn from the asic")
    wait_fibs_equal(lab)
