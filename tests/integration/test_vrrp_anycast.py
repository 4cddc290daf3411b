"""vrrp_anycast in the lab (lab/topologies/vrrp.toml): real FRR, real kernel, real frames.

The tests run in order on one lab and build on each other:
  1. separate segments: each host's traffic is routed by its own ToR (exact nftables
     counters of echo requests consumed on each ToR's virtual-MAC interface); the kernel
     settings the daemon owns on its interfaces;
  2. a stretched VLAN joins both br10: frames to the virtual MAC are still consumed by the
     first ToR, never cross the link, the virtual MAC is never learned on it (bridge monitor
     fdb for the whole test), one master;
  3. tracking (routes; interface only; when-any-down): tor1 loses its uplink, stops taking
     the virtual MAC's traffic and never becomes master again while withdrawn, hosts on both
     sides keep reaching the spine (longest reply gap bounded, IPv4 and IPv6); all returns
     with the uplink; 3b: every ToR withdrawn, one serves as the last resort;
  4. restart (kill -9, SIGTERM keep, SIGTERM remove): traffic keeps flowing, the restarted
     daemon adopts its interfaces; on-stop remove cleans up and restores the sysctls;
  5. malformed advertisements are counted and dropped (a valid one, as control, is not);
  6. periodic gratuitous refresh;
  7. the configured "without pseudo-header" checksum on the wire;
  8. the SVI's sysctls restored when its last IPv4 group goes.
"""

import json
import signal
import time

import pytest

import hrlab
from conftest import lab_prefix, require_lab_environment
from vrrp_support import (TRACK_ROUTES, VIP4, VIP6, VMAC4, VMAC6, AdvertSniffer, Counters, FdbMonitor, Pinger,
                          checksum_form, count_announcements, counters, fdb_vmac_entries, groups, inject,
                          link_id, ping_burst, show, sysctl, tor_config, vrrp_frame, vrrp_message, wait_role)
from hrlab import Observation, wait_until

TOPOLOGY = hrlab.DEFAULT_TOPOLOGY.parent / "vrrp.toml"
HS1_4, HS1_6 = "10.200.0.10", "2001:db8:200::10"
FAMS = ("ipv4", "ipv6")
HOST_ROUTES = ("10.1.0.11/32", "10.1.0.21/32", "2001:db8:1::11/128", "2001:db8:1::21/128")
MASTER = {"ipv4": {"state": "master", "role": "master"}, "ipv6": {"state": "master", "role": "master"}}
FORWARDING = {"ipv4": {"state": "backup", "role": "anycast-forwarding"},
              "ipv6": {"state": "backup", "role": "anycast-forwarding"}}
OUT = {f: {"state": "backup", "role": "out-of-service"} for f in FAMS}

# Hosts must keep a working gateway throughout a ToR's withdrawal and return: the longest
# interval between two replies of a 20 ms ping, and the pings lost, stay well under a second
# (an election-bound outage is 3.2-3.6 s, one lost ARP retry 1 s).
GAP_BOUND = 0.5
LOSS_BOUND = int(GAP_BOUND / 0.02)

# Kernel defaults opposite to what the daemon sets on its virtual-MAC interfaces (which are
# created after these, and inherit `default`): test_1 then proves the daemon set each value.
ADVERSE_DEFAULTS = {
    "net.ipv4.conf.default.arp_ignore": "0", "net.ipv4.conf.default.arp_announce": "0",
    "net.ipv4.conf.default.rp_filter": "2", "net.ipv4.conf.default.forwarding": "0",
    "net.ipv6.conf.default.disable_ipv6": "0", "net.ipv6.conf.default.accept_dad": "1",
    "net.ipv6.conf.default.accept_ra": "1", "net.ipv6.conf.default.autoconf": "1",
    "net.ipv6.conf.default.forwarding": "0",
}
# docs/vrrp-anycast.md, "Kernel settings": what the daemon sets on its own interfaces.
VMAC_SYSCTLS = {
    "br10-v4-10": {"net.ipv6.conf.{}.disable_ipv6": "1", "net.ipv4.conf.{}.arp_ignore": "1",
                   "net.ipv4.conf.{}.arp_announce": "2", "net.ipv4.conf.{}.rp_filter": "0",
                   "net.ipv4.conf.{}.forwarding": "1"},
    "br10-v6-10": {"net.ipv6.conf.{}.accept_dad": "0", "net.ipv6.conf.{}.accept_ra": "0",
                   "net.ipv6.conf.{}.autoconf": "0", "net.ipv6.conf.{}.forwarding": "1",
                   "net.ipv4.conf.{}.arp_ignore": "8"},
}


