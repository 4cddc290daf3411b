"""hostroute_learner in the lab: real FRR routers, real kernel bridges and neighbour tables,
real ARP/ND frames from host namespaces (scapy for the crafted ones). The learner runs on
tor1 (bridge br10, 10.1.0.0/24 + 2001:db8:1::/64); what it learned is read back through
`hostroutectl show hosts --json` and `show counters --json`.

These tests do not need fpm_client (the learner keeps trying to reach it); the end-to-end
tests with zebra, BGP and OSPF are in test_hostroute_e2e.py.
"""

import json
import time

import pytest

from hrlab import wait_until

LEARNER = "hostroute_learner"


def config(**learning):
    doc = {
        "frr-hostroute:hostroute": {
            "interface": [{
                "name": "br10",
                "subnet": [{"prefix": "10.1.0.0/24"}, {"prefix": "2001:db8:1::/64"}],
                "learning": {"enabled": True},
            }],
            "learning": {"aging": {"hold-time": 60}, "probing": {"interval": 1000, "retries": 3}},
        }
    }
    doc["frr-hostroute:hostroute"]["learning"].update(learning)
    return doc


@pytest.fixture
def learner(lab):
    started = []

    def start(cfg=None):
        lab.start_daemon("tor1", LEARNER, config=cfg or config())
        started.append(True)
        return lab

    yield start
    if lab.daemon_pid("tor1", LEARNER):
        lab.stop_daemon("tor1", LEARNER)


def hosts(lab):
    return lab.hostroutectl("tor1", "show", "hosts", "--json", json=True)


def host(lab, addr):
    """The host's JSON document, or None while the learner has not seen it."""
    out = lab.hostroutectl("tor1", "show", "hosts", addr, "--json", check=False)
    return json.loads(out) if out.strip() else None


def counters(lab):
    return lab.hostroutectl("tor1", "show", "counters", "--json", json=True)[LEARNER]


def counter(lab, name):
    return counters(lab).get(f"{LEARNER}.{name}", 0)


def learned(lab, addr):
    h = host(lab, addr)
    return h if h and h.get("learned") else None


def scapy(lab, node, code):
    """Runs a scapy snippet in a host namespace (frames go out of its eth0)."""
    lab.run(node, ["/usr/bin/python3", "-c", "from scapy.all import *\nconf.verb = 0\n" + code])


def garp(lab, node, mac, addr, iface="eth0"):
    scapy(lab, node, f"sendp(Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff')/ARP(op=1, hwsrc='{mac}', psrc='{addr}', "
                     f"hwdst='00:00:00:00:00:00', pdst='{addr}'), iface='{iface}')")


def test_arp_from_a_host_is_learned(lab, learner):
    learner()
    lab.add_host("ha1", "tor1", ipv4="10.1.0.31", ipv6="2001:db8:1::31")
    mac = lab.host_mac("ha1")
    lab.run("ha1", ["arping", "-c", "1", "-I", "eth0", "10.1.0.2"], check=False)
    h = wait_until(lambda: learned(lab, "10.1.0.31"), timeout=5, desc="10.1.0.31 learned from one ARP")
    assert h["mac"] == mac
    assert h["interface"] == "br10"
    assert h["port"] == "ha1"  # the bridge port (the ToR end of the host's veth)
    assert h["state"] == "active"
    events = [e["event"] for e in h["timeline"]]
    assert events[:2] == ["learned", "injected"], h["timeline"]
    assert "arp" in h["timeline"][0]["detail"]
    table = hosts(lab)
    assert "10.1.0.31" in [x["address"] for x in table["hosts"]]
    # The text form names the host too.
    assert "10.1.0.31" in lab.hostroutectl("tor1", "show", "hosts")


def test_ipv6_host_learned_from_nd(lab, learner):
    learner()
    lab.add_host("ha2", "tor1", ipv4="10.1.0.32", ipv6="2001:db8:1::32")
    lab.run("ha2", ["ping", "-6", "-c", "1", "-W", "1", "2001:db8:1::2"], check=False)
    h = wait_until(lambda: learned(lab, "2001:db8:1::32"), timeout=5, desc="2001:db8:1::32 learned from ND")
    assert h["family"] == "ipv6"
    assert h["mac"] == lab.host_mac("ha2")
    # Link-local senders are never learned, and are counted.
    assert counter(lab, "admission.refused.link-local") >= 1


