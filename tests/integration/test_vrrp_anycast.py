"""vrrp_anycast in the lab (lab/topologies/vrrp.toml): real FRR, real kernel, real frames.

The tests run in order on one lab and build on each other:
  1. separate segments: each host's traffic is routed by its own ToR (exact nftables
     counters of echo requests consumed on each ToR's virtual-MAC interface);
  2. a stretched VLAN joins both br10: frames to the virtual MAC are still consumed by the
     first ToR, never cross the link, the virtual MAC is never learned on it, one master;
  3. tracking: tor1 loses its uplink, stops taking the virtual MAC's traffic, hosts reach the
     spine through tor2 over the stretched link; all returns with the uplink;
  4. restart (kill -9, SIGTERM keep, SIGTERM remove): traffic keeps flowing, the restarted
     daemon adopts its interfaces; on-stop remove cleans up and restores the sysctls;
  5. malformed advertisements are counted and dropped (a valid one, as control, is not).
"""

import json
import signal
import time

import pytest

import hrlab
from conftest import lab_prefix, require_lab_environment
from vrrp_support import (VIP4, VIP6, VMAC4, VMAC6, Counters, Pinger, count_announcements, counters,
                          fdb_vmac_entries,
                          groups, inject, link_id, ping_burst, show, sysctl, tor_config, vrrp_frame,
                          vrrp_message, wait_role)
from hrlab import Observation, wait_until

TOPOLOGY = hrlab.DEFAULT_TOPOLOGY.parent / "vrrp.toml"
HS1_4, HS1_6 = "10.200.0.10", "2001:db8:200::10"
MASTER = {"ipv4": {"state": "master", "role": "master"}, "ipv6": {"state": "master", "role": "master"}}
FORWARDING = {"ipv4": {"state": "backup", "role": "anycast-forwarding"},
              "ipv6": {"state": "backup", "role": "anycast-forwarding"}}


@pytest.fixture(scope="module")
def lab(request):
    require_lab_environment()
    lab = hrlab.Lab.from_file(TOPOLOGY, prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        for tor in ("tor1", "tor2"):
            lab.wait_route(tor, "0.0.0.0/0", protocol="bgp", timeout=20)
            lab.wait_route(tor, "::/0", protocol="bgp", timeout=20)
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


def test_2_stretched_segment_stays_local_and_elects_one_master(lab):
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


def test_3_tracking_moves_the_traffic_and_brings_it_back(lab):
    c = fresh_counters(lab, isl="isl")
    p4, p6 = Pinger(lab, "h11", HS1_4), Pinger(lab, "h11", HS1_6)
    p4.wait_replies(10)
    assert c["tor1"].read()["h11_v4"] >= 10 and c["tor2"].read()["h11_v4"] == 0

    lab.link_down("tor1", "swp1")
    # The default routes go with the uplink: priority down, anycast withdrawn, mastership
    # handed over with a priority-0 advertisement.
    wait_role(lab, "tor1", {f: {"role": "out-of-service", "state": "backup"} for f in ("ipv4", "ipv6")})
    withdrawn_at = time.time()
    wait_role(lab, "tor2", MASTER)
    g1 = groups(lab, "tor1")["ipv4"]
    assert g1["priority"]["effective"] == 1, g1["priority"]  # 200 - 150 - 150, never below 1
    assert [t["up"] for t in g1["priority"]["tracked"]] == [False, False], g1["priority"]
    assert not g1["vmacInterface"]["up"] and not g1["vmacInterface"]["bridgeFdbLocal"], g1["vmacInterface"]
    assert g1["statistics"]["priority-zero-pkts-sent"] >= 1
    # tor1's bridge now sends the virtual MACs over the stretched link, to tor2.
    wait_until(lambda: Observation(any("dev isl" in e for e in fdb_vmac_entries(lab, "tor1")),
                                   observed=fdb_vmac_entries(lab, "tor1")),
               timeout=10, desc="tor1's bridge forwards the virtual MAC to tor2")
    before1, before2 = c["tor1"].read(), c["tor2"].read()
    p4.wait_replies(20)
    p6.wait_replies(20)
    after1, after2 = c["tor1"].read(), c["tor2"].read()
    assert after2["h11_v4"] - before2["h11_v4"] >= 20 and after2["h11_v6"] - before2["h11_v6"] >= 20, \
        f"h11 reaches the spine through tor2: {before2} -> {after2}"
    assert after1["isl_out"] - before1["isl_out"] >= 40, "tor1's bridge hands h11's frames to tor2"
    assert after2["isl_in"] - before2["isl_in"] >= 40, "tor2 receives them over the stretched link"

    lab.link_up("tor1", "swp1")
    wait_role(lab, "tor1", MASTER, timeout=20)
    wait_role(lab, "tor2", FORWARDING)
    g1 = groups(lab, "tor1")["ipv4"]
    assert g1["priority"]["effective"] == 200 and g1["vmacInterface"]["bridgeFdbLocal"], g1
    b1, b2 = c["tor1"].read(), c["tor2"].read()
    p4.wait_replies(20)
    a1, a2 = c["tor1"].read(), c["tor2"].read()
    assert a1["h11_v4"] - b1["h11_v4"] >= 20, "h11's traffic is routed by tor1 again"
    assert a2["h11_v4"] == b2["h11_v4"] and a1["isl_out"] == b1["isl_out"], "and no longer crosses to tor2"
    r4, r6 = p4.stop(), p6.stop()
    # No duplicates, and no ICMP error once tor1 had withdrawn. (A packet that reaches tor1 in
    # the instant between the kernel flushing its routes and the daemon withdrawing may get
    # a "no route" back: the kernel reacts first.)
    assert r4["dups"] == 0 and r6["dups"] == 0, (r4["dups"], r6["dups"])
    late = [t for t in r4["error_times"] + r6["error_times"] if t > withdrawn_at]
    assert not late, f"ICMP errors after the withdrawal: {late}"
    for tor in ("tor1", "tor2"):
        c[tor].remove()


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
