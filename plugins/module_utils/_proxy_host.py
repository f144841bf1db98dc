# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""What the proxy modules read on a host: the app records, the listening TCP ports, the gateway address
of Docker's default bridge, and the processes of HAProxy's master CLI (``show proc``), as pure
functions of their text."""

from __future__ import annotations

import ipaddress
import json
import os
import re

LISTEN = "0A"


def listening_ports(tables):
    """TCP ports in state LISTEN in the text of /proc/net/tcp and /proc/net/tcp6."""
    ports = set()
    for text in tables:
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) > 3 and fields[3] == LISTEN:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return sorted(ports)


def read_listening_ports(paths=("/proc/net/tcp", "/proc/net/tcp6")):
    tables = []
    for path in paths:
        try:
            with open(path, encoding="ascii") as handle:
                tables.append(handle.read())
        except OSError:
            continue
    return listening_ports(tables)


def bridge_gateway(network):
    """The IPv4 gateway of Docker's network ``bridge`` (``network``: ``docker network inspect bridge``,
    None when the daemon has none, ``"bridge": "none"``): the host's address on docker0, '' if none.

    The IPAM config's ``Gateway`` when the engine reports it (set by ``bip``); else the first address of
    its ``Subnet``, the one libnetwork gives the bridge when it chooses (Docker 20.10 reports only the
    subnet then). The proxy reaches the releases there: a connection from the host to a port published
    on that address is DNAT'ed by the kernel, one to 127.0.0.1 goes through the userland docker-proxy."""
    for config in ((network or {}).get("IPAM") or {}).get("Config") or []:
        gateway, subnet = (config or {}).get("Gateway"), (config or {}).get("Subnet")
        try:
            if gateway:
                address = ipaddress.ip_address(str(gateway).split("/", maxsplit=1)[0])
            else:
                address = next(ipaddress.ip_network(str(subnet or ""), strict=False).hosts())
        except (ValueError, StopIteration):
            continue
        if address.version == 4 and not address.is_loopback and not address.is_unspecified:
            return str(address)
    return ""


def read_records(apps_dir):
    """app -> record of every ``<apps_dir>/<app>.json``; unreadable files are reported, not skipped."""
    records, problems = {}, []
    try:
        names = sorted(os.listdir(apps_dir))
    except FileNotFoundError:
        return records, problems
    for name in names:
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(apps_dir, name), encoding="utf-8") as handle:
                record = json.load(handle)
        except (OSError, ValueError) as exc:
            problems.append(f"{name}: {exc}")
            continue
        records[record.get("app") or name[: -len(".json")]] = record
    return records, problems


def parse_show_proc(text):
    """HAProxy master CLI ``show proc`` -> ``reloads``, ``failed`` (counts), ``workers``, ``old_workers``.

    Works for 2.4 (no failed counter) to 2.8 (``N [failed: M]``)."""
    result = {"reloads": None, "failed": 0, "workers": [], "old_workers": []}
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            lowered = stripped.lower()
            section = (
                "old_workers" if "old workers" in lowered else "workers" if "workers" in lowered else section
            )
            continue
        fields = stripped.split()
        if len(fields) < 3 or not fields[0].isdigit():
            continue
        if fields[1] == "master":
            result["reloads"] = int(fields[2])
            failed = re.search(r"\[failed:\s*(\d+)\]", stripped)
            result["failed"] = int(failed.group(1)) if failed else 0
        elif fields[1] == "worker" and section in ("workers", "old_workers"):
            result[section].append({"pid": int(fields[0]), "reloads": int(fields[2])})
    return result
