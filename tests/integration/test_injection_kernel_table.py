"""The kernel-table injection method (learning/injection/method kernel-table) on real FRR:
fpm_client writes each IPv4 host route into kernel table 10, zebra imports it
(`ip import-table 10`, lab/topologies/injection.toml) and bgpd/ospfd redistribute it
(`redistribute table 10`); IPv6 host routes still go through ZAPI (FRR 8.4 has no
`ipv6 import-table`). The host interface going down takes the kernel's routes with it;
fpm_client puts them back when it comes up."""

import pytest

from injection_lab import (TOPOLOGIES, LearnerClient, hrlab, injection_config, route_entry, show, start_fpm,
                           wait_client_state)

V4 = ["10.1.0.70", "10.1.0.71"]
V6 = "2001:db8:1::70"


@pytest.fixture(scope="module")
def lab(request):
    from conftest import lab_prefix, require_lab_environment
    require_lab_environment()
    lab = hrlab.Lab.from_file(TOPOLOGIES / "injection.toml", prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        yield lab
    finally:
        lab.down(keep_logs=request.module.__dict__.get("_hrlab_failed", False) or None)


def kernel_table(lab):
    return lab.run("tor1", ["ip", "route", "show", "table", "10"]).stdout


def test_kernel_table_method(lab):
    start_fpm(lab, "tor1", injection_config(method="kernel-table", kernel_table=10,
                                            graceful_restart={"stop_action": "withdraw"}))
    z = show(lab, "tor1", "zebra")
    assert z["injection"]["method"] == "kernel-table" and z["injection"]["moveSignal"]["enabled"] is False, z["injection"]
    assert z["frrConfig"]["ok"] in (True, None), z["frrConfig"]
    c = LearnerClient(lab.daemon_socket("tor1", "fpm_client"))
    c.subscribe()
    c.sync(1, V4 + [V6])
    wait_client_state(c, V4 + [V6])
    table = kernel_table(lab)
    for a in V4:
        assert f"{a} dev br10" in table, table
    # zebra imported them (type table, instance 10, distance 15), BGP and OSPF carry them.
    for a in V4:
        lab.wait_route("tor1", f"{a}/32", protocol="table", timeout=10)
        e = route_entry(lab, "tor1", f"{a}/32", "table")
        assert e.get("instance") == 10 and e["distance"] == 15, e
        lab.wait_route("spine", f"{a}/32", protocol="bgp", via_router="tor1", timeout=15)
        lab.wait_route("spine", f"{a}/32", protocol="ospf", via_router="tor1", selected=False, timeout=15)
    # IPv6 through ZAPI (table 0).
    e = route_entry(lab, "tor1", f"{V6}/128", "table")
    assert e is not None and e.get("instance", 0) == 0, e
    lab.wait_route("spine", f"{V6}/128", protocol="bgp", via_router="tor1", timeout=15)
    r = show(lab, "tor1", "routes", V4[0])["routes"][0]
    assert (r["method"], r["state"]) == ("kernel-table", "installed"), r

    # Link down: the kernel drops table 10's routes through br10 (without telling zebra: the
    # method's known problem, docs/zapi.md: zebra keeps advertising its imported copy until
    # the link returns); up: fpm_client re-adds them.
    lab.link_down("tor1", "br10")
    hrlab.wait_until(lambda: V4[0] not in kernel_table(lab), timeout=10, desc="kernel dropped the routes")
    r = show(lab, "tor1", "routes", V4[0])["routes"][0]
    assert (r["state"], r["reason"]) == ("waiting", "interface br10 is down"), r
    lab.link_up("tor1", "br10")
    hrlab.wait_until(lambda: all(f"{a} dev br10" in kernel_table(lab) for a in V4), timeout=10,
                     desc="fpm_client restored table 10")
    lab.wait_route("spine", f"{V4[0]}/32", protocol="bgp", via_router="tor1", timeout=15)

    # Withdrawal leaves nothing stale in the kernel, zebra or the spine.
    c.withdraw(V4 + [V6])
    hrlab.wait_until(lambda: not any(a in kernel_table(lab) for a in V4), timeout=10, desc="table 10 empty")
    for a in V4:
        lab.wait_route("tor1", f"{a}/32", present=False, protocol="table", timeout=10)
        lab.wait_route("spine", f"{a}/32", present=False, protocol="bgp", timeout=15)
    lab.wait_route("spine", f"{V6}/128", present=False, protocol="bgp", timeout=15)
    c.close()
    lab.stop_daemon("tor1", "fpm_client")


def test_kernel_table_leftovers_are_swept_after_the_first_sync(lab):
    """A previous run's routes in table 10 stay until the learner's first full sync, then
    only the re-sent ones remain."""
    lab.run("tor1", ["ip", "route", "add", "10.1.0.72/32", "dev", "br10", "table", "10"])
    lab.run("tor1", ["ip", "route", "add", "10.1.0.73/32", "dev", "br10", "table", "10"])
    start_fpm(lab, "tor1", injection_config(method="kernel-table", kernel_table=10,
                                            graceful_restart={"stop_action": "withdraw"}))
    c = LearnerClient(lab.daemon_socket("tor1", "fpm_client"))
    c.subscribe()
    assert "10.1.0.72" in kernel_table(lab)
    c.sync(1, ["10.1.0.72"])
    hrlab.wait_until(lambda: "10.1.0.73" not in kernel_table(lab), timeout=10, desc="leftover swept")
    assert "10.1.0.72 dev br10" in kernel_table(lab)
    c.withdraw(["10.1.0.72"])
    hrlab.wait_until(lambda: "10.1.0.72" not in kernel_table(lab), timeout=10, desc="withdrawn")
    c.close()
    lab.stop_daemon("tor1", "fpm_client")