@pytest.fixture(scope="module")
def lab(request):
    require_lab_environment()
    lab = hrlab.Lab.from_file(TOPOLOGY, prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        for tor in ("tor1", "tor2"):
            lab.wait_route(tor, "0.0.0.0/0", protocol="bgp", timeout=20)
            lab.wait_route(tor, "::/0", protocol="bgp", timeout=20)
            lab.run(tor, ["sysctl", "-qw"] + [f"{k}={v}" for k, v in ADVERSE_DEFAULTS.items()])
        for prefix in HOST_ROUTES:  # the topology's stand-in for the learner's host routes
            lab.wait_route("spine", prefix, protocol="bgp", timeout=20)
        lab.start_daemon("tor1", "vrrp_anycast", config=tor_config(200))
        lab.start_daemon("tor2", "vrrp_anycast", config=tor_config(100))
        yield lab
    finally:
        failed = request.module.__dict__.get("_hrlab_failed", False)
        lab.down(keep_logs=failed or None)


def fresh_counters(lab, isl=None):
    out = {}
    for tor in ("tor1", "tor2"):
        Counters(lab, tor).remove()
        out[tor] = Counters(lab, tor, isl=isl)
    return out


def burst(lab, host, n=10):
    for dest in (HS1_4, HS1_6):
        cp = ping_burst(lab, host, dest, n)
        assert cp.returncode == 0 and f"{n} received" in cp.stdout, f"{host} -> {dest}:\n{cp.stdout}{cp.stderr}"
        assert "DUP!" not in cp.stdout, f"duplicates {host} -> {dest}:\n{cp.stdout}"


def test_1_each_host_is_routed_by_its_own_tor(lab):
    # Separate segments: each ToR is alone on its br10, so each is master of its own.
    wait_role(lab, "tor1", MASTER)
    wait_role(lab, "tor2", MASTER)
    for tor in ("tor1", "tor2"):
        g = groups(lab, tor)
        assert g["ipv4"]["vmacInterface"]["up"] and g["ipv4"]["vmacInterface"]["bridgeFdbLocal"], g["ipv4"]
        assert g["ipv4"]["vmac"] == VMAC4 and g["ipv6"]["vmac"] == VMAC6
        assert g["ipv4"]["virtualAddresses"] == [VIP4] and g["ipv6"]["virtualAddresses"] == [VIP6]
        # The kernel settings of the daemon's own interfaces, each one different from what
        # the interface inherited (ADVERSE_DEFAULTS): the daemon wrote it.
        for ifname, want in VMAC_SYSCTLS.items():
            for key, value in want.items():
                default = sysctl(lab, tor, key.format("default"))
                assert default != value, f"{key.format('default')} = {default}: cannot tell"
                assert sysctl(lab, tor, key.format(ifname)) == value, f"{tor} {key.format(ifname)}"
        # The SVI's: raised (and recorded for the restore, test_4b / test_8).
        assert sysctl(lab, tor, "net.ipv4.conf.br10.arp_ignore") == "1"
        assert sysctl(lab, tor, "net.ipv4.conf.br10.arp_announce") == "2"
        assert show(lab, tor)["changedSysctls"] == {"/proc/sys/net/ipv4/conf/br10/arp_ignore": "0",
                                                    "/proc/sys/net/ipv4/conf/br10/arp_announce": "0"}
    c = fresh_counters(lab)
    zero = {"h11_v4": 0, "h11_v6": 0, "h21_v4": 0, "h21_v6": 0}
    burst(lab, "h11")
    assert c["tor1"].read() == {**zero, "h11_v4": 10, "h11_v6": 10}, "h11's echo requests routed by tor1"
    assert c["tor2"].read() == zero, "nothing of h11's routed by tor2"
    burst(lab, "h21")
    assert c["tor1"].read() == {**zero, "h11_v4": 10, "h11_v6": 10}, "nothing of h21's routed by tor1"
    assert c["tor2"].read() == {**zero, "h21_v4": 10, "h21_v6": 10}, "h21's echo requests routed by tor2"
    # The hosts resolved the gateway to the virtual MACs.
    for host in ("h11", "h21"):
        neigh = lab.run(host, ["ip", "neigh", "show"]).stdout
        assert f"{VIP4} dev eth0 lladdr {VMAC4}" in neigh, neigh
        assert f"{VIP6} dev eth0 lladdr {VMAC6} router" in neigh, neigh


def _learn_frame(src_mac):
    """A broadcast frame from `src_mac` (local experimental EtherType): bridges learn it."""
    return bytes.fromhex("ffffffffffff" + src_mac.replace(":", "") + "88b5") + b"hrlab canary".ljust(46, b"\0")


def test_2_stretched_segment_stays_local_and_elects_one_master(lab):
    # bridge monitor fdb on both ToRs for the whole test, live before the link exists.
    monitors = {tor: FdbMonitor(lab, tor) for tor in ("tor1", "tor2")}
    for m in monitors.values():
        m.canary("02:00:00:ca:fe:01")
    lab.add_link("tor1", "isl", "tor2", "isl", a_bridge="br10", b_bridge="br10")
    # One master for the segment: the higher priority; tor2 keeps forwarding (anycast).
    wait_role(lab, "tor1", MASTER)
    wait_role(lab, "tor2", FORWARDING)
    g2 = groups(lab, "tor2")
    assert g2["ipv4"]["master"]["address"] == "10.1.0.2" and g2["ipv4"]["master"]["priority"] == 200, g2["ipv4"]
    # A backup that hears the master leaves ARP to it (arp_ignore 8 on its IPv4 VMAC).
    assert g2["ipv4"]["vmacInterface"]["answersArpNd"] is False
    assert sysctl(lab, "tor2", "net.ipv4.conf.br10-v4-10.arp_ignore") == "8"
    assert sysctl(lab, "tor1", "net.ipv4.conf.br10-v4-10.arp_ignore") == "1"

    c = fresh_counters(lab, isl="isl")
    burst(lab, "h11")
    burst(lab, "h21")
    zero = {"h11_v4": 0, "h11_v6": 0, "h21_v4": 0, "h21_v6": 0, "isl_out": 0, "isl_in": 0}
    assert c["tor1"].read() == {**zero, "h11_v4": 10, "h11_v6": 10}, "tor1 routes h11's, nothing crosses the link"
    assert c["tor2"].read() == {**zero, "h21_v4": 10, "h21_v6": 10}, "tor2 routes h21's, nothing crosses the link"
    for tor in ("tor1", "tor2"):
        entries = fdb_vmac_entries(lab, tor)
        assert entries and all("dev br10" in e for e in entries), f"{tor} fdb: {entries}"
        assert not any("isl" in e for e in entries), f"{tor} learned a virtual MAC on the link: {entries}"

    # A host on the backup's side resolves the gateway to the same virtual MAC (the master
    # answers over the stretched link; for IPv6 both answer with the same MAC).
    lab.run("h21", ["ip", "neigh", "flush", "dev", "eth0"])
    assert lab.ping("h21", VIP4) and lab.ping("h21", VIP6)
    neigh = lab.run("h21", ["ip", "neigh", "show"]).stdout
    assert f"{VIP4} dev eth0 lladdr {VMAC4}" in neigh and f"{VIP6} dev eth0 lladdr {VMAC6}" in neigh, neigh
    c["tor1"].remove()
    c["tor2"].remove()

    # The monitors are still live at the end: a MAC of ours sent from h21 is reported learned
    # on tor1's end of the link, the very event that must never happen to a virtual MAC.
    canary = "02:00:00:ca:fe:02"
    inject(lab, "h21", [_learn_frame(canary)])
    wait_until(lambda: Observation(any(canary in l and "dev isl" in l for l in monitors["tor1"].lines()),
                                   observed=monitors["tor1"].lines()[-5:]),
               timeout=5, desc="tor1's monitor reports the canary learned on isl")
    for tor, m in monitors.items():
        lines = m.stop()
        vmac_lines = [l for l in lines if VMAC4 in l or VMAC6 in l]
        assert not [l for l in vmac_lines if " dev br10 " not in l + " "], \
            f"{tor}: a virtual MAC was reported on a bridge port: {vmac_lines}"
        print(f"{tor}: bridge monitor fdb, {len(lines)} events, {len(vmac_lines)} for a virtual MAC (all local)")


# test_3's variants: what tor1 and tor2 track, and the restore-delay an interface needs
# (a link comes back before BGP over it has; a route only once BGP installed it).
TRACKING = {
    "routes": TRACK_ROUTES,
    "interface": {"interface": [{"name": "swp1"}], "restore-delay": 10},
    "any-down": {"interface": [{"name": "swp1"}, {"name": "up2"}], "withdraw-anycast": "when-any-down",
                 "restore-delay": 10},
}
TRACKED_NAMES = {
    "routes": {"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"]},
    "interface": {"ipv4": ["swp1"], "ipv6": ["swp1"]},
    "any-down": {"ipv4": ["swp1", "up2"], "ipv6": ["swp1", "up2"]},
}


