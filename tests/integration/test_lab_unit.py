"""Pure parts of the lab (no root): topology parsing and FRR config generation."""

import copy
import tomllib
from pathlib import Path

import hrlab
import pytest
from hrlab import frrconf
from hrlab.topology import Topology, TopologyError

TOPOS = Path(hrlab.DEFAULT_TOPOLOGY).parent


@pytest.fixture(scope="module")
def default():
    return Topology.from_file(hrlab.DEFAULT_TOPOLOGY)


@pytest.fixture(scope="module")
def raw():
    return tomllib.loads(Path(hrlab.DEFAULT_TOPOLOGY).read_text())


def test_default_topology_shape(default):
    assert list(default.routers) == ["spine", "tor1", "tor2"]
    assert {r: default.routers[r].asn for r in default.routers} == \
        {"spine": 65000, "tor1": 65001, "tor2": 65002}
    assert default.routers["tor1"].router_id == "10.0.0.11"
    assert default.routers["tor1"].protocols == ["bgp", "ospf"]
    assert default.routers["tor2"].bridge("br10").addresses == ["10.1.0.3/24", "2001:db8:1::3/64"]
    assert default.hosts["h11"].tor == "tor1"
    assert default.host_gateway(default.hosts["h11"], 4) == "10.1.0.2"
    assert default.host_gateway(default.hosts["h21"], 6) == "2001:db8:1::3"
    assert default.host_gateway(default.hosts["hs1"], 4) == "10.200.0.1"


def test_peerings(default):
    peers = {(ip, afi, p.peer) for ip, afi, p in default.bgp_peers("spine")}
    assert peers == {("10.0.1.0", "ipv4", "tor1"), ("2001:db8:f1::", "ipv6", "tor1"),
                     ("10.0.2.0", "ipv4", "tor2"), ("2001:db8:f2::", "ipv6", "tor2")}
    assert [(p.ifname, p.peer) for p in default.ospf_peers("spine", 3)] == \
        [("swp1", "tor1"), ("swp2", "tor2")]


def test_stable_macs():
    assert hrlab.host_mac("h11") == hrlab.host_mac("h11") != hrlab.host_mac("h21")
    mac = hrlab.host_mac("h11")
    assert int(mac.split(":")[0], 16) == 0x02  # locally administered, unicast
    assert hrlab.iface_mac("tor1", "swp1") != hrlab.iface_mac("tor2", "swp1")


def test_frr_conf_tor1(default):
    conf = frrconf.generate(default, "tor1")
    lines = conf.splitlines()
    assert lines[:2] == ["frr version 8.4", "frr defaults datacenter"]
    assert "exit" not in [l.strip() for l in lines], "a top-level exit breaks other daemons"
    for want in [
        "router bgp 65001",
        " neighbor 10.0.1.1 remote-as 65000",
        " neighbor 10.0.1.1 timers 1 3",
        " neighbor 2001:db8:f1::1 remote-as 65000",
        "  neighbor 2001:db8:f1::1 activate",
        "  redistribute connected",
        " ip ospf network point-to-point",
        " ip ospf hello-interval 1",
        " ip ospf dead-interval 3",
        " ipv6 ospf6 network point-to-point",
        " timers throttle spf 0 50 500",
        " timers throttle lsa all 0",
        " timers lsa min-arrival 0",
        "router ospf6",
    ]:
        assert want in lines, f"missing {want!r} in:\n{conf}"
    # the v6 neighbor is activated only in the ipv6 address family
    v4 = conf.split(" address-family ipv4 unicast")[1].split("exit-address-family")[0]
    assert "2001:db8:f1::1" not in v4 and "10.0.1.1 activate" in v4
    # bridges and loopbacks are not OSPF interfaces (they come in via redistribution)
    assert "interface br10" not in conf and "interface lo" not in conf


