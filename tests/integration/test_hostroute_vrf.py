"""Host routing in a VRF, end to end: hostroute_learner + fpm_client on tor1, real FRR, real
hosts, with FRR's network-namespace VRF backend (this kernel has no VRF devices).

lab/topologies/vrf.toml: tor1's zebra runs with -n; VRF red is the namespace <prefix>-red,
holding red's host bridge br20 (the default VRF's subnet again, 10.1.0.0/24) and red's own
uplink to the spine, with `router bgp 65001 vrf red` and `redistribute table`. The learner
watches that namespace (config: vrf red, netns /run/netns/<prefix>-red; interface br20 in
vrf red), keys its hosts by (red, address), snoops and probes inside it; fpm_client injects
their routes with red's zebra VRF id.

Shown here:
  - zebra -n sees only our VRF namespace (the lab's private /run/netns view), also after a
    new namespace appears on the machine: other people's namespaces are never adopted;
  - a host in red sends one ARP (and one ND): its /32 (/128) is in tor1's
    `show ip route vrf red` as a table route, in red's kernel table (not the default one), in
    `show bgp vrf red`, at the spine via red's uplink, and a host behind the spine reaches it;
  - the same address in the default VRF is a different host (own MAC, interface, route);
  - a silent host in red is probed from inside red and stays; a host that leaves is
    withdrawn within the hold time everywhere;
  - red removed from the config: its hosts are withdrawn; put back: relearned from red's
    kernel neighbour table;
  - a VRF namespace configured before it exists is opened when it appears and closed, its
    hosts withdrawn, when it is deleted.
"""

import json
import shlex
from pathlib import Path

import pytest

from conftest import REPO, lab_prefix, require_lab_environment  # noqa: F401
import hrlab
from hrlab import Observation, wait_until
from hrlab.topology import Topology, TopologyError

LEARNER = "hostroute_learner"
FPM = "fpm_client"
HOLD = 6  # the learner's hold time here (seconds); probing: 2 probes 1 s apart
TOPO = REPO / "lab" / "topologies" / "vrf.toml"
SUBNETS = [{"prefix": "10.1.0.0/24"}, {"prefix": "2001:db8:1::/64"}]


def suite_config(lab, with_red=True):
    interfaces = [{"name": "br10", "subnet": SUBNETS, "learning": {"enabled": True}}]
    doc = {"interface": interfaces,
           "learning": {"aging": {"hold-time": HOLD}, "probing": {"interval": 1000, "retries": 2}}}
    if with_red:
        doc["vrf"] = [{"name": "red", "netns": f"/run/netns/{lab.ns('red')}"}]
        interfaces.append({"name": "br20", "vrf": "red", "subnet": SUBNETS,
                           "learning": {"enabled": True}})
    return {"frr-hostroute:hostroute": doc}


# ---- the lab helper, without root ---------------------------------------------------------

def test_vrf_topology_and_the_private_netns_view():
    t = Topology.from_file(TOPO)
    assert t.routers["tor1"].netns_vrfs == {"red": "red"}
    assert "red" in t.namespaces
    lab = hrlab.Lab(t, prefix="hrvfunit")
    view = lab.netns_vrf_view("tor1")
    assert view[:2] == ["/bin/sh", "-c"]
    script = view[2]
    # the real namespace is opened before /run/netns is covered, then bound as "red"
    assert script.index("exec 3</run/netns/hrvfunit-red") < script.index("mount -t tmpfs")
    assert "mount --bind /proc/self/fd/3 /run/netns/red" in script
    assert "mount --make-rprivate /" in script
    zebra = lab._daemon_argv("tor1", "zebra")
    bgpd = lab._daemon_argv("tor1", "bgpd")
    assert "-n" in zebra and "-n" not in bgpd
    assert script in zebra and script in bgpd  # every daemon of tor1 has the same view
    assert lab.netns_vrf_view("spine") == [] and script not in lab._daemon_argv("spine", "zebra")
    raw = t.raw
    for mutate, message in [
        (lambda d: d["routers"]["tor1"].update(netns_vrfs={"red": "spine"}), "plain namespace"),
        (lambda d: d["routers"]["tor1"].update(netns_vrfs={"red": "nope"}), "plain namespace"),
        (lambda d: d["routers"]["tor1"].update(netns_vrfs={"re-d": "red"}), "bad name"),
        (lambda d: d["routers"]["spine"].update(netns_vrfs={"blue": "red"}), "already a VRF"),
    ]:
        d = json.loads(json.dumps(raw))
        mutate(d)
        with pytest.raises(TopologyError, match=message):
            Topology.from_dict(d)