class BecameMaster(AssertionError):
    pass


def _configure(lab, track):
    for tor, prio in (("tor1", 200), ("tor2", 100)):
        lab.config_path(tor).write_text(json.dumps(tor_config(prio, track=track)))
        lab.hostroutectl(tor, "reload")


def _tracked(g):
    return [(t["name"], t["up"]) for t in g["priority"]["tracked"]]


@pytest.mark.parametrize("tracking", list(TRACKING))
def test_3_tracking_moves_the_traffic_and_brings_it_back(lab, tracking):
    names = TRACKED_NAMES[tracking]
    if tracking == "any-down":
        # A second "uplink" that stays up: when-any-down withdraws tor1 although it is up.
        for tor in ("tor1", "tor2"):
            lab.run(tor, "ip link show up2 >/dev/null 2>&1 || "
                         "{ ip link add up2 type veth peer name up2p && ip link set up2p up && ip link set up2 up; }")
    _configure(lab, TRACKING[tracking])
    wait_role(lab, "tor1", MASTER, timeout=20)
    wait_role(lab, "tor2", FORWARDING)
    for f in FAMS:
        assert _tracked(groups(lab, "tor1")[f]) == [(n, True) for n in names[f]]
    c = fresh_counters(lab, isl="isl")
    pingers = {(h, v): Pinger(lab, h, d) for h in ("h11", "h21") for v, d in (("v4", HS1_4), ("v6", HS1_6))}
    for p in pingers.values():
        p.wait_replies(10)
    assert c["tor1"].read()["h11_v4"] >= 10 and c["tor2"].read()["h11_v4"] == 0

    lab.link_down("tor1", "swp1")
    # Withdrawn: anycast service off, mastership handed over with a priority-0 advertisement.
    wait_role(lab, "tor1", OUT)
    withdrawn_at = time.time()
    wait_role(lab, "tor2", MASTER)
    g1 = groups(lab, "tor1")
    for f in FAMS:
        pr = g1[f]["priority"]
        # One object down of the default decrement 10: 190, well above tor2's 100, yet the
        # withdrawn ToR competes with 1.
        assert pr["effective"] == 190 and pr["election"] == 1, pr
        assert _tracked(g1[f]) == [(n, n == "up2") for n in names[f]], pr
        assert not g1[f]["vmacInterface"]["up"] and not g1[f]["vmacInterface"]["bridgeFdbLocal"], g1[f]
        assert g1[f]["statistics"]["priority-zero-pkts-sent"] >= 1
    # The text form says the same.
    text = lab.hostroutectl("tor1", "show", "vrrp")
    down = f"{'route' if tracking == 'routes' else 'interface'} {names['ipv4'][0]} is DOWN (-10)"
    for line in ("Role                       out-of-service", down, "190 (configured 200), competes with 1 (withdrawn)"):
        assert line in text, f"{line!r} not in:\n{text}"

    # Never master again while withdrawn: it hears tor2 (priority 100, below its 190) for
    # longer than its own Master_Down_Interval (3.99 s) and stays out.
    start = {f: g1[f]["statistics"] for f in FAMS}

    def heard():
        g = groups(lab, "tor1")
        for f in FAMS:
            if g[f]["state"] == "master" or g[f]["statistics"]["master-transitions"] != start[f]["master-transitions"]:
                raise BecameMaster(f"withdrawn tor1 became {f} master again: {g[f]}")
        n = {f: g[f]["statistics"]["advertisement-rcvd"] - start[f]["advertisement-rcvd"] for f in FAMS}
        return Observation(min(n.values()) >= 5, observed=n, expected=">= 5 each")
    wait_until(heard, timeout=15, desc="tor1 hears tor2's advertisements", reraise=(BecameMaster,))
    g1 = groups(lab, "tor1")
    for f in FAMS:
        assert (g1[f]["state"], g1[f]["role"]) == ("backup", "out-of-service"), g1[f]
        assert g1[f]["statistics"]["master-transitions"] == start[f]["master-transitions"], g1[f]["statistics"]
        assert g1[f]["master"]["priority"] == 100 and not g1[f]["master"]["local"], g1[f]["master"]
    assert g1["ipv4"]["master"]["address"] == "10.1.0.3"
    assert {f: g["state"] for f, g in groups(lab, "tor2").items()} == {"ipv4": "master", "ipv6": "master"}

    # tor1's bridge sends the virtual MACs over the stretched link, to tor2, which routes them.
    wait_until(lambda: Observation(any("dev isl" in e for e in fdb_vmac_entries(lab, "tor1")),
                                   observed=fdb_vmac_entries(lab, "tor1")),
               timeout=10, desc="tor1's bridge forwards the virtual MAC to tor2")
    before1, before2 = c["tor1"].read(), c["tor2"].read()
    pingers[("h11", "v4")].wait_replies(20)
    pingers[("h11", "v6")].wait_replies(20)
    after1, after2 = c["tor1"].read(), c["tor2"].read()
    assert after2["h11_v4"] - before2["h11_v4"] >= 20 and after2["h11_v6"] - before2["h11_v6"] >= 20, \
        f"h11 reaches the spine through tor2: {before2} -> {after2}"
    assert after1["isl_out"] - before1["isl_out"] >= 40, "tor1's bridge hands h11's frames to tor2"
    assert after2["isl_in"] - before2["isl_in"] >= 40, "tor2 receives them over the stretched link"

    lab.link_up("tor1", "swp1")
    wait_role(lab, "tor1", MASTER, timeout=40)
    wait_role(lab, "tor2", FORWARDING)
    g1 = groups(lab, "tor1")
    for f in FAMS:
        assert g1[f]["priority"]["effective"] == 200 and g1[f]["vmacInterface"]["bridgeFdbLocal"], g1[f]
    # h11's traffic, IPv4 and IPv6, is routed by tor1 again and no longer crosses to tor2.
    b1, b2 = c["tor1"].read(), c["tor2"].read()
    pingers[("h11", "v4")].wait_replies(20)
    pingers[("h11", "v6")].wait_replies(20)
    a1, a2 = c["tor1"].read(), c["tor2"].read()
    for v in ("v4", "v6"):
        assert a1[f"h11_{v}"] - b1[f"h11_{v}"] >= 20, f"h11's {v} traffic is routed by tor1 again: {b1} -> {a1}"
        assert a2[f"h11_{v}"] == b2[f"h11_{v}"], f"h11's {v} traffic no longer goes through tor2: {b2} -> {a2}"
    assert a1["isl_out"] == b1["isl_out"], "nothing crosses the link"
    # Hosts on both sides kept a working gateway throughout: no outage, no duplicates, no
    # ICMP error once tor1 had withdrawn (one that reaches tor1 in the instant between the
    # kernel flushing its routes and the withdrawal may get a "no route" back: the kernel
    # reacts first).
    problems = []
    for (h, v), p in pingers.items():
        r = p.stop()
        late = [t for t in r["error_times"] if t > withdrawn_at]
        print(f"{tracking} {h} {v}: {r['sent']} sent, {r['received']} received, longest gap "
              f"{r['max_gap'] * 1000:.0f} ms at {r['max_gap_at'] - withdrawn_at if r['max_gap_at'] else 0:+.2f} s "
              f"from the withdrawal, {r['dups']} dups, {len(r['error_times'])} ICMP errors")
        if r["max_gap"] >= GAP_BOUND or r["sent"] - r["received"] > LOSS_BOUND or r["dups"] or late:
            problems.append((h, v, r["max_gap"], r["sent"], r["received"], r["dups"], late))
    assert not problems, f"hosts lost their gateway (host, family, longest gap s, sent, received, dups, late errors): {problems}"
    for tor in ("tor1", "tor2"):
        c[tor].remove()


