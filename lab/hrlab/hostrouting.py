"""The FRR configuration for host routes, as docs/frr-config.md prescribes it, for a lab ToR.

fpm_client injects every learned host as a zebra route of type `table`; bgpd, ospfd and
ospf6d advertise those only with `redistribute table` (docs/frr-config.md §1). Over eBGP
the move signal also needs two route-maps on every ToR (§2.2: held routes exported with the
own AS prepended twice and weight 0, paths from the fabric with weight 1); over OSPF §1 is
all (§2.1). Tests and the demo take the text from here, so they run what the doc says.

    text = frr_config(topology, "tor1")            # every protocol the ToR runs
    text = frr_config(topology, "tor1", move_signal=False)   # §1 only (the fallback)
"""

from __future__ import annotations

from .topology import Topology, load

COMMUNITY = "65000:100"  # marks host routes for the edge to filter (docs/frr-config.md §3)


def ospf_config() -> str:
    """§1 for OSPFv2 (IPv4 host routes) and OSPFv3 (IPv6)."""
    return "router ospf\n redistribute table\n!\nrouter ospf6\n redistribute table\n!\n"


def bgp_config(asn: int, fabric_peers: dict[str, list[str]], move_signal: bool = True) -> str:
    """§1, and with `move_signal` §2.2, for the ToR of AS `asn` whose fabric (spine)
    neighbours are `fabric_peers` = {"ipv4": [addresses], "ipv6": [addresses]}."""
    rm = " route-map HOSTROUTES-OUT" if move_signal else ""
    out = ""
    if move_signal:
        out += (f"route-map HOSTROUTES-OUT permit 10\n match tag 2\n set as-path prepend {asn} {asn}\n"
                f" set weight 0\n set community {COMMUNITY} additive\n!\n"
                f"route-map HOSTROUTES-OUT permit 20\n set community {COMMUNITY} additive\n!\n"
                "route-map FABRIC-IN permit 10\n set weight 1\n!\n")
    out += f"router bgp {asn}\n"
    for afi in ("ipv4", "ipv6"):
        out += f" address-family {afi} unicast\n  redistribute table{rm}\n"
        if move_signal:
            out += "".join(f"  neighbor {ip} route-map FABRIC-IN in\n" for ip in fabric_peers.get(afi, []))
        out += " exit-address-family\n"
    return out + "!\n"


def frr_config(topology, tor: str, move_signal: bool = True) -> str:
    """The host-route lines for router `tor` of `topology` (a Topology, a dict or a TOML
    path): §1 for each protocol it runs, plus the eBGP move signal (§2.2) towards every
    eBGP neighbour unless `move_signal` is False."""
    topo: Topology = load(topology)
    r = topo.routers[tor]
    out = ""
    if "ospf" in r.protocols:
        out += ospf_config()
    if "bgp" in r.protocols:
        peers: dict[str, list[str]] = {}
        for ip, afi, _p in topo.bgp_peers(tor):
            peers.setdefault(afi, []).append(ip)
        out += bgp_config(r.asn, peers, move_signal)
    return out


def with_host_routing(topology: dict, move_signal: bool = True) -> dict:
    """A copy of the topology dict whose ToRs (role "tor") carry frr_config() in their
    `frr_extra` (after whatever they had)."""
    import copy
    topo = copy.deepcopy(topology)
    for name, r in topo.get("routers", {}).items():
        if r.get("role") == "tor":
            r["frr_extra"] = r.get("frr_extra", "") + frr_config(topology, name, move_signal)
    return topo
