"""Host routing end to end: hostroute_learner + fpm_client on both ToRs, real FRR (zebra,
bgpd, ospfd, ospf6d), real hosts. A host's first ARP puts its /32 (and its ND its /128) in
the ToR's zebra, in the spine's BGP or OSPF pointing at that ToR; a VM move follows, and the
old ToR withdraws at once on the move signal (docs/host-routing.md) or, without the FRR
configuration of the signal, within the hold time; restarts lose nothing.

Three fabrics, each a module-scoped lab (prefix from HRLAB_PREFIX):
  ospf      OSPFv2/v3 only, `redistribute table` (the claim/hold distances alone give the
            signal in OSPF)
  bgp       eBGP only, configured as docs/frr-config.md §3 prescribes (redistribute table
            route-map HOSTROUTES-OUT, neighbor ... route-map FABRIC-IN in)
  fallback  eBGP only, plain `redistribute table`: no signal, the old ToR ages the host out
"""

import copy
import threading
import time
import tomllib

import pytest

from conftest import REPO, lab_prefix, require_lab_environment  # noqa: F401
import hrlab
from hrlab import wait_until

LEARNER = "hostroute_learner"
FPM = "fpm_client"
HOLD = 6  # the learner's hold time in these labs (seconds)

ASN = {"tor1": 65001, "tor2": 65002}
SPINE_V4 = {"tor1": "10.0.1.1", "tor2": "10.0.2.1"}
SPINE_V6 = {"tor1": "2001:db8:f1::1", "tor2": "2001:db8:f2::1"}


def frr_extra(tor, fabric):
    if fabric == "ospf":
        return "router ospf\n redistribute table\n!\nrouter ospf6\n redistribute table\n!\n"
    rm = ""
    inbound = ""
    if fabric == "bgp":
        rm = " route-map HOSTROUTES-OUT"
        inbound = "  neighbor {} route-map FABRIC-IN in\n"
    asn = ASN[tor]
    out = ""
    if fabric == "bgp":
        # docs/frr-config.md §3, as prescribed there.
        out += (f"route-map HOSTROUTES-OUT permit 10\n match tag 2\n set as-path prepend {asn} {asn}\n set weight 0\n"
                " set community 65000:100 additive\n!\n"
                "route-map HOSTROUTES-OUT permit 20\n set community 65000:100 additive\n!\n"
                "route-map FABRIC-IN permit 10\n set weight 1\n!\n")
    out += (f"router bgp {asn}\n address-family ipv4 unicast\n  redistribute table{rm}\n"
            + inbound.format(SPINE_V4[tor])
            + f" exit-address-family\n address-family ipv6 unicast\n  redistribute table{rm}\n"
            + inbound.format(SPINE_V6[tor])
            + " exit-address-family\n!\n")
    return out


def topology(fabric):
    with open(hrlab.DEFAULT_TOPOLOGY, "rb") as f:
        topo = tomllib.load(f)
    topo = copy.deepcopy(topo)
    topo["lab"]["name"] = f"hostroute-{fabric}"
    for r in ("spine", "tor1", "tor2"):
        topo["routers"][r]["protocols"] = ["ospf"] if fabric == "ospf" else ["bgp"]
    for tor in ("tor1", "tor2"):
        topo["routers"][tor]["frr_extra"] = frr_extra(tor, fabric)
    return topo


def suite_config(tor):
    return {
        "frr-hostroute:hostroute": {
            "interface": [{
                "name": "br10",
                "subnet": [{"prefix": "10.1.0.0/24"}, {"prefix": "2001:db8:1::/64"}],
                "learning": {"enabled": True},
            }],
            "learning": {"aging": {"hold-time": HOLD}, "probing": {"interval": 1000, "retries": 2}},
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
    import json
    return json.loads(out) if out.strip() else None


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


def check_move(lab, fabric_name, name, addr, old, new):
    lab.wait_route("spine", f"{addr}/32", protocol=spine_proto(fabric_name), via_router=new, timeout=10)
    lab.wait_route(new, f"{addr}/32", protocol="table", timeout=5)
    h = wait_until(lambda: (x := host(lab, old, addr)) and x["state"] == "withdrawn" and x,
                   timeout=HOLD + 4, desc=f"{old} withdrew {addr}")
    lab.wait_route(old, f"{addr}/32", protocol="table", present=False, timeout=5)
    assert wait_until(lambda: lab.ping("hs1", addr), timeout=5, desc=f"hs1 -> {addr} behind {new}")
    return h


def test_vm_move_and_back(fabric):
    name, lab = fabric
    lab.add_host("he2", "tor1", ipv4="10.1.0.52", ipv6="2001:db8:1::52", gateway4="10.1.0.1")
    announce(lab, "he2", "10.1.0.52", "2001:db8:1::52")
    lab.wait_route("spine", "10.1.0.52/32", protocol=spine_proto(name), via_router="tor1", timeout=10)
    lab.wait_route("spine", "2001:db8:1::52/128", protocol=spine_proto(name, v6=True), via_router="tor1", timeout=10)
    for old, new in (("tor1", "tor2"), ("tor2", "tor1")):
        lab.move_host("he2", new)
        announce(lab, "he2", "10.1.0.52", "2001:db8:1::52")
        h = check_move(lab, name, "he2", "10.1.0.52", old, new)
        # The /128 follows (learned from the host's ND on the new ToR).
        lab.wait_route("spine", "2001:db8:1::52/128", protocol=spine_proto(name, v6=True), via_router=new,
                       timeout=HOLD + 10)
        if name == "fallback":
            assert h["reason"] == "aged", h  # no signal: the hold time did it
        else:
            assert h["reason"] == "moved-away", h  # the signal: no waiting for the hold time
            assert "remote-route" in [e["event"] for e in h["timeline"]], h["timeline"]


@pytest.mark.parametrize("fabric", ["bgp"], indirect=True)  # once, in the eBGP fabric
def test_kill9_learner_spine_never_loses_the_route(fabric):
    name, lab = fabric
    lab.add_host("he3", "tor1", ipv4="10.1.0.53", gateway4="10.1.0.1")
    assert lab.ping("he3", "10.1.0.2")  # the kernel's neighbour table has it
    lab.wait_route("spine", "10.1.0.53/32", protocol="bgp", via_router="tor1", timeout=10)
    missing = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            r = lab.vtysh_json("spine", "show bgp ipv4 unicast 10.1.0.53/32 json")
            if not r or not r.get("paths"):
                missing.append(time.monotonic())
            time.sleep(0.05)

    t = threading.Thread(target=watch)
    t.start()
    try:
        lab.kill_daemon("tor1", LEARNER)
        lab.start_daemon("tor1", LEARNER)
        wait_until(lambda: (x := host(lab, "tor1", "10.1.0.53")) and x["learned"], timeout=5, desc="re-learned")
        sync = lambda: lab.hostroutectl("tor1", "show", "hosts", "--json", json=True)["fpmClient"]["synced"]
        wait_until(sync, timeout=10, desc="learner re-synced with fpm_client")
        time.sleep(2)  # keep watching the spine a while after the sweep
    finally:
        stop.set()
        t.join()
    assert not missing, f"the spine lost 10.1.0.53/32 {len(missing)} times during the learner restart"


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