def test_3b_every_tor_withdrawn_one_serves_as_last_resort(lab):
    """Both ToRs lose their uplinks: hosts keep a gateway (exactly one last-resort master per
    family, its virtual MAC up), and all returns with the uplinks."""
    _configure(lab, TRACK_ROUTES)
    wait_role(lab, "tor1", MASTER, timeout=20)
    wait_role(lab, "tor2", FORWARDING)
    lab.link_down("tor1", "swp1")
    lab.link_down("tor2", "swp1")

    def one_serves():
        g = {tor: groups(lab, tor) for tor in ("tor1", "tor2")}
        roles = {f: sorted(g[t][f]["role"] for t in g) for f in FAMS}
        ok = all(r == ["last-resort-master", "out-of-service"] for r in roles.values())
        return Observation(ok, observed=roles)
    wait_until(one_serves, timeout=20, desc="one last-resort master per family")
    g = {tor: groups(lab, tor) for tor in ("tor1", "tor2")}
    serving = {f: next(t for t in g if g[t][f]["role"] == "last-resort-master") for f in FAMS}
    for f, t in serving.items():
        assert g[t][f]["vmacInterface"]["up"] and g[t][f]["priority"]["election"] == 1, g[t][f]
        other = "tor2" if t == "tor1" else "tor1"
        assert not g[other][f]["vmacInterface"]["up"], g[other][f]
    # Stable: one master per family while the other hears it for longer than its
    # Master_Down_Interval.
    start = {t: groups(lab, t) for t in ("tor1", "tor2")}

    def heard():
        n = {f: groups(lab, "tor2" if serving[f] == "tor1" else "tor1")[f]["statistics"]["advertisement-rcvd"]
             - start["tor2" if serving[f] == "tor1" else "tor1"][f]["statistics"]["advertisement-rcvd"] for f in FAMS}
        return Observation(min(n.values()) >= 5, observed=n)
    wait_until(heard, timeout=15, desc="the withdrawn ToR hears the last-resort master")
    assert one_serves().ok, one_serves()
    # Hosts on both sides reach their gateway (the other ToR's bridge learned the virtual MAC
    # from the last-resort master's frames and forwards to it).
    for host in ("h11", "h21"):
        for vip in (VIP4, VIP6):
            assert lab.ping(host, vip, count=3), f"{host} -> {vip}"

    lab.link_up("tor1", "swp1")
    lab.link_up("tor2", "swp1")
    wait_role(lab, "tor1", MASTER, timeout=40)
    wait_role(lab, "tor2", FORWARDING, timeout=40)
    burst(lab, "h11")
    burst(lab, "h21")