def test_protocols_and_extras(raw):
    d = copy.deepcopy(raw)
    d["routers"]["tor1"].update(protocols=["bgp"], frr_extra="ip route 10.9.9.9/32 Null0\n",
                                zebra_modules=["dplane_fpm_nl"], extra_daemons=["vrrpd"])
    d["routers"]["spine"]["protocols"] = ["ospf"]
    t = Topology.from_dict(d)
    tor1 = frrconf.generate(t, "tor1")
    assert "router ospf" not in tor1 and "ip ospf" not in tor1
    assert "router bgp 65001" in tor1 and "ip route 10.9.9.9/32 Null0" in tor1
    # spine speaks no BGP: tor1 has no BGP session to it, tor2 none either
    assert t.bgp_peers("tor1") == [] and t.bgp_peers("tor2") == []
    assert "router bgp" not in frrconf.generate(t, "spine")
    # OSPF: only tor2-spine (tor1 does not run OSPF)
    assert [p.peer for p in t.ospf_peers("spine")] == ["tor2"]
    assert frrconf.frr_daemons(t.routers["tor1"]) == ["zebra", "staticd", "bgpd", "vrrpd"]


def test_feature_topology_parses():
    """The schema showcase: plain namespace, stretched VLAN, two bridges, modules."""
    t = Topology.from_file(TOPOS / "features.toml")
    assert "asic" in t.namespaces and not t.namespaces["asic"].is_router
    isl = [l for l in t.links if l.a.bridge and l.b.bridge]
    assert isl and not t.is_routing_link(isl[0])
    assert [b.name for b in t.routers["tor1"].bridges] == ["br10", "br20"]
    assert t.routers["tor1"].zebra_modules == ["dplane_fpm_nl"]
    assert t.routers["spine"].protocols == ["bgp"]


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["routers"]["tor1"].update(asn="x"), "asn"),
    (lambda d: d["routers"]["tor1"].update(protocol=["bgp"]), "unknown key"),
    (lambda d: d["routers"]["tor1"].update(protocols=["isis"]), "unknown protocol"),
    (lambda d: d["hosts"]["h11"].update(tor="tor9"), "unknown router"),
    (lambda d: d["hosts"]["h11"].update(bridge="br99"), "no bridge"),
    (lambda d: d["links"][0]["a"].update(node="nope"), "unknown node"),
    (lambda d: d["links"][0]["a"].update(ifname="a-very-long-interface"), "interface name"),
    (lambda d: d["links"][1]["b"].update(ifname="swp1"), "already exists"),
    (lambda d: d["routers"]["tor2"].update(router_id="10.0.0.11"), "also used"),
    (lambda d: d["hosts"]["h11"].update(ipv4="2001:db8::1/64"), "not IPv4"),
    (lambda d: d["routers"].update({"bad-name": {"asn": 1, "router_id": "1.1.1.1"}}), "bad name"),
])
def test_validation_errors(raw, mutate, message):
    d = copy.deepcopy(raw)
    mutate(d)
    with pytest.raises(TopologyError, match=message):
        Topology.from_dict(d)


def test_host_address_without_length_takes_the_subnets(raw):
    d = copy.deepcopy(raw)
    d["hosts"]["h11"]["ipv4"] = "10.1.0.11"
    assert Topology.from_dict(d).hosts["h11"].ipv4 == "10.1.0.11/24"


def test_config_errors_are_lines_no_daemon_accepted():
    logs = {
        "zebra": "x] No such command on config line 7: router bgp 1\n"
                 "x] No such command on config line 9: ip ospf aera 0\n",
        "bgpd": "x] No such command on config line 9: ip ospf aera 0\n",
        "ospfd": "x] No such command on config line 7: router bgp 1\n"
                 "x] No such command on config line 9: ip ospf aera 0\n",
    }
    assert frrconf.config_errors(logs) == ["line 9: ip ospf aera 0"]


def test_daemons_answering_reads_vtysh_show_modules_headers():
    out = ("Module information for zebra:\nModule Name   Version   Description\n"
           "libfrr        8.4.4     libfrr core module\n\n"
           "Module information for bgpd:\nModule Name   Version   Description\n\n"
           "  Module information for ospfd: (not a header)\n")
    assert frrconf.daemons_answering(out) == {"zebra", "bgpd"}
    assert frrconf.daemons_answering("") == set()


def test_wait_until_reports_last_observation():
    seen = iter(range(1000))
    with pytest.raises(AssertionError) as e:
        hrlab.wait_until(lambda: hrlab.Observation(False, observed=next(seen), expected="x"),
                         timeout=0.2, interval=0.01, desc="never")
    msg = str(e.value)
    assert "never" in msg and "expected" in msg and "observed" in msg
    assert hrlab.wait_until(lambda: 42, timeout=1) == 42