def test_outside_subnet_refused_then_admitted_by_foreign_subnet(lab, learner):
    learner()
    lab.add_host("ha3", "tor1", ipv4="10.9.0.33/24", gateway4="none", gateway6="none")
    garp(lab, "ha3", lab.host_mac("ha3"), "10.9.0.33")
    h = wait_until(lambda: host(lab, "10.9.0.33"), timeout=5, desc="10.9.0.33 seen")
    assert h["learned"] is False
    assert h["refused"]["reason"] == "outside-subnet"
    before = counter(lab, "admission.refused.outside-subnet")
    assert before >= 1
    for _ in range(5):  # counted once per host, not per packet
        garp(lab, "ha3", lab.host_mac("ha3"), "10.9.0.33")
    wait_until(lambda: host(lab, "10.9.0.33")["refused"]["count"] >= 6, timeout=5, desc="repeats seen")
    assert counter(lab, "admission.refused.outside-subnet") == before

    cfg = config(**{"foreign-subnet": [{"prefix": "10.9.0.0/16", "interface": ["br10"]}]})
    with open(lab.config_path("tor1"), "w") as f:
        json.dump(cfg, f)
    lab.hostroutectl("tor1", "reload", LEARNER)
    h = wait_until(lambda: learned(lab, "10.9.0.33"), timeout=5, desc="10.9.0.33 learned once the range covers it")
    assert h["foreignSubnet"] is True


def test_dead_host_withdrawn_within_hold_time_silent_host_stays(lab, learner):
    hold = 5
    learner(config(aging={"hold-time": hold}, probing={"interval": 1000, "retries": 2}))
    lab.add_host("ha4", "tor1", ipv4="10.1.0.34")  # silent but alive: answers probes
    lab.add_host("ha5", "tor1", ipv4="10.1.0.35")  # dies
    for n, a in (("ha4", "10.1.0.34"), ("ha5", "10.1.0.35")):
        garp(lab, n, lab.host_mac(n), a)
    wait_until(lambda: learned(lab, "10.1.0.34") and learned(lab, "10.1.0.35"), timeout=5, desc="both learned")
    lab.link_down("ha5", "eth0")
    died = time.monotonic()
    h = wait_until(lambda: (x := host(lab, "10.1.0.35")) and x["state"] == "withdrawn" and x,
                   timeout=hold + 3, desc="dead host withdrawn")
    took = time.monotonic() - died
    assert h["reason"] == "aged"
    assert took <= hold + 1.5, f"withdrawn after {took:.1f} s, hold time {hold} s"
    # The silent one has been probed and answered at least once by now, and stays.
    wait_until(lambda: counter(lab, "probes.answered") >= 1, timeout=hold + 3, desc="a probe answered")
    alive = host(lab, "10.1.0.34")
    assert alive["state"] in ("active", "probing") and alive["learned"], alive
    assert "answered" in [e["event"] for e in alive["timeline"]], alive["timeline"]


def test_spoofed_garp_does_not_hijack_and_flags_duplicate(lab, learner):
    learner()
    lab.add_host("ha6", "tor1", ipv4="10.1.0.36")
    lab.add_host("hx6", "tor1", ipv4="10.1.0.136")  # the attacker, on another port
    real = lab.host_mac("ha6")
    lab.run("ha6", ["arping", "-c", "1", "-I", "eth0", "10.1.0.2"], check=False)
    wait_until(lambda: learned(lab, "10.1.0.36"), timeout=5, desc="real host learned")
    for _ in range(3):
        garp(lab, "hx6", lab.host_mac("hx6"), "10.1.0.36")
    h = wait_until(lambda: (x := host(lab, "10.1.0.36")) and x["duplicate"] and x, timeout=5, desc="flagged duplicate")
    assert h["mac"] == real
    assert h["port"] == "ha6"
    assert h["duplicateOf"]["mac"] == lab.host_mac("hx6")
    assert counter(lab, "mobility.conflicts") >= 1
    assert "duplicate" in [e["event"] for e in h["timeline"]]


