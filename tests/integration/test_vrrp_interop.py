"""Interop on one segment (lab/topologies/vrrp_interop.toml): vrrp_anycast (r1) with FRR
8.4's vrrpd (r2), then with keepalived 2.2.7 (r3): the same master, priorities and
preemption seen from both sides, IPv4 and IPv6, and a host keeps its gateway.

vrrp_anycast runs classic VRRP here (anycast false): one plain segment, where only the
master may own the virtual MAC (shared/VRRP.md P10).
"""

import json
import re
import shutil

import pytest

import hrlab
from conftest import lab_prefix, require_lab_environment
from vrrp_support import VIP4, VIP6, config, group, groups, wait_role
from hrlab import Observation, wait_until

TOPOLOGY = hrlab.DEFAULT_TOPOLOGY.parent / "vrrp_interop.toml"
FAMS = ("ipv4", "ipv6")


def ours(priority, preempt=True):
    return config(interface="eth0", groups=[group(priority, preempt=preempt, anycast=False)])


def set_ours(lab, priority, preempt=True):
    lab.config_path("r1").write_text(json.dumps(ours(priority, preempt)))
    lab.hostroutectl("r1", "reload")


def ours_is(lab, state, master_addr4=None, master_prio=None):
    exp = {f: {"state": state} for f in FAMS}
    wait_role(lab, "r1", exp, timeout=15)
    g = groups(lab, "r1")
    if master_addr4:
        assert g["ipv4"]["master"]["address"] == master_addr4, g["ipv4"]["master"]
    if master_prio is not None:
        for f in FAMS:
            assert g[f]["master"]["priority"] == master_prio, g[f]["master"]


def gateway_works(lab):
    for dest in (VIP4, VIP6, "10.9.9.9", "2001:db8:9::9"):
        assert lab.ping("h1", dest, count=2), f"h1 -> {dest}"


def received(lab):
    return min(g["statistics"]["advertisement-rcvd"] for g in groups(lab, "r1").values())


def stays_backup_while_hearing(lab, n=5):
    """Preempt off: r1 hears n more advertisements (n s > Master_Down_Interval) and stays
    backup."""
    start = received(lab)
    wait_until(lambda: Observation(received(lab) >= start + n, observed=received(lab) - start, expected=f">= {n}"),
               timeout=n + 5, desc="advertisements from the master")
    assert {f: g["state"] for f, g in groups(lab, "r1").items()} == {"ipv4": "backup", "ipv6": "backup"}


