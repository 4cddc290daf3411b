"""The default lab with real FRR: sessions, adjacencies, routes, reachability, teardown.

Tests run in file order and share one module-scoped lab (conftest.py); the
last test tears it down and checks that nothing of the prefix is left.
Every wait polls with a deadline and, on timeout, prints what it saw.
"""

import hrlab
import pytest

# (router, peer address, afi) of every eBGP session in default.toml
BGP_SESSIONS = [
    ("tor1", "10.0.1.1", "ipv4"), ("tor1", "2001:db8:f1::1", "ipv6"),
    ("tor2", "10.0.2.1", "ipv4"), ("tor2", "2001:db8:f2::1", "ipv6"),
    ("spine", "10.0.1.0", "ipv4"), ("spine", "2001:db8:f1::", "ipv6"),
    ("spine", "10.0.2.0", "ipv4"), ("spine", "2001:db8:f2::", "ipv6"),
]
# (router, neighbor router-id @ interface) of every OSPF adjacency (v2 and v3)
OSPF_ADJ = [
    ("tor1", "10.0.0.1@swp1"), ("tor2", "10.0.0.1@swp1"),
    ("spine", "10.0.0.11@swp1"), ("spine", "10.0.0.12@swp2"),
]


def test_bgp_sessions_established(lab):
    """Every eBGP session, IPv4 and IPv6, is Established, and each is
    negotiated for its own address family."""
    lab.wait_bgp_established(timeout=30)
    for router, peer, afi in BGP_SESSIONS:
        nbr = lab.vtysh_json(router, f"show bgp neighbors {peer} json")[peer]
        assert nbr["bgpState"] == "Established", (router, peer, nbr["bgpState"])
        afis = set(nbr.get("addressFamilyInfo", {}))
        want = "ipv4Unicast" if afi == "ipv4" else "ipv6Unicast"
        assert afis == {want}, f"{router} peer {peer}: address families {afis}, want {{{want}}}"


def test_topology_expectations_match_the_table_above(lab):
    """The lab derives the same sessions/adjacencies from default.toml."""
    derived = sorted((r, ip, afi) for r in lab.routers for ip, afi, _ in lab.topo.bgp_peers(r))
    assert derived == sorted(BGP_SESSIONS)


@pytest.mark.parametrize("version", [2, 3])
def test_ospf_adjacencies_full(lab, version):
    """OSPFv2 and OSPFv3 adjacencies are Full on every router."""
    lab.wait_ospf_full(timeout=30, versions=(version,))
    for router, key in OSPF_ADJ:
        state = lab.ospf_neighbors(router, version).get(key, "absent")
        assert state.split("/")[0] == "Full", f"{router} ospfv{version} {key}: {state}"


@pytest.mark.parametrize("prefix", ["10.0.0.11/32", "2001:db8:ff::11/128"])
def test_tor1_loopback_reaches_tor2_through_spine(lab, prefix):
    """tor1's loopback is in tor2's RIB as a BGP route via the spine's link
    address (IPv6: the spine's global or link-local address on that link),
    with AS path 65000 65001; OSPF carries it too (not selected: distance)."""
    lab.wait_route("tor2", prefix, protocol="bgp", via_router="spine", timeout=15)
    best = lab.bgp_best_path("tor2", prefix)
    afi = "ipv6" if ":" in prefix else "ipv4"
    assert best is not None, lab.vtysh("tor2", f"show bgp {afi} unicast {prefix}")
    assert best["aspath"]["string"] == "65000 65001", best["aspath"]
    ospf = "ospf" if ":" not in prefix else "ospf6"
    lab.wait_route("tor2", prefix, protocol=ospf, via_router="spine", selected=False, timeout=15)


def test_host_subnet_is_ecmp_on_the_spine(lab):
    """Both ToRs advertise 10.1.0.0/24: the spine spreads traffic for it over
    both (the ingress problem the product solves with host routes)."""
    def both():
        entries = lab.route("spine", "10.1.0.0/24")
        hops = sorted(n["ip"] for e in entries if e.get("protocol") == "bgp" and e.get("selected")
                      for n in e["nexthops"] if n.get("active"))
        return hrlab.Observation(hops == ["10.0.1.0", "10.0.2.0"], observed=hops,
                                 expected=["10.0.1.0", "10.0.2.0"])
    lab.wait_until(both, timeout=15, desc="spine: 10.1.0.0/24 via tor1 and tor2")


def test_host_behind_tor1_pings_host_behind_spine(lab):
    """h11 (behind tor1) reaches hs1 (behind the spine) over IPv4 and IPv6.

    The spine load-shares replies for 10.1.0.0/24 between tor1 and tor2, and
    the two br10 are separate L2 domains in the default topology, so without
    host routes a reply hashed to tor2 is lost (observed: IPv4 ok and IPv6
    lost for h11, the reverse for h21, depending on the hash). As in a real
    data centre the subnet is stretched across the ToRs: the test joins the
    two br10 with a veth (stretched VLAN) so every reply gets through, bridged
    on by tor2 if need be, then removes it.
    """
    lab.add_link("tor1", "isl", "tor2", "isl", a_bridge="br10", b_bridge="br10")
    try:
        for src in ("h11", "h21"):
            for dst in ("10.200.0.10", "2001:db8:200::10"):
                lab.wait_until(lambda: lab.ping(src, dst, timeout=1), timeout=15,
                               desc=f"{src} pings hs1 at {dst}")
        for dst in ("10.1.0.11", "2001:db8:1::11"):
            lab.wait_until(lambda: lab.ping("hs1", dst, timeout=1), timeout=15,
                           desc=f"hs1 pings h11 at {dst}")
    finally:
        lab.del_link("tor1", "isl")


def test_host_macs_are_derived_from_names(lab):
    """Hosts' eth0 carry the MAC the lab predicts."""
    for h in ("h11", "h21", "hs1"):
        out = lab.run(h, ["cat", "/sys/class/net/eth0/address"]).stdout.strip()
        assert out == lab.host_mac(h) == hrlab.host_mac(h)


def test_teardown_leaves_nothing(lab):
    """down() leaves no namespace, process, pid file, FRR dir or link of the prefix."""
    before = lab.resources()
    assert before["namespaces"] and before["pids"], f"lab not running? {before}"
    frr_pids = {r: lab.frr_pids(r) for r in lab.routers}
    assert all(len(p) == 5 for p in frr_pids.values()), frr_pids
    lab.down()
    after = lab.resources()
    assert hrlab.is_empty(after), f"left behind after down(): {after}"
    still = [pid for pids in frr_pids.values() for pid in pids.values()
             if hrlab.proc.pid_alive(pid)]
    assert not still, f"FRR processes still alive after down(): {still}"
