"""Topology description: parse and validate a lab topology (TOML or dict).

Pure code: no processes, no root. The schema is documented in lab/README.md;
`Topology.from_dict` rejects unknown keys so that a typo fails loudly instead
of silently configuring nothing.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
"""Node names: no '-', so that '<prefix>-<node>' splits unambiguously."""

PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,15}$")
"""Lab prefixes: lower-case letters and digits, no '-' (see NAME_RE)."""

IFNAME_RE = re.compile(r"^[A-Za-z0-9_.]{1,15}$")
"""Linux interface names (IFNAMSIZ - 1), without the odd characters."""

MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")

PROTOCOLS = ("bgp", "ospf")
ROLES = ("tor", "spine", "router")

DEFAULT_FRR = {
    "bgp_keepalive": 1,
    "bgp_holdtime": 3,
    "bgp_connect_retry": 1,
    "ospf_hello": 1,
    "ospf_dead": 3,
    "ospf_area": "0.0.0.0",
    "log_level": "informational",
}


class TopologyError(ValueError):
    """The topology description is invalid; the message says where."""


def stable_mac(*parts: str) -> str:
    """A locally administered unicast MAC derived from `parts` (stable across runs).

    The first octet is 0x02; the other five are the first bytes of
    sha256("/".join(parts)).
    """
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return ":".join(f"{b:02x}" for b in (0x02,) + tuple(digest[:5]))


def host_mac(name: str) -> str:
    """The default MAC of host `name`'s eth0: stable_mac("host", name)."""
    return stable_mac("host", name)


def iface_mac(node: str, ifname: str) -> str:
    """The default MAC of interface `ifname` in node `node` (veth ends)."""
    return stable_mac("if", node, ifname)


def bridge_mac(node: str, bridge: str) -> str:
    """The default MAC of bridge `bridge` in node `node`.

    Set explicitly so the bridge MAC does not change when ports come and go
    (a Linux bridge otherwise takes the lowest port MAC).
    """
    return stable_mac("br", node, bridge)