# ---- the lab -------------------------------------------------------------------------------

def vrf_bgp_established(lab):
    """The spine's sessions to red's uplink (v4, v6) are Established."""
    def check():
        st = lab.bgp_sessions("spine")
        want = {p: st.get(p, "not configured") for p in ("10.0.3.0", "2001:db8:f3::")}
        return Observation(all(v == "Established" for v in want.values()), observed=want,
                           expected="both Established")
    wait_until(check, timeout=30, desc="spine <-> tor1 VRF red BGP sessions")


@pytest.fixture(scope="module")
def vrf_lab(request):
    require_lab_environment()
    lab = hrlab.Lab.from_file(TOPO, prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        vrf_bgp_established(lab)
        # A port without an address keeps br20's carrier up when the test hosts leave (a
        # bridge without ports is down, and hosts of a down interface wait, not age).
        lab.add_host("hvk", "red", bridge="br20")
        lab.start_daemon("tor1", FPM, config=suite_config(lab))
        lab.start_daemon("tor1", LEARNER)
        wait_until(lambda: [v for v in learning(lab)["netnsVrfs"] if v["state"] == "watching"],
                   timeout=10, desc="the learner watches VRF red's namespace")
        yield lab
    finally:
        failed = request.module.__dict__.get("_hrlab_failed", False)
        lab.down(keep_logs=failed or None)


def learning(lab):
    return lab.hostroutectl("tor1", "show", "learning", "--json", json=True)


def host(lab, addr, vrf=None):
    args = ["show", "hosts", addr] + (["vrf", vrf] if vrf else []) + ["--json"]
    out = lab.hostroutectl("tor1", *args, check=False)
    return json.loads(out) if out.strip() else None


def kernel_route(lab, node, prefix):
    """The kernel's route for exactly `prefix` in `node`'s main table, or None."""
    fam = "-6" if ":" in prefix else "-4"
    cp = lab.run(node, ["ip", "-j", fam, "route", "show", "exact", prefix], check=False)
    routes = json.loads(cp.stdout or "[]")
    return routes[0] if routes else None


def bgp_paths(lab, router, prefix, vrf=None):
    afi = "ipv6" if ":" in prefix else "ipv4"
    vrf_s = f" vrf {vrf}" if vrf else ""
    return lab.vtysh_json(router, f"show bgp{vrf_s} {afi} unicast {prefix} json").get("paths", [])


def spine_next_hops(lab, prefix):
    return sorted(nh.get("ip") for p in bgp_paths(lab, "spine", prefix)
                  for nh in p.get("nexthops", [])[:1])


def zebra_view(lab):
    """What tor1's FRR daemons see in /run/netns (through their own mount namespace)."""
    out = {}
    for d, pid in lab.frr_pids("tor1").items():
        out[d] = sorted(p.name for p in Path(f"/proc/{pid}/root/run/netns").iterdir())
    return out


def arp(lab, name, addr):
    """The host speaks once: one gratuitous ARP."""
    lab.run(name, ["arping", "-c", "1", "-U", "-I", "eth0", addr], check=False)


def nd(lab, name):
    """The host speaks IPv6 once: an echo to the gateway (its NS for the gateway first)."""
    lab.run(name, ["ping", "-6", "-c", "1", "-W", "1", "2001:db8:1::2"], check=False)


def test_zebra_sees_only_our_vrf_namespace(vrf_lab):
    lab = vrf_lab
    out = lab.vtysh("tor1", "show vrf")
    vrfs = [l.split()[1] for l in out.splitlines() if l.startswith("vrf ")]
    assert vrfs == ["red"], out
    assert "vrf red id 1 netns /run/netns/red" in out, out
    view = zebra_view(lab)
    assert set(view) == {"zebra", "staticd", "bgpd"} and all(v == ["red"] for v in view.values()), view
    # A namespace created on the machine now (ours, by name) stays invisible to tor1's FRR,
    # as every other lab's does: zebra -n adopts only what its private view holds.
    probe = f"{lab.prefix}-probe"
    hrlab.proc.sh(["ip", "netns", "add", probe])
    try:
        assert probe in hrlab.proc.netns_list()
        assert all(v == ["red"] for v in zebra_view(lab).values()), zebra_view(lab)
        assert lab.vtysh("tor1", "show vrf") == out
    finally:
        hrlab.proc.sh(["ip", "netns", "delete", probe])
    log = (lab.node_workdir("tor1") / "zebra.log").read_text(errors="replace")
    created = [l for l in log.splitlines() if "NS notify : created VRF" in l]
    assert len(created) == 1 and "created VRF red NS /run/netns/red" in created[0], created


def test_vrf_host_routed_in_its_vrf_and_advertised(vrf_lab):
    lab = vrf_lab
    lab.add_host("hv1", "red", bridge="br20", ipv4="10.1.0.31", ipv6="2001:db8:1::31")
    arp(lab, "hv1", "10.1.0.31")
    # tor1's zebra: a table route in VRF red, through br20, not in the default VRF.
    lab.wait_route("tor1", "10.1.0.31/32", protocol="table", vrf="red", timeout=5)
    [entry] = [e for e in lab.route("tor1", "10.1.0.31/32", vrf="red") if e["protocol"] == "table"]
    assert [n.get("interfaceName") for n in entry["nexthops"]] == ["br20"], entry
    assert lab.route("tor1", "10.1.0.31/32") == []
    # The VRF's kernel table (red's namespace), not tor1's.
    k = wait_until(lambda: kernel_route(lab, "red", "10.1.0.31/32"), timeout=5,
                   desc="10.1.0.31/32 in VRF red's kernel table")
    assert k["dev"] == "br20" and k["protocol"] == "zebra", k
    assert kernel_route(lab, "tor1", "10.1.0.31/32") is None
    # BGP: in tor1's VRF red, and at the spine through red's uplink only.
    wait_until(lambda: bgp_paths(lab, "tor1", "10.1.0.31/32", vrf="red"), timeout=5,
               desc="10.1.0.31/32 in show bgp vrf red")
    assert bgp_paths(lab, "tor1", "10.1.0.31/32") == []
    lab.wait_route("spine", "10.1.0.31/32", protocol="bgp", via_router="red", timeout=10)
    assert spine_next_hops(lab, "10.1.0.31/32") == ["10.0.3.0"]
    h = wait_until(lambda: (x := host(lab, "10.1.0.31", "red")) and x.get("zebra") == "installed" and x,
                   timeout=5, desc="show hosts 10.1.0.31 vrf red: installed")
    assert (h["vrf"], h["interface"], h["port"], h["mac"]) == \
        ("red", "br20", "hv1", lab.host_mac("hv1")), h
    # IPv6: one ND exchange.
    nd(lab, "hv1")
    lab.wait_route("tor1", "2001:db8:1::31/128", protocol="table", vrf="red", timeout=5)
    k6 = wait_until(lambda: kernel_route(lab, "red", "2001:db8:1::31/128"), timeout=5,
                    desc="2001:db8:1::31/128 in VRF red's kernel table")
    assert k6["dev"] == "br20" and k6["protocol"] == "zebra", k6
    assert lab.route("tor1", "2001:db8:1::31/128") == []
    wait_until(lambda: bgp_paths(lab, "tor1", "2001:db8:1::31/128", vrf="red"), timeout=5,
               desc="2001:db8:1::31/128 in show bgp vrf red")
    lab.wait_route("spine", "2001:db8:1::31/128", protocol="bgp", via_router="red", timeout=10)
    # Traffic from behind the spine reaches the VRF's host (spine -> red's uplink -> br20).
    assert wait_until(lambda: lab.ping("hs1", "10.1.0.31"), timeout=5, desc="hs1 -> hv1")
    assert wait_until(lambda: lab.ping("hs1", "2001:db8:1::31"), timeout=5, desc="hs1 -> hv1 (v6)")


def test_same_address_in_the_default_vrf_is_another_host(vrf_lab):
    lab = vrf_lab
    # hv11 in red has h11's address (10.1.0.11, default VRF, on tor1's br10).
    lab.add_host("hv11", "red", bridge="br20", ipv4="10.1.0.11", ipv6="2001:db8:1::11")
    assert lab.ping("hv11", "10.1.0.2")  # red's kernel now has its neighbour entry too
    arp(lab, "h11", "10.1.0.11")
    lab.wait_route("tor1", "10.1.0.11/32", protocol="table", vrf="red", timeout=5)
    lab.wait_route("tor1", "10.1.0.11/32", protocol="table", timeout=5)
    red = wait_until(lambda: (x := host(lab, "10.1.0.11", "red")) and x.get("learned") and x,
                     timeout=5, desc="(red, 10.1.0.11) learned")
    default = wait_until(lambda: (x := host(lab, "10.1.0.11")) and x.get("learned") and x,
                         timeout=5, desc="(default, 10.1.0.11) learned")
    assert (red["vrf"], red["mac"], red["interface"]) == ("red", lab.host_mac("hv11"), "br20"), red
    assert (default["vrf"], default["mac"], default["interface"]) == \
        ("", lab.host_mac("h11"), "br10"), default
    assert red["moves"] == 0 and default["moves"] == 0
    assert not red["duplicate"] and not default["duplicate"]
    hosts = lab.hostroutectl("tor1", "show", "hosts", "--json", json=True)["hosts"]
    assert sorted(h["vrf"] for h in hosts if h["address"] == "10.1.0.11") == ["", "red"]
    # Two routes, one per VRF, each through its own bridge, each in its own kernel table.
    assert wait_until(lambda: kernel_route(lab, "red", "10.1.0.11/32"), timeout=5)["dev"] == "br20"
    assert wait_until(lambda: kernel_route(lab, "tor1", "10.1.0.11/32"), timeout=5)["dev"] == "br10"
    # The spine hears both, one per session.
    wait_until(lambda: spine_next_hops(lab, "10.1.0.11/32") == ["10.0.1.0", "10.0.3.0"],
               timeout=10, desc="spine: 10.1.0.11/32 from tor1's default VRF and from red")


def test_silent_vrf_host_stays_and_a_departed_one_is_withdrawn(vrf_lab):
    lab = vrf_lab
    lab.add_host("hv2", "red", bridge="br20", ipv4="10.1.0.32", ipv6="2001:db8:1::32")
    arp(lab, "hv2", "10.1.0.32")
    nd(lab, "hv2")
    lab.wait_route("spine", "10.1.0.32/32", protocol="bgp", via_router="red", timeout=10)
    lab.wait_route("spine", "2001:db8:1::32/128", protocol="bgp", via_router="red", timeout=10)

    # Silent, but it answers the learner's probes, which leave from inside red's namespace.
    def answered():
        h = host(lab, "10.1.0.32", "red")
        events = [(e["event"], e.get("detail", "")) for e in h["timeline"]]
        ok = any(e == "answered" for e, _ in events) and any(e == "probed" for e, _ in events)
        return Observation(ok, observed={"state": h["state"], "timeline": events})
    wait_until(answered, timeout=HOLD + 4, desc="hv2 probed in red and answered")
    h = host(lab, "10.1.0.32", "red")
    assert h["state"] in ("active", "probing") and h["zebra"] == "installed", h

    # It leaves (its namespace and its port go): withdrawn within the hold time, everywhere.
    lab.remove_host("hv2")
    h = wait_until(lambda: (x := host(lab, "10.1.0.32", "red")) and x["state"] == "withdrawn" and x,
                   timeout=HOLD + 3, desc="hv2 withdrawn")
    assert h["reason"] == "aged", h
    # Measured by the learner's own clock: within the hold time of its last sign of life
    # (the timeline's withdrawn event and lastSeenMsAgo, from one document).
    withdrawn = [e for e in h["timeline"] if e["event"] == "withdrawn"][-1]
    took = h["lastSeenMsAgo"] - withdrawn["msAgo"]
    print(f"[vrf] hv2 withdrawn {took} ms after its last sign of life (hold {HOLD} s)")
    assert took <= HOLD * 1000, (took, h["timeline"])
    for p in ("10.1.0.32/32", "2001:db8:1::32/128"):
        lab.wait_route("tor1", p, vrf="red", present=False, timeout=5)
        wait_until(lambda: kernel_route(lab, "red", p) is None, timeout=5,
                   desc=f"{p} gone from red's kernel table")
        wait_until(lambda: not bgp_paths(lab, "tor1", p, vrf="red"), timeout=5,
                   desc=f"{p} gone from show bgp vrf red")
        lab.wait_route("spine", p, present=False, timeout=10)


def test_vrf_removed_from_config_and_put_back(vrf_lab):
    lab = vrf_lab
    lab.add_host("hv3", "red", bridge="br20", ipv4="10.1.0.33")
    assert lab.ping("hv3", "10.1.0.2")  # learned, and in red's kernel neighbour table
    lab.wait_route("tor1", "10.1.0.33/32", protocol="table", vrf="red", timeout=5)
    path = lab.config_path("tor1")

    path.write_text(json.dumps(suite_config(lab, with_red=False)))
    lab.hostroutectl("tor1", "reload")
    wait_until(lambda: not learning(lab)["netnsVrfs"], timeout=5, desc="red no longer watched")
    h = wait_until(lambda: (x := host(lab, "10.1.0.33", "red")) and x["state"] == "withdrawn" and x,
                   timeout=5, desc="red's hosts withdrawn")
    assert h["reason"] in ("config", "interface-gone"), h
    lab.wait_route("tor1", "10.1.0.33/32", vrf="red", present=False, timeout=5)

    path.write_text(json.dumps(suite_config(lab)))
    lab.hostroutectl("tor1", "reload")
    # Nothing speaks: the host comes back from red's kernel neighbour table (the dump on open).
    lab.wait_route("tor1", "10.1.0.33/32", protocol="table", vrf="red", timeout=5)
    h = host(lab, "10.1.0.33", "red")
    assert h["learned"] and h["state"] in ("active", "probing"), h
    learned = [e["detail"] for e in h["timeline"] if e["event"] == "learned"]
    assert learned and "neighbor-table (start-up dump)" in learned[-1], h["timeline"]
    assert [v["state"] for v in learning(lab)["netnsVrfs"]] == ["watching"]
    assert "vrf_netns_open vrf=red netns=" + shlex.quote(f"/run/netns/{lab.ns('red')}") in \
        lab.daemon_log("tor1", LEARNER).read_text()


def test_vrf_namespace_that_appears_later_and_is_deleted(vrf_lab):
    """The learner side of a namespace's life: configured before it exists (waiting), opened
    when it appears, closed with its hosts withdrawn when it is deleted. (tor1's zebra does
    not see it: its view holds red only, so the route waits for the VRF in fpm_client.)"""
    lab = vrf_lab
    blue, hb1 = f"{lab.prefix}-blue", f"{lab.prefix}-hb1"
    cfg = suite_config(lab)
    doc = cfg["frr-hostroute:hostroute"]
    doc["vrf"].append({"name": "blue", "netns": f"/run/netns/{blue}"})
    doc["interface"].append({"name": "br30", "vrf": "blue", "learning": {"enabled": True}})
    path = lab.config_path("tor1")
    sh = hrlab.proc.sh

    def vrf_state(name):
        return next((v for v in learning(lab)["netnsVrfs"] if v["name"] == name), None)

    try:
        path.write_text(json.dumps(cfg))
        lab.hostroutectl("tor1", "reload")
        v = wait_until(lambda: (x := vrf_state("blue")) and x["state"] == "waiting" and x["lastError"] and x,
                       timeout=5, desc="blue configured, namespace absent: waiting")
        assert "cannot stat" in v["lastError"], v
        assert vrf_state("red")["state"] == "watching"

        sh(["ip", "netns", "add", blue])
        sh(["ip", "netns", "add", hb1])
        hrlab.proc.ip_batch(blue, [
            "link add br30 type bridge stp_state 0",
            "addr add 10.3.0.1/24 dev br30",
            "link set br30 up",
            f"link add hb1 type veth peer name eth0 netns {hb1}",
            "link set hb1 master br30",
            "link set hb1 up",
        ])
        hrlab.proc.ip_batch(hb1, ["addr add 10.3.0.2/24 dev eth0", "link set eth0 up", "link set lo up"])
        wait_until(lambda: vrf_state("blue")["state"] == "watching", timeout=5,
                   desc="blue opened once its namespace appeared")
        sh(["ip", "netns", "exec", hb1, "ping", "-c", "1", "-W", "1", "10.3.0.1"], check=False)
        h = wait_until(lambda: (x := host(lab, "10.3.0.2", "blue")) and x.get("learned") and x,
                       timeout=5, desc="(blue, 10.3.0.2) learned inside blue's namespace")
        assert (h["vrf"], h["interface"], h["port"]) == ("blue", "br30", "hb1"), h
        routes = lab.hostroutectl("tor1", "show", "routes", "vrf", "blue", "10.3.0.2", "--json", json=True)
        assert "VRF blue unknown to zebra" in json.dumps(routes), routes

        closes = lab.hostroutectl("tor1", "show", "counters", "--json", json=True)[LEARNER][
            "hostroute_learner.vrf.namespace_closes"]
        sh(["ip", "netns", "delete", blue])
        v = wait_until(lambda: (x := vrf_state("blue")) and x["state"] == "waiting" and x,
                       timeout=5, desc="blue closed once its namespace was deleted")
        assert v["lastError"] == "namespace deleted" or "cannot stat" in v["lastError"], v
        h = wait_until(lambda: (x := host(lab, "10.3.0.2", "blue")) and x["state"] == "withdrawn" and x,
                       timeout=5, desc="blue's host withdrawn")
        assert h["reason"] == "interface-gone", h
        assert lab.hostroutectl("tor1", "show", "counters", "--json", json=True)[LEARNER][
            "hostroute_learner.vrf.namespace_closes"] == closes + 1
        assert vrf_state("red")["state"] == "watching"
    finally:
        for ns in (hb1, blue):
            if ns in hrlab.proc.netns_list():
                sh(["ip", "netns", "delete", ns], check=False)
        path.write_text(json.dumps(suite_config(lab)))
        lab.hostroutectl("tor1", "reload")