def _running_vmacs(lab):
    return {n: link_id(lab, "tor1", n) for n in ("br10-v4-10", "br10-v6-10")}


@pytest.mark.parametrize("how", ["kill", "term"])
def test_4_restart_keeps_traffic_and_adopts_interfaces(lab, how):
    wait_role(lab, "tor1", MASTER, timeout=20)
    ids = _running_vmacs(lab)
    assert all(ids.values()), ids
    pingers = [Pinger(lab, h, d) for h in ("h11", "h21") for d in (HS1_4, HS1_6)]
    for p in pingers:
        p.wait_replies(5)
    if how == "kill":
        assert lab.kill_daemon("tor1", "vrrp_anycast") == -signal.SIGKILL
    else:
        assert lab.stop_daemon("tor1", "vrrp_anycast") == 0
        # SIGTERM: the master handed over at once (priority 0) and left its interfaces.
        wait_role(lab, "tor2", MASTER, timeout=5)
    assert _running_vmacs(lab) == ids, "the virtual-MAC interfaces outlive the daemon"
    for p in pingers:
        p.wait_replies(40)  # traffic flows with no daemon running
    lab.start_daemon("tor1", "vrrp_anycast", config=tor_config(200))
    g = groups(lab, "tor1")
    for fam in ("ipv4", "ipv6"):
        assert g[fam]["vmacInterface"]["adopted"] is True, g[fam]["vmacInterface"]
    assert _running_vmacs(lab) == ids, "adopted, not recreated"
    assert counters(lab, "tor1")["vrrp_anycast.vmac.created"] == 0
    wait_role(lab, "tor1", MASTER, timeout=20)
    for p in pingers:
        p.wait_replies(10)
    for p in pingers:
        r = p.stop()
        assert r["dups"] == 0, r
        assert r["sent"] - r["received"] <= 1, f"lost pings across the restart: {r['sent']} sent, {r['received']} received"


