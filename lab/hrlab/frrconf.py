"""Generate a router's integrated frr.conf from the topology (pure code).

Every FRR daemon of the router is started with `-f` on the same file and parses
all of it, ignoring the blocks of other daemons. Blocks are therefore separated
with `!` and never closed by a top-level `exit` (an `exit` after a block a
daemon does not know leaves config mode in that daemon; see LAB.md).
"""

from __future__ import annotations

from .topology import Node, Topology


def frr_daemons(router: Node) -> list[str]:
    """The FRR daemons to run for `router`, zebra first (start order)."""
    ds = ["zebra", "staticd"]
    if "bgp" in router.protocols:
        ds.append("bgpd")
    if "ospf" in router.protocols:
        ds += ["ospfd", "ospf6d"]
    for d in router.extra_daemons:
        if d not in ds:
            ds.append(d)
    return ds


def vtysh_conf(hostname: str) -> str:
    """The per-namespace vtysh.conf (with the router's hostname: otherwise vtysh
    adds the machine's own hostname to `show running-config`)."""
    return f"service integrated-vtysh-config\nhostname {hostname}\n"


def generate(topo: Topology, router_name: str) -> str:
    """The integrated frr.conf text of router `router_name`."""
    r = topo.routers[router_name]
    f = topo.frr
    ka, hold, connect = f["bgp_keepalive"], f["bgp_holdtime"], f["bgp_connect_retry"]
    hello, dead, area = f["ospf_hello"], f["ospf_dead"], f["ospf_area"]
    ospf = "ospf" in r.protocols
    L: list[str] = [
        "frr version 8.4",
        "frr defaults datacenter",
        f"hostname {r.name}",
        "log timestamp precision 3",
        "!",
    ]

    if ospf:
        for p in topo.ospf_peers(router_name, 3):
            peer = topo.routers[p.peer]
            L.append(f"interface {p.ifname}")
            L.append(f" description to {peer.name}:{p.peer_ifname}")
            if p.peer_ip(4):
                L += [
                    f" ip ospf area {area}",
                    " ip ospf network point-to-point",
                    f" ip ospf hello-interval {hello}",
                    f" ip ospf dead-interval {dead}",
                ]
            L += [
                f" ipv6 ospf6 area {area}",
                " ipv6 ospf6 network point-to-point",
                f" ipv6 ospf6 hello-interval {hello}",
                f" ipv6 ospf6 dead-interval {dead}",
            ]
            L.append("!")

    peers = topo.bgp_peers(router_name)
    if "bgp" in r.protocols:
        L += [
            f"router bgp {r.asn}",
            f" bgp router-id {r.router_id}",
            " no bgp ebgp-requires-policy",
            " no bgp default ipv4-unicast",
            " bgp bestpath as-path multipath-relax",
        ]
        for ip, _afi, p in peers:
            peer = topo.routers[p.peer]
            L += [
                f" neighbor {ip} remote-as {peer.asn}",
                f" neighbor {ip} description {peer.name}:{p.peer_ifname}",
                f" neighbor {ip} timers {ka} {hold}",
                f" neighbor {ip} timers connect {connect}",
            ]
        for afi in ("ipv4", "ipv6"):
            L.append(f" address-family {afi} unicast")
            L.append("  redistribute connected")
            for ip, pafi, _p in peers:
                if pafi == afi:
                    L.append(f"  neighbor {ip} activate")
            L.append(" exit-address-family")
        L.append("!")

    if ospf:
        L += [
            "router ospf",
            f" ospf router-id {r.router_id}",
            " redistribute connected",
            " timers throttle spf 0 50 500",
            " timers throttle lsa all 0",
            " timers lsa min-arrival 0",
            "!",
            "router ospf6",
            f" ospf6 router-id {r.router_id}",
            " redistribute connected",
            " timers throttle spf 0 50 500",
            " timers lsa min-arrival 0",
            "!",
        ]

    extra = r.frr_extra.strip("\n")
    if extra:
        L += ["! ---- frr_extra from the topology ----", extra, "!"]

    return "\n".join(L) + "\n"



def daemons_answering(show_modules_output: str) -> set[str]:
    """Daemons that answered vtysh's `show modules` (vtysh prints "Module
    information for <daemon>:" before each daemon's answer).

    FRR 8.4 reads frr.conf in an event queued before its event loop starts, and
    flushes its log buffer before each poll, so a daemon that answers a vty
    command has read its whole config and written every startup log line."""
    import re
    return set(re.findall(r"^Module information for (\S+?):", show_modules_output, re.M))


def config_errors(logs: dict[str, str]) -> list[str]:
    """Config lines that NO daemon accepted, from the daemons' startup logs.

    `logs` maps daemon name to its log text. Each daemon parses the whole
    integrated file and logs e.g. "No such command on config line 12: ..." for
    the lines of other daemons; a line every daemon rejected is a real error.
    Returns ["line N: text (daemon: message)", ...].
    """
    import re
    rx = re.compile(r"\] (?P<msg>[^\]]*?) on config line (?P<n>\d+): ?(?P<text>.*)$")
    rejected: dict[str, dict[int, tuple[str, str]]] = {}
    for daemon, text in logs.items():
        rejected[daemon] = {}
        for line in text.splitlines():
            m = rx.search(line)
            if m:
                rejected[daemon][int(m["n"])] = (m["text"].strip(), m["msg"])
    if not rejected:
        return []
    common = set.intersection(*(set(r) for r in rejected.values()))
    out = []
    for n in sorted(common):
        msgs = {d: r[n][1] for d, r in rejected.items()}
        text = next(iter(rejected.values()))[n][0]
        real = [f"{d}: {m}" for d, m in msgs.items() if "No such command" not in m]
        out.append(f"line {n}: {text}" + (f" ({'; '.join(real)})" if real else ""))
    return out