@pytest.fixture(scope="module")
def lab(request):
    require_lab_environment()
    lab = hrlab.Lab.from_file(TOPOLOGY, prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        lab.start_daemon("r1", "vrrp_anycast", config=ours(200))
        yield lab
    finally:
        failed = request.module.__dict__.get("_hrlab_failed", False)
        lab.down(keep_logs=failed or None)


# --- FRR vrrpd -------------------------------------------------------------------------------

FRR_MACVLANS = """
set -e
for f in 4 6; do
  ip link add vrrp$f-10 link eth0 type macvlan mode bridge
  ip link set dev vrrp$f-10 addrgenmode random
done
ip link set vrrp4-10 address 00:00:5e:00:01:0a
ip link set vrrp6-10 address 00:00:5e:00:02:0a
sysctl -qw net.ipv6.conf.vrrp4-10.disable_ipv6=1 net.ipv6.conf.vrrp6-10.accept_dad=0
ip addr add 10.1.0.1/24 dev vrrp4-10
ip addr add 2001:db8:1::1/64 dev vrrp6-10 nodad
ip link set vrrp4-10 up
ip link set vrrp6-10 up
"""


def frr_status(lab):
    vr = [v for v in lab.vtysh_json("r2", "show vrrp json") if v["vrid"] == 10]
    return {"ipv4": vr[0]["v4"]["status"], "ipv6": vr[0]["v6"]["status"]} if vr else {}


def frr_is(lab, status):
    want = {f: status for f in FAMS}
    wait_until(lambda: Observation(frr_status(lab) == want, observed=frr_status(lab), expected=want),
               timeout=15, desc="FRR vrrpd state")


def test_frr_vrrpd(lab):
    lab.run("r2", FRR_MACVLANS)
    lab.frr_config("r2", ["interface eth0", " vrrp 10 version 3", " vrrp 10 priority 100",
                          f" vrrp 10 ip {VIP4}", f" vrrp 10 ipv6 {VIP6}"])
    # Ours 200, FRR 100: ours is master, FRR agrees.
    ours_is(lab, "master")
    frr_is(lab, "Backup")
    vr = lab.vtysh_json("r2", "show vrrp json")[0]
    wait_until(lambda: lab.vtysh_json("r2", "show vrrp json")[0]["v4"]["stats"]["adverRx"] >= 2,
               timeout=5, desc="FRR receives our advertisements")
    assert vr["v4"]["effectivePriority"] == 100
    gateway_works(lab)

    # Ours 50: FRR preempts; we see FRR's priority.
    set_ours(lab, 50)
    frr_is(lab, "Master")
    ours_is(lab, "backup", master_addr4="10.1.0.12", master_prio=100)
    gateway_works(lab)

    # Ours 200 without preemption: FRR stays master.
    set_ours(lab, 200, preempt=False)
    stays_backup_while_hearing(lab)
    frr_is(lab, "Master")

    # Preemption on: ours takes over, FRR agrees.
    set_ours(lab, 200, preempt=True)
    ours_is(lab, "master")
    frr_is(lab, "Backup")
    gateway_works(lab)
    st = lab.hostroutectl("r1", "show", "vrrp", "--json", json=True)
    assert st["globalStatistics"] == {"checksum-errors": 0, "version-errors": 0, "vrid-errors": 0, "ip-ttl-errors": 0}, st
    assert st["receiveDrops"]["address-list-errors"] == 0

    lab.frr_config("r2", ["interface eth0", " no vrrp 10"])
    lab.run("r2", "ip link del vrrp4-10; ip link del vrrp6-10")


# --- keepalived -------------------------------------------------------------------------------

KEEPALIVED = """global_defs {{
    router_id {ns}
    vrrp_version 3
}}
vrrp_instance VI4 {{
    state BACKUP
    interface eth0
    virtual_router_id 10
    priority {prio}
    advert_int 1
    use_vmac vrrp4-10
    virtual_ipaddress {{
        10.1.0.1/24
    }}
}}
vrrp_instance VI6 {{
    state BACKUP
    interface eth0
    virtual_router_id 10
    priority {prio}
    advert_int 1
    use_vmac vrrp6-10
    native_ipv6
    virtual_ipaddress {{
        2001:db8:1::1/64
    }}
}}
"""


def ka_states(log):
    text = log.read_text(errors="replace") if log.exists() else ""
    out = {}
    for inst, fam in (("VI4", "ipv4"), ("VI6", "ipv6")):
        m = re.findall(rf"\({inst}\) Entering (\w+) STATE", text)
        out[fam] = m[-1] if m else None
    return out


def ka_is(log, state):
    want = {f: state for f in FAMS}
    wait_until(lambda: Observation(ka_states(log) == want, observed=ka_states(log), expected=want),
               timeout=15, desc="keepalived state")


def test_keepalived(lab):
    assert shutil.which("keepalived"), "keepalived is not installed (./dev.sh deps installs it)"
    d = lab.node_workdir("r3")
    conf, log = d / "keepalived.conf", d / "keepalived.log"
    conf.write_text(KEEPALIVED.format(ns=lab.ns("r3"), prio=150))
    set_ours(lab, 50)
    lab.popen("r3", ["keepalived", "-n", "-l", "-D", "-P", "-R", "-f", str(conf), "-p", str(d / "ka.pid"),
                     "-r", str(d / "ka-vrrp.pid"), "-c", str(d / "ka-check.pid")], log=log)
    # keepalived 150 preempts ours at 50; both agree.
    ka_is(log, "MASTER")
    ours_is(lab, "backup", master_addr4="10.1.0.13", master_prio=150)
    gateway_works(lab)

    # Ours 200 without preemption: keepalived stays master.
    set_ours(lab, 200, preempt=False)
    stays_backup_while_hearing(lab)
    assert ka_states(log) == {"ipv4": "MASTER", "ipv6": "MASTER"}

    # With preemption: ours takes over; keepalived logs our priority and steps down.
    set_ours(lab, 200)
    ours_is(lab, "master")
    ka_is(log, "BACKUP")
    text = log.read_text()
    assert "(VI4) Master received advert from 10.1.0.11 with higher priority 200, ours 150" in text, text[-2000:]
    assert "with higher priority 200, ours 150" in text.split("(VI6) Master received advert", 1)[-1][:200]
    gateway_works(lab)
    st = lab.hostroutectl("r1", "show", "vrrp", "--json", json=True)
    assert st["globalStatistics"] == {"checksum-errors": 0, "version-errors": 0, "vrid-errors": 0, "ip-ttl-errors": 0}, st