def test_4b_on_stop_remove_cleans_up_and_restores(lab):
    assert sysctl(lab, "tor1", "net.ipv4.conf.br10.arp_ignore") == "1"
    state = show(lab, "tor1")["changedSysctls"]
    assert state.get("/proc/sys/net/ipv4/conf/br10/arp_ignore") == "0", state
    lab.stop_daemon("tor1", "vrrp_anycast")
    lab.start_daemon("tor1", "vrrp_anycast", config=tor_config(200, on_stop="remove"))
    assert lab.stop_daemon("tor1", "vrrp_anycast") == 0
    assert _running_vmacs(lab) == {"br10-v4-10": None, "br10-v6-10": None}
    # The interfaces' own settings went with them.
    for ifname in ("br10-v4-10", "br10-v6-10"):
        assert lab.run("tor1", ["sysctl", "-n", f"net.ipv4.conf.{ifname}.arp_ignore"], check=False).returncode != 0
    assert sysctl(lab, "tor1", "net.ipv4.conf.br10.arp_ignore") == "0"
    assert sysctl(lab, "tor1", "net.ipv4.conf.br10.arp_announce") == "0"
    # No local entry any more: the bridge learns the virtual MAC from tor2 and forwards to it.
    wait_until(lambda: Observation(all("dev isl" in e for e in fdb_vmac_entries(lab, "tor1"))
                                   and fdb_vmac_entries(lab, "tor1"),
                                   observed=fdb_vmac_entries(lab, "tor1")),
               timeout=10, desc="tor1's fdb: virtual MACs only via isl")
    assert lab.ping("h11", HS1_4) and lab.ping("h11", HS1_6), "h11 is served by tor2"
    lab.start_daemon("tor1", "vrrp_anycast", config=tor_config(200))
    assert counters(lab, "tor1")["vrrp_anycast.vmac.created"] == 2
    wait_role(lab, "tor1", MASTER, timeout=20)