def test_host_flapping_between_ports_is_frozen(lab, learner):
    learner(config(mobility={"max-moves": 3, "window": 60, "freeze-time": 600}))
    lab.add_host("ha7", "tor1", ipv4="10.1.0.37")
    mac = lab.host_mac("ha7")
    # A second attachment of the same host to br10 (another hypervisor port).
    lab.add_link("ha7", "eth1", "tor1", "ha7b", b_bridge="br10")
    lab.run("ha7", f"ip link set eth1 down; ip link set eth1 address {mac}")
    garp(lab, "ha7", mac, "10.1.0.37")
    wait_until(lambda: learned(lab, "10.1.0.37"), timeout=5, desc="learned")
    ifs = ["eth0", "eth1"]
    for move in range(1, 5):
        up, down = ifs[move % 2], ifs[(move + 1) % 2]
        lab.run("ha7", f"ip link set {down} down; ip link set {up} up")
        for _ in range(2):  # a burst: the repeat is not a move
            garp(lab, "ha7", mac, "10.1.0.37", iface=up)
        if move <= 3:
            wait_until(lambda: host(lab, "10.1.0.37")["moves"] >= move, timeout=5, desc=f"move {move}")
    h = wait_until(lambda: (x := host(lab, "10.1.0.37")) and x["frozen"] and x, timeout=5, desc="frozen")
    assert h["moves"] == 4, h
    assert counter(lab, "mobility.freezes") == 1
    r = lab.hostroutectl("tor1", "clear", "host", "10.1.0.37", "freeze")
    assert "released" in r
    assert host(lab, "10.1.0.37")["frozen"] is False


def test_malformed_frames_are_counted_and_dropped(lab, learner):
    learner()
    lab.add_host("ha8", "tor1", ipv4="10.1.0.38", ipv6="2001:db8:1::38")
    mac = lab.host_mac("ha8")
    pid = lab.daemon_pid("tor1", LEARNER)
    before = counter(lab, "packets.malformed")
    scapy(lab, "ha8", "\n".join([
        # ARP with a hardware length of 8
        f"sendp(Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff', type=0x0806)/Raw(bytes.fromhex('000108000804000102aabbccddee0a0100260000000000000a010002')), iface='eth0')",
        # NS with a wrong checksum
        f"sendp(Ether(src='{mac}', dst='33:33:ff:00:00:02')/IPv6(src='2001:db8:1::38', dst='ff02::1:ff00:2', hlim=255)/"
        f"ICMPv6ND_NS(tgt='2001:db8:1::2', cksum=0x1234)/ICMPv6NDOptSrcLLAddr(lladdr='{mac}'), iface='eth0')",
        # NS with hop limit 64 (RFC 4861 says drop)
        f"sendp(Ether(src='{mac}', dst='33:33:ff:00:00:02')/IPv6(src='2001:db8:1::38', dst='ff02::1:ff00:2', hlim=64)/"
        f"ICMPv6ND_NS(tgt='2001:db8:1::2')/ICMPv6NDOptSrcLLAddr(lladdr='{mac}'), iface='eth0')",
        # a zero-length ND option
        f"sendp(Ether(src='{mac}', dst='33:33:ff:00:00:02')/IPv6(src='2001:db8:1::38', dst='ff02::1:ff00:2', hlim=255)/"
        f"ICMPv6ND_NS(tgt='2001:db8:1::2')/Raw(b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00'), iface='eth0')",
        # a truncated ARP
        f"sendp(Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff', type=0x0806)/Raw(b'\\x00\\x01\\x08\\x00'), iface='eth0')",
    ]))
    wait_until(lambda: counter(lab, "packets.malformed") >= before + 4, timeout=5, desc="malformed frames counted")
    c = counters(lab)
    assert c.get(f"{LEARNER}.packets.malformed.bad_arp_format", 0) >= 1
    assert c.get(f"{LEARNER}.packets.malformed.bad_checksum", 0) >= 1
    assert c.get(f"{LEARNER}.packets.malformed.bad_hop_limit", 0) >= 1
    assert c.get(f"{LEARNER}.packets.malformed.bad_option", 0) >= 1
    # Nothing was learned from them, and the daemon is the same process, still answering.
    assert not learned(lab, "2001:db8:1::38")
    assert lab.daemon_pid("tor1", LEARNER) == pid
    assert hosts(lab)["summary"]["hosts"] >= 0


def test_kill9_restart_resyncs_from_the_kernel(lab, learner):
    learner()
    lab.add_host("ha9", "tor1", ipv4="10.1.0.39")
    assert lab.ping("ha9", "10.1.0.2")  # the kernel now has a neighbour entry for it
    wait_until(lambda: learned(lab, "10.1.0.39"), timeout=5, desc="learned")
    lab.kill_daemon("tor1", LEARNER)
    lab.start_daemon("tor1", LEARNER)
    h = wait_until(lambda: learned(lab, "10.1.0.39"), timeout=5, desc="re-learned after kill -9")
    assert "start-up dump" in h["timeline"][0]["detail"], h["timeline"]
    # Hosts from the dump were here before: they are published without a claim.
    assert "claim" not in h["timeline"][1]["detail"], h["timeline"]
