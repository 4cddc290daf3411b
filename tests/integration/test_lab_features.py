"""The schema showcase lab/topologies/features.toml brought up with real FRR:
plain namespace, stretched VLAN, two bridges, BGP-only routers, zebra module
and args, an extra FRR daemon, extra FRR config, sysctls, explicit MACs."""

import json

import hrlab
import pytest
from hrlab.topology import DEFAULT_TOPOLOGY

from conftest import lab_prefix, require_lab_environment

FEATURES = DEFAULT_TOPOLOGY.parent / "features.toml"


@pytest.fixture(scope="module")
def flab():
    require_lab_environment()
    lab = hrlab.Lab.from_file(FEATURES, prefix=lab_prefix())
    try:
        lab.up(wait=True, timeout=60)
        yield lab
    finally:
        lab.down()


def test_plain_namespace_has_no_frr(flab):
    assert flab.ns("asic") in hrlab.resources(flab.prefix)["namespaces"]
    assert not (hrlab.proc.FRR_RUN / flab.ns("asic")).exists()
    assert flab.run("asic", "sysctl -n net.ipv4.ip_forward").stdout.strip() == "0"
    link = json.loads(flab.run("asic", "ip -j link show eth0").stdout)[0]
    assert link["address"] == "02:00:00:00:a5:01" and link["mtu"] == 9000
    flab.wait_until(lambda: flab.ping("tor1", "169.254.10.1", timeout=1), timeout=10,
                    desc="tor1 -> asic")


def test_bgp_only_routers(flab):
    assert set(flab.frr_pids("spine")) == {"zebra", "staticd", "bgpd"}
    assert set(flab.frr_pids("tor1")) == {"zebra", "staticd", "bgpd", "vrrpd"}
    assert set(flab.frr_pids("tor2")) == {"zebra", "staticd", "bgpd", "ospfd", "ospf6d"}
    flab.wait_bgp_established(timeout=30)
    flab.wait_route("tor2", "10.2.0.0/24", protocol="bgp", via_router="spine", timeout=15)


def test_frr_extra_zebra_module_and_args(flab):
    flab.wait_route("tor1", "192.0.2.0/24", protocol="static", timeout=10)
    zebra = flab.frr_pids("tor1")["zebra"]
    argv = hrlab.proc.pid_cmdline(zebra)
    assert argv[argv.index("-M") + 1] == "dplane_fpm_nl" and "--graceful_restart" in argv
    # the fpm command exists only with the module loaded (2620 is the default port)
    assert "fpm address 127.0.0.1\n" in flab.vtysh("tor1", "show running-config")
    assert flab.frr_config_errors("tor1") == []


def test_sysctls(flab):
    out = flab.run("tor1", "sysctl -n net.ipv4.conf.all.arp_ignore "
                           "net.ipv4.neigh.br10.proxy_delay net.ipv4.neigh.br20.proxy_delay"
                   ).stdout.split()
    assert out == ["1", "0", "80"]


def test_stretched_vlan_and_second_bridge(flab):
    # h11 (tor1 br10) and h21 (tor2 br10) share one L2 domain through the isl veth
    flab.wait_until(lambda: flab.ping("h11", "10.1.0.21"), timeout=10, desc="h11 -> h21 over isl")
    flab.wait_until(lambda: flab.ping("h21", "10.1.0.2"), timeout=10, desc="h21 -> tor1 over isl")
    br20 = json.loads(flab.run("tor1", "ip -j link show br20").stdout)[0]
    assert br20["address"] == "02:00:00:00:20:02"
    assert flab.run("h12", "cat /sys/class/net/eth0/address").stdout.strip() == "02:00:00:00:01:12"
    flab.wait_until(lambda: flab.ping("h12", "10.2.0.2", timeout=1), timeout=10,
                    desc="h12 -> tor1 br20")


def test_host_gateways(flab):
    assert "via 10.1.0.1" in flab.run("h21", "ip route show default").stdout
    assert flab.run("h12", "ip -6 route show default").stdout.strip() == ""
    assert "via 10.2.0.2" in flab.run("h12", "ip route show default").stdout


def test_bad_frr_extra_fails_bring_up():
    """A typo in frr_extra makes up() fail and name the line."""
    require_lab_environment()
    topo = hrlab.Topology.from_file(FEATURES)
    d = topo.raw
    d["routers"]["spine"]["frr_extra"] = "ip rooute 10.9.9.0/24 blackhole\n"
    lab = hrlab.Lab(d, prefix=lab_prefix() + "bad")
    try:
        with pytest.raises(hrlab.LabError, match="ip rooute"):
            lab.up(wait=False)
    finally:
        lab.down()
    assert hrlab.is_empty(lab.resources())