def test_5_malformed_advertisements_are_counted_and_dropped(lab):
    wait_role(lab, "tor1", MASTER, timeout=20)
    mac = lab.host_mac("h11")
    src4, src6 = "10.1.0.11", lab.run("h11", "ip -6 -o addr show dev eth0 scope link").stdout.split()[3].split("/")[0]
    g4, g6 = "224.0.0.18", "ff02::12"

    def m4(**kw):
        return vrrp_message(src4, g4, priority=254, **kw)

    frames = [
        vrrp_frame(mac, src4, m4(version=4)),                              # version-errors
        vrrp_frame(mac, src4, m4(version=2)),                              # version-errors (v3 configured)
        vrrp_frame(mac, src4, m4(checksum="bad")),                         # checksum-errors
        vrrp_frame(mac, src4, m4(), ttl=254),                              # ip-ttl-errors
        vrrp_frame(mac, src4, m4(count=2)),                                # packet-length-errors
        vrrp_frame(mac, src4, m4(addresses=(VIP4, "10.1.0.99"))),          # address-list-errors
        vrrp_frame(mac, src6, vrrp_message(src6, g6, priority=254, addresses=(VIP6,), checksum="bad")),
        vrrp_frame(mac, src6, vrrp_message(src6, g6, priority=254, addresses=(VIP6,)), ttl=1),
        vrrp_frame(mac, src4, m4(vrid=99)),                                # vrid-errors
    ]
    before = counters(lab, "tor1")
    transitions = {f: g["statistics"]["master-transitions"] for f, g in groups(lab, "tor1").items()}
    inject(lab, "h11", frames)
    want = {
        "global.version-errors": 2, "global.checksum-errors": 2, "global.ip-ttl-errors": 2,
        "rx.packet-length-errors": 1, "rx.address-list-errors": 1, "global.vrid-errors": 1,
    }

    def deltas():
        now = counters(lab, "tor1")
        d = {k: now[f"vrrp_anycast.{k}"] - before[f"vrrp_anycast.{k}"] for k in want}
        return Observation(d == want, observed=d, expected=want)
    wait_until(deltas, timeout=5, desc="malformed advertisements counted")
    # Dropped: priority 254 would have won over 200 had any of them been accepted.
    g = groups(lab, "tor1")
    for fam in ("ipv4", "ipv6"):
        assert g[fam]["state"] == "master" and g[fam]["statistics"]["master-transitions"] == transitions[fam], g[fam]
    assert g["ipv4"]["statistics"]["address-list-errors"] >= 1
    assert lab.daemon_pid("tor1", "vrrp_anycast") is not None

    # Control: the same advertisement, well formed, is accepted (tor1 steps down), and tor1
    # takes over again once the sender falls silent.
    inject(lab, "h11", [vrrp_frame(mac, src4, m4())])
    wait_role(lab, "tor1", {"ipv4": {"state": "backup"}}, timeout=5)
    assert groups(lab, "tor1")["ipv4"]["master"]["address"] == src4
    wait_role(lab, "tor1", MASTER, timeout=10)


def test_6_periodic_gratuitous_refresh(lab):
    wait_role(lab, "tor1", MASTER, timeout=20)
    # Off by default: a master announces only when it becomes master.
    assert count_announcements(lab, "h21", want=1, timeout=2.5) == (0, 0)
    lab.config_path("tor1").write_text(json.dumps(tor_config(200, **{"gratuitous-refresh-interval": 1})))
    lab.hostroutectl("tor1", "reload")
    garp, na = count_announcements(lab, "h21", want=2, timeout=10)
    assert garp >= 2 and na >= 2, (garp, na)  # received across the stretched link, on tor2's side
    g = groups(lab, "tor1")
    assert g["ipv4"]["timers"]["gratuitousRefreshSeconds"] == 1
    assert g["ipv4"]["statistics"]["gratuitous-arp-sent"] >= 3 and g["ipv6"]["statistics"]["neighbor-advertisement-sent"] >= 3
    # The backup never announces: the anycast MAC stays where each bridge has it (local).
    assert groups(lab, "tor2")["ipv4"]["state"] == "backup"
    assert all("dev br10" in e for e in fdb_vmac_entries(lab, "tor2"))