def _iface(addr: str, where: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    try:
        return ipaddress.ip_interface(addr)
    except ValueError as e:
        raise TopologyError(f"{where}: bad address {addr!r}: {e}") from None


def _check_keys(d: dict, allowed: set[str], where: str) -> None:
    if not isinstance(d, dict):
        raise TopologyError(f"{where}: expected a table, got {type(d).__name__}")
    unknown = set(d) - allowed
    if unknown:
        raise TopologyError(
            f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")


def _check_name(name: str, where: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise TopologyError(f"{where}: bad name {name!r} (letters, digits, '_'; no '-')")
    return name


def _check_ifname(name: str, where: str) -> str:
    if not isinstance(name, str) or not IFNAME_RE.match(name):
        raise TopologyError(f"{where}: bad interface name {name!r} (max 15 chars)")
    return name


def _check_mac(mac: str | None, where: str) -> str | None:
    if mac is None:
        return None
    mac = str(mac).lower()
    if not MAC_RE.match(mac):
        raise TopologyError(f"{where}: bad MAC {mac!r}")
    return mac


def _str_list(v: Any, where: str) -> list[str]:
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise TopologyError(f"{where}: expected a list of strings")
    return list(v)


def _addresses(v: Any, where: str) -> list[str]:
    out = []
    for a in _str_list(v, where):
        _iface(a, where)
        out.append(a)
    return out


def _sysctls(v: Any, where: str) -> dict[str, str]:
    if not isinstance(v, dict):
        raise TopologyError(f"{where}: sysctls must be a table of name = value")
    return {str(k): str(int(x) if isinstance(x, bool) else x) for k, x in v.items()}


@dataclass
class Bridge:
    """A Linux bridge inside a node, with its own addresses."""
    name: str
    addresses: list[str] = field(default_factory=list)
    mac: str | None = None
    stp: bool = False

    @staticmethod
    def from_dict(d: dict, node: str) -> "Bridge":
        where = f"{node}.bridges"
        _check_keys(d, {"name", "addresses", "mac", "stp"}, where)
        if "name" not in d:
            raise TopologyError(f"{where}: bridge without a name")
        name = _check_ifname(d["name"], where)
        return Bridge(
            name=name,
            addresses=_addresses(d.get("addresses", []), f"{where}.{name}"),
            mac=_check_mac(d.get("mac"), f"{where}.{name}"),
            stp=bool(d.get("stp", False)),
        )


@dataclass
class Node:
    """A network namespace: a router (FRR runs there) or a plain namespace."""
    name: str
    kind: str  # "router" or "plain" (hosts are `Host`)
    loopbacks: list[str] = field(default_factory=list)
    bridges: list[Bridge] = field(default_factory=list)
    sysctls: dict[str, str] = field(default_factory=dict)
    forwarding: bool = True
    # router-only
    role: str = "router"
    asn: int | None = None
    router_id: str | None = None
    protocols: list[str] = field(default_factory=lambda: list(PROTOCOLS))
    frr_extra: str = ""
    zebra_modules: list[str] = field(default_factory=list)
    zebra_args: list[str] = field(default_factory=list)
    extra_daemons: list[str] = field(default_factory=list)
    # FRR's netns VRF backend: {VRF name: plain namespace node}. zebra runs with -n and every
    # FRR daemon of the router sees only these namespaces (see Lab.netns_vrf_view).
    netns_vrfs: dict[str, str] = field(default_factory=dict)

    @property
    def is_router(self) -> bool:
        return self.kind == "router"

    def bridge(self, name: str) -> Bridge | None:
        for b in self.bridges:
            if b.name == name:
                return b
        return None

    ROUTER_KEYS = {"role", "asn", "router_id", "loopbacks", "protocols", "frr_extra",
                   "zebra_modules", "zebra_args", "extra_daemons", "bridges", "sysctls",
                   "forwarding", "netns_vrfs"}
    PLAIN_KEYS = {"loopbacks", "bridges", "sysctls", "forwarding"}

    @staticmethod
    def from_dict(name: str, d: dict, kind: str) -> "Node":
        _check_name(name, f"{kind}s")
        where = f"{'routers' if kind == 'router' else 'namespaces'}.{name}"
        _check_keys(d, Node.ROUTER_KEYS if kind == "router" else Node.PLAIN_KEYS, where)
        bridges = d.get("bridges", [])
        if not isinstance(bridges, list):
            raise TopologyError(f"{where}.bridges: use [[{where}.bridges]] tables")
        n = Node(
            name=name,
            kind=kind,
            loopbacks=_addresses(d.get("loopbacks", []), f"{where}.loopbacks"),
            bridges=[Bridge.from_dict(b, where) for b in bridges],
            sysctls=_sysctls(d.get("sysctls", {}), f"{where}.sysctls"),
            forwarding=bool(d.get("forwarding", kind == "router")),
        )
        if len({b.name for b in n.bridges}) != len(n.bridges):
            raise TopologyError(f"{where}: duplicate bridge names")
        if kind != "router":
            return n
        n.role = d.get("role", "router")
        if n.role not in ROLES:
            raise TopologyError(f"{where}.role: {n.role!r} not one of {ROLES}")
        protocols = _str_list(d.get("protocols", list(PROTOCOLS)), f"{where}.protocols")
        for p in protocols:
            if p not in PROTOCOLS:
                raise TopologyError(f"{where}.protocols: unknown protocol {p!r}")
        n.protocols = protocols
        n.asn = d.get("asn")
        if "bgp" in protocols:
            if not isinstance(n.asn, int) or not 0 < n.asn < 2**32:
                raise TopologyError(f"{where}.asn: required for BGP, an integer")
        rid = d.get("router_id")
        if rid is None:
            v4 = [a for a in n.loopbacks if _iface(a, where).version == 4]
            rid = str(_iface(v4[0], where).ip) if v4 else None
        if rid is None and protocols:
            raise TopologyError(f"{where}.router_id: required (no IPv4 loopback to take it from)")
        if rid is not None:
            try:
                ipaddress.IPv4Address(rid)
            except ValueError:
                raise TopologyError(f"{where}.router_id: bad IPv4 address {rid!r}") from None
        n.router_id = rid
        extra = d.get("frr_extra", "")
        if not isinstance(extra, str):
            raise TopologyError(f"{where}.frr_extra: a (multi-line) string")
        n.frr_extra = extra
        n.zebra_modules = _str_list(d.get("zebra_modules", []), f"{where}.zebra_modules")
        n.zebra_args = _str_list(d.get("zebra_args", []), f"{where}.zebra_args")
        n.extra_daemons = _str_list(d.get("extra_daemons", []), f"{where}.extra_daemons")
        vrfs = d.get("netns_vrfs", {})
        if not isinstance(vrfs, dict) or not all(isinstance(v, str) for v in vrfs.values()):
            raise TopologyError(f"{where}.netns_vrfs: a table of VRF name = namespace node")
        for vrf, node in vrfs.items():
            _check_name(vrf, f"{where}.netns_vrfs")
            _check_name(node, f"{where}.netns_vrfs.{vrf}")
        n.netns_vrfs = dict(vrfs)
        return n


@dataclass
class Host:
    """A host: a plain namespace whose eth0 hangs off a bridge of `tor`."""
    name: str
    tor: str
    bridge: str = "br10"
    ipv4: str | None = None
    ipv6: str | None = None
    mac: str | None = None
    gateway4: str | None = None
    gateway6: str | None = None

    KEYS = {"tor", "bridge", "ipv4", "ipv6", "mac", "gateway4", "gateway6"}

    @property
    def effective_mac(self) -> str:
        return self.mac or host_mac(self.name)

    @staticmethod
    def from_dict(name: str, d: dict) -> "Host":
        _check_name(name, "hosts")
        where = f"hosts.{name}"
        _check_keys(d, Host.KEYS, where)
        if "tor" not in d:
            raise TopologyError(f"{where}: 'tor' (the node whose bridge it hangs off) is required")
        h = Host(name=name, tor=d["tor"], bridge=_check_ifname(d.get("bridge", "br10"), where),
                 ipv4=d.get("ipv4"), ipv6=d.get("ipv6"),
                 mac=_check_mac(d.get("mac"), where),
                 gateway4=d.get("gateway4"), gateway6=d.get("gateway6"))
        _check_ifname(name, f"{where} (the ToR-side veth is named after the host)")
        for fam, a in ((4, h.ipv4), (6, h.ipv6)):
            if a is not None and _iface(a, where).version != fam:
                raise TopologyError(f"{where}.ipv{fam}: {a!r} is not IPv{fam}")
        return h


@dataclass
class LinkEnd:
    """One end of a veth link."""
    node: str
    ifname: str
    addresses: list[str] = field(default_factory=list)
    bridge: str | None = None
    mac: str | None = None

    @property
    def effective_mac(self) -> str:
        return self.mac or iface_mac(self.node, self.ifname)

    @staticmethod
    def from_value(v: Any, where: str) -> "LinkEnd":
        if isinstance(v, str):  # "node:ifname" shorthand
            if ":" not in v:
                raise TopologyError(f"{where}: expected 'node:ifname' or a table")
            node, ifname = v.split(":", 1)
            v = {"node": node, "ifname": ifname}
        _check_keys(v, {"node", "ifname", "addresses", "bridge", "mac"}, where)
        for k in ("node", "ifname"):
            if k not in v:
                raise TopologyError(f"{where}: '{k}' is required")
        return LinkEnd(node=v["node"], ifname=_check_ifname(v["ifname"], where),
                       addresses=_addresses(v.get("addresses", []), where),
                       bridge=v.get("bridge"), mac=_check_mac(v.get("mac"), where))


@dataclass
class Link:
    """A veth pair between two nodes (ends may be enslaved to bridges)."""
    a: LinkEnd
    b: LinkEnd
    routing: bool | None = None  # None: auto (router-router, unbridged, addressed)
    mtu: int | None = None

    @staticmethod
    def from_dict(d: dict, i: int) -> "Link":
        where = f"links[{i}]"
        _check_keys(d, {"a", "b", "routing", "mtu"}, where)
        if "a" not in d or "b" not in d:
            raise TopologyError(f"{where}: needs both 'a' and 'b'")
        routing = d.get("routing")
        if routing is not None and not isinstance(routing, bool):
            raise TopologyError(f"{where}.routing: true or false")
        return Link(a=LinkEnd.from_value(d["a"], f"{where}.a"),
                    b=LinkEnd.from_value(d["b"], f"{where}.b"),
                    routing=routing, mtu=d.get("mtu"))

    def ends(self) -> tuple[LinkEnd, LinkEnd]:
        return (self.a, self.b)


@dataclass
class Peering:
    """A routing adjacency derived from a link: `local` talks to `remote`."""
    router: str
    ifname: str
    peer: str
    peer_ifname: str
    local_addresses: list[str]
    peer_addresses: list[str]

    def peer_ip(self, version: int) -> str | None:
        """The peer's address of IP `version` in the same subnet as one of ours."""
        for mine in self.local_addresses:
            mi = ipaddress.ip_interface(mine)
            if mi.version != version:
                continue
            for theirs in self.peer_addresses:
                ti = ipaddress.ip_interface(theirs)
                if ti.version == version and ti.ip in mi.network:
                    return str(ti.ip)
        return None


@dataclass
class Topology:
    """A validated lab topology."""
    name: str = "lab"
    routers: dict[str, Node] = field(default_factory=dict)
    namespaces: dict[str, Node] = field(default_factory=dict)
    hosts: dict[str, Host] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    frr: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_FRR))
    source: str | None = None
    raw: dict = field(default_factory=dict)

    TOP_KEYS = {"lab", "frr", "routers", "namespaces", "hosts", "links"}

    # ----- construction ---------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path) -> "Topology":
        """Parse and validate a TOML topology file."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            raise TopologyError(f"{path}: {e}") from None
        t = cls.from_dict(data)
        t.source = str(path.resolve())
        return t

    @classmethod
    def from_dict(cls, data: dict) -> "Topology":
        """Validate a topology given as a dict (the parsed TOML)."""
        data = copy.deepcopy(data)
        _check_keys(data, cls.TOP_KEYS, "topology")
        t = cls(raw=copy.deepcopy(data))
        lab = data.get("lab", {})
        _check_keys(lab, {"name", "description"}, "lab")
        t.name = lab.get("name", "lab")
        frr = data.get("frr", {})
        _check_keys(frr, set(DEFAULT_FRR), "frr")
        t.frr.update(frr)
        for name, d in data.get("routers", {}).items():
            t.routers[name] = Node.from_dict(name, d, "router")
        for name, d in data.get("namespaces", {}).items():
            if name in t.routers:
                raise TopologyError(f"namespaces.{name}: name already used by a router")
            t.namespaces[name] = Node.from_dict(name, d, "plain")
        for name, d in data.get("hosts", {}).items():
            if name in t.routers or name in t.namespaces:
                raise TopologyError(f"hosts.{name}: name already used by another node")
            t.hosts[name] = Host.from_dict(name, d)
        links = data.get("links", [])
        if not isinstance(links, list):
            raise TopologyError("links: use [[links]] tables")
        t.links = [Link.from_dict(d, i) for i, d in enumerate(links)]
        t.validate()
        return t

    # ----- queries --------------------------------------------------------
    def node(self, name: str) -> Node | None:
        """The router or plain namespace called `name` (hosts are not Nodes)."""
        return self.routers.get(name) or self.namespaces.get(name)

    def node_names(self) -> list[str]:
        """All namespaces of the lab: routers, plain namespaces, hosts."""
        return list(self.routers) + list(self.namespaces) + list(self.hosts)

    def is_routing_link(self, link: Link) -> bool:
        """Does this link carry BGP/OSPF (both ends routers, unbridged, addressed)?"""
        if link.routing is not None:
            return link.routing
        return all(e.node in self.routers and e.bridge is None and e.addresses
                   for e in link.ends())

    def peerings(self, router: str | None = None) -> list[Peering]:
        """Routing adjacencies, seen from each router (or from `router` only)."""
        out = []
        for link in self.links:
            if not self.is_routing_link(link):
                continue
            for loc, rem in ((link.a, link.b), (link.b, link.a)):
                if router is not None and loc.node != router:
                    continue
                out.append(Peering(loc.node, loc.ifname, rem.node, rem.ifname,
                                   list(loc.addresses), list(rem.addresses)))
        return out

    def bgp_peers(self, router: str) -> list[tuple[str, str, Peering]]:
        """(peer address, afi 'ipv4'/'ipv6', peering) for each eBGP session of `router`."""
        r = self.routers[router]
        out = []
        if "bgp" not in r.protocols:
            return out
        for p in self.peerings(router):
            if "bgp" not in self.routers[p.peer].protocols:
                continue
            for ver, afi in ((4, "ipv4"), (6, "ipv6")):
                ip = p.peer_ip(ver)
                if ip:
                    out.append((ip, afi, p))
        return out

    def ospf_peers(self, router: str, version: int = 2) -> list[Peering]:
        """OSPF (version 2 or 3) adjacencies of `router`."""
        r = self.routers[router]
        if "ospf" not in r.protocols:
            return []
        out = []
        for p in self.peerings(router):
            if "ospf" not in self.routers[p.peer].protocols:
                continue
            if version == 2 and not p.peer_ip(4):
                continue
            out.append(p)
        return out

    def host_gateway(self, host: Host, version: int) -> str | None:
        """The default gateway of `host` for IP `version` (explicit, or the ToR's own address)."""
        gw = host.gateway4 if version == 4 else host.gateway6
        if gw is not None:
            return None if gw in ("", "none") else gw
        addr = host.ipv4 if version == 4 else host.ipv6
        if addr is None:
            return None
        node = self.node(host.tor)
        br = node.bridge(host.bridge) if node else None
        if br is None:
            return None
        return subnet_gateway(br.addresses, addr)

    # ----- validation -----------------------------------------------------
    def validate(self) -> None:
        """Cross-reference checks (raises TopologyError)."""
        ifnames: dict[str, set[str]] = {}

        def claim(node: str, ifname: str, where: str) -> None:
            s = ifnames.setdefault(node, {"lo", "eth0"} if node in self.hosts else {"lo"})
            if ifname in s:
                raise TopologyError(f"{where}: interface {ifname!r} already exists in {node}")
            s.add(ifname)

        for n in list(self.routers.values()) + list(self.namespaces.values()):
            for b in n.bridges:
                claim(n.name, b.name, f"{n.name}.bridges")
        rids: dict[str, str] = {}
        for r in self.routers.values():
            if r.router_id:
                if r.router_id in rids:
                    raise TopologyError(
                        f"routers.{r.name}.router_id: {r.router_id} also used by {rids[r.router_id]}")
                rids[r.router_id] = r.name
        for h in self.hosts.values():
            self.check_host(h)
            claim(h.tor, h.name, f"hosts.{h.name}")
        for i, link in enumerate(self.links):
            for side, e in (("a", link.a), ("b", link.b)):
                where = f"links[{i}].{side}"
                if e.node in self.hosts:
                    if e.bridge is not None:
                        raise TopologyError(f"{where}: hosts have no bridges")
                elif self.node(e.node) is None:
                    raise TopologyError(f"{where}: unknown node {e.node!r}")
                elif e.bridge is not None and self.node(e.node).bridge(e.bridge) is None:
                    raise TopologyError(f"{where}: {e.node} has no bridge {e.bridge!r}")
                claim(e.node, e.ifname, where)
            if link.a.node == link.b.node:
                raise TopologyError(f"links[{i}]: both ends in {link.a.node}")
        owners: dict[str, str] = {}
        for r in self.routers.values():
            for vrf, node in r.netns_vrfs.items():
                if node not in self.namespaces:
                    raise TopologyError(f"routers.{r.name}.netns_vrfs.{vrf}: {node!r} is not a "
                                        f"plain namespace ([namespaces.{node}])")
                if node in owners:
                    raise TopologyError(f"routers.{r.name}.netns_vrfs.{vrf}: {node!r} is "
                                        f"already a VRF of {owners[node]}")
                owners[node] = r.name

    def check_host(self, h: Host) -> None:
        """Check that host `h` can be attached where it says (raises TopologyError)."""
        where = f"hosts.{h.name}"
        node = self.node(h.tor)
        if node is None:
            raise TopologyError(f"{where}.tor: unknown router/namespace {h.tor!r}")
        br = node.bridge(h.bridge)
        if br is None:
            raise TopologyError(f"{where}.bridge: {h.tor} has no bridge {h.bridge!r}")
        for attr in ("ipv4", "ipv6"):
            addr = getattr(h, attr)
            if addr is None or "/" in addr:
                continue
            # No prefix length given: take the bridge subnet's.
            ip = ipaddress.ip_address(addr)
            nets = [ipaddress.ip_interface(a).network for a in br.addresses]
            nets = [n for n in nets if n.version == ip.version and ip in n]
            if not nets:
                raise TopologyError(f"{where}.{attr}: {addr} has no prefix length and is "
                                    f"in no subnet of {h.tor}:{h.bridge}")
            setattr(h, attr, f"{addr}/{nets[0].prefixlen}")


def subnet_gateway(bridge_addresses: list[str], host_addr: str) -> str | None:
    """The first of `bridge_addresses` in the same subnet as `host_addr`, as a plain IP."""
    hi = ipaddress.ip_interface(host_addr)
    for a in bridge_addresses:
        bi = ipaddress.ip_interface(a)
        if bi.version == hi.version and hi.ip in bi.network:
            return str(bi.ip)
    return None


def load(path_or_dict: str | Path | dict | Topology) -> Topology:
    """A Topology from a file path, a dict, or a Topology (returned as is)."""
    if isinstance(path_or_dict, Topology):
        return path_or_dict
    if isinstance(path_or_dict, dict):
        return Topology.from_dict(path_or_dict)
    return Topology.from_file(path_or_dict)


DEFAULT_TOPOLOGY = Path(__file__).resolve().parent.parent / "topologies" / "default.toml"