def test_7_checksum_without_pseudo_header_on_the_wire(lab):
    """checksum without-pseudo-header: tor1's IPv4 advertisements carry the checksum of the
    VRRP message alone (captured on h21, across the stretched link), IPv6 keeps the
    pseudo-header, and tor2 (which accepts both forms) keeps hearing its master."""
    wait_role(lab, "tor1", MASTER, timeout=20)
    wait_role(lab, "tor2", FORWARDING)
    sniffer = AdvertSniffer(lab, "h21")
    src6 = groups(lab, "tor1")["ipv6"]["primaryAddress"]
    try:
        def from_tor1(since, fam, src):
            return [(t, prio, checksum_form(src, m)) for t, f, s, prio, m in sniffer.adverts(since)
                    if f == fam and s == src]
        t0 = time.time()
        wait_until(lambda: Observation(len(from_tor1(t0, 4, "10.1.0.2")) >= 2, observed=from_tor1(t0, 4, "10.1.0.2")),
                   timeout=5, desc="the sniffer sees tor1's advertisements")
        assert {form for _, _, form in from_tor1(t0, 4, "10.1.0.2")} == {"with-pseudo-header"}, "the default form"
        errors2 = show(lab, "tor2")["globalStatistics"]["checksum-errors"]
        lab.config_path("tor1").write_text(json.dumps(tor_config(200, checksum="without-pseudo-header")))
        lab.hostroutectl("tor1", "reload")
        g1 = groups(lab, "tor1")
        assert (g1["ipv4"]["checksum"], g1["ipv6"]["checksum"]) == ("without-pseudo-header", "with-pseudo-header")
        t1 = time.time()
        rcvd = {f: g["statistics"]["advertisement-rcvd"] for f, g in groups(lab, "tor2").items()}

        def three_more():
            got = {f: g["statistics"]["advertisement-rcvd"] - rcvd[f] for f, g in groups(lab, "tor2").items()}
            seen = (len(from_tor1(t1, 4, "10.1.0.2")), len(from_tor1(t1, 6, src6)))
            return Observation(min(seen) >= 3 and min(got.values()) >= 3, observed={"captured": seen, "tor2": got})
        wait_until(three_more, timeout=10, desc="three more advertisements of each family, captured and at tor2")
        v4, v6 = from_tor1(t1, 4, "10.1.0.2"), from_tor1(t1, 6, src6)
        assert {form for _, _, form in v4} == {"without-pseudo-header"}, v4
        assert {form for _, _, form in v6} == {"with-pseudo-header"}, v6
        assert all(prio == 200 for _, prio, _ in v4 + v6)
        g2 = groups(lab, "tor2")
        for f in FAMS:
            assert g2[f]["state"] == "backup" and g2[f]["master"]["priority"] == 200, g2[f]
        assert show(lab, "tor2")["globalStatistics"]["checksum-errors"] == errors2
    finally:
        sniffer.stop()
        lab.config_path("tor1").write_text(json.dumps(tor_config(200)))
        lab.hostroutectl("tor1", "reload")


def test_8_svi_sysctls_restored_when_its_last_ipv4_group_goes(lab):
    """docs/vrrp-anycast.md: the SVI's arp_ignore/arp_announce go back to their originals
    when its last IPv4 group goes (and are raised again when one comes back)."""
    changed = show(lab, "tor1")["changedSysctls"]
    assert changed == {"/proc/sys/net/ipv4/conf/br10/arp_ignore": "0",
                       "/proc/sys/net/ipv4/conf/br10/arp_announce": "0"}, changed
    lab.config_path("tor1").write_text(json.dumps(tor_config(200, addresses=(VIP6,))))
    lab.hostroutectl("tor1", "reload")
    assert [g["family"] for g in show(lab, "tor1")["groups"]] == ["ipv6"]
    assert link_id(lab, "tor1", "br10-v4-10") is None
    assert sysctl(lab, "tor1", "net.ipv4.conf.br10.arp_ignore") == "0"
    assert sysctl(lab, "tor1", "net.ipv4.conf.br10.arp_announce") == "0"
    assert show(lab, "tor1")["changedSysctls"] == {}
    lab.config_path("tor1").write_text(json.dumps(tor_config(200)))
    lab.hostroutectl("tor1", "reload")
    assert sysctl(lab, "tor1", "net.ipv4.conf.br10.arp_ignore") == "1"
    assert sysctl(lab, "tor1", "net.ipv4.conf.br10.arp_announce") == "2"
    wait_role(lab, "tor1", MASTER, timeout=20)
