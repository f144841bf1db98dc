# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The decisions of the proxy (role flaskrock.paas.proxy) and of the deploy role behind it.

One HAProxy per host serves every app deployed there. What it serves is the set of *app records*
the proxy role keeps on the host (``<proxy_dir>/apps/<app>.json``, read by the module
``flaskrock.paas.proxy_state``): the app's domains, the address and port of its running release, its
metrics port, HTTPS redirect, HSTS, maintenance. The configuration is rendered from
``proxy_config(records, settings)``; a release publishes its slot ports on 127.0.0.1 and on the
address ``backend_address`` decides (Docker's bridge gateway by default: no docker-proxy hop), and the
record says which one the proxy uses (``address``; none, in an older version's record: 127.0.0.1);
a deploy builds its app's new record with ``proxy_app`` (which refuses a domain another app claims)
before anything changes. ``check_certificate`` refuses
a certificate that does not match its key, has expired or does not cover the app's domains.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re

from ansible_collections.flaskrock.paas.plugins.module_utils._runtime import CONTAINER_LABELS

try:  # ansible-core needs cryptography on the controller; the check says so if it is missing
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID
except ImportError:
    x509 = serialization = NameOID = None

DOMAIN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
APP = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
# Ports a release of an app may listen on: two slots (the running one and the next), each an HTTP
# port and the metrics port after it. Allocated per app from this range, 4 ports per app.
SLOT_SPAN = 4
# Where every release behind the proxy publishes its slot ports (the health gate and users' curl use it),
# and the address of a record that names none (written by a version before the bridge gateway binding).
LOOPBACK = "127.0.0.1"


class ProxyConfigError(Exception):
    """A clear reason the proxy cannot be configured as asked; raised before anything changes."""


def _domains(values, app):
    domains = []
    for value in values or []:
        domain = str(value).strip().lower().rstrip(".")
        if not DOMAIN.match(domain):
            raise ProxyConfigError(f"deploy_domains of {app}: {value!r} is not a host name.")
        if domain not in domains:
            domains.append(domain)
    return domains


def _listening(port, listening):
    return int(port) in {int(item) for item in listening or []}


def _allocate(app, records, settings, listening):
    """The first port of the app's slots: kept from its record, else the given one, else the first
    free block of the range (not another app's, nothing listening on it)."""
    own = (records.get(app) or {}).get("slot_base")
    if own:
        return int(own)
    wanted = int(settings.get("backend_port") or 0)
    taken = set()
    for name, record in records.items():
        if name != app and record.get("slot_base"):
            taken.update(range(int(record["slot_base"]), int(record["slot_base"]) + SLOT_SPAN))
    if wanted:
        clash = [
            port for port in range(wanted, wanted + SLOT_SPAN) if port in taken or _listening(port, listening)
        ]
        if clash:
            raise ProxyConfigError(
                f"deploy_proxy_backend_port {wanted}: port {clash[0]} is already used by another app or "
                "another program on this host; pick another block of 4 ports (or 0 to choose one)."
            )
        return wanted
    start, end = (int(item) for item in settings.get("backend_port_range") or (20000, 20999))
    for base in range(start, end - SLOT_SPAN + 2, SLOT_SPAN):
        block = range(base, base + SLOT_SPAN)
        if not any(port in taken or _listening(port, listening) for port in block):
            return base
    raise ProxyConfigError(f"No free block of {SLOT_SPAN} loopback ports left in {start}-{end} for {app}.")


def current_port(container, record):
    """The loopback port of the running release behind the proxy (0: none, or it runs in direct mode)."""
    if not container.get("exists") or not record:
        return 0
    try:
        recorded = json.loads((container.get("labels") or {}).get(CONTAINER_LABELS["settings"]) or "null")
    except ValueError:
        recorded = None
    return int(record.get("port") or 0) if isinstance(recorded, dict) and recorded.get("proxy") else 0


def backend_address(setting, gateway):
    """The address the next release publishes its slot ports on besides 127.0.0.1, and the proxy
    reaches it at: ``setting`` ``auto`` (the default) is ``gateway``, Docker's bridge gateway as
    ``flaskrock.paas.proxy_state`` read it (127.0.0.1 when the daemon has no default bridge); an IPv4
    address is taken as it is (``127.0.0.1`` keeps the release on loopback only)."""
    value = str(setting if setting is not None else "auto").strip() or "auto"
    if value == "auto":
        return str(gateway or "") or LOOPBACK
    address = _ipv4(value)
    if address is None:
        raise ProxyConfigError(
            f"deploy_proxy_backend_address {value!r} is neither 'auto' nor an IPv4 address of this host."
        )
    return address


def release_address(container, record, port, wanted):
    """The address the proxy reaches the running release at (listening on ``port``), from what the
    container (``flaskrock.paas.deploy_state``) publishes: ``wanted`` (this deploy's backend address)
    when it publishes ``port`` there, else the recorded address when it publishes there, else 127.0.0.1
    (a release started before the gateway binding publishes on loopback only). Without the container's
    bindings (``published``), the record's address (none: 127.0.0.1)."""
    recorded = str((record or {}).get("address") or LOOPBACK)
    published = (container or {}).get("published")
    if published is None:
        return recorded
    published = {str(binding) for binding in published}
    for address in (wanted, recorded):
        if f"{address}:{int(port)}" in published or f"0.0.0.0:{int(port)}" in published:
            return address
    return LOOPBACK


def leftover_next(container, app, record):
    """Whether ``<app>-next`` (``container``, as ``flaskrock.paas.deploy_state`` read it) is a release an
    interrupted deploy left, to be removed before this one starts its own (False: there is none).

    Only a container the deploy role started for this app (its labels ``app`` and ``release``) is
    removed; any other container of that name, or a leftover the proxy already routes to (the deploy
    was interrupted after switching), is an error before anything changes."""
    if not (container or {}).get("exists"):
        return False
    labels = container.get("labels") or {}
    if labels.get(CONTAINER_LABELS["app"]) != app or CONTAINER_LABELS["release"] not in labels:
        raise ProxyConfigError(
            f"A container named {app}-next exists that no deploy of {app} started (it lacks the label "
            f"{CONTAINER_LABELS['app']}={app}), and the deploy needs that name for the new release. "
            f"Rename it, or remove it if nothing needs it (docker rm -f {app}-next). Nothing was changed."
        )
    serving = int((record or {}).get("port") or 0)
    if serving and serving in (container.get("ports") or []):
        raise ProxyConfigError(
            f"{app}-next serves {app}'s traffic: an interrupted deploy switched the proxy to it and stopped "
            f"before renaming it. Finish that switch on the host (docker rm -f {app}-previous; "
            f"docker stop {app}; docker rename {app} {app}-previous; docker rename {app}-next {app}), "
            "then deploy again. "
            "Nothing was changed."
        )
    return True


def proxy_app(state, settings):
    """The record of ``settings['app']`` for its next release, and the ports of that release.

    ``state`` is what ``flaskrock.paas.proxy_state`` read (``records``: app -> record,
    ``listening``: TCP ports listening on the host); ``settings``: ``app``, ``domains``,
    ``https_redirect``, ``hsts`` (seconds, 0 off), ``tls`` (the app brings a certificate),
    ``metrics_port``, ``metrics_bind_address``, ``backend_port`` (0: allocated),
    ``backend_port_range``, ``current`` (the ``<app>`` container from ``flaskrock.paas.deploy_state``;
    ``current_port`` instead gives the running release's port directly), ``next`` (its ``<app>-next``:
    a leftover of an interrupted deploy is removed first, see ``leftover_next``, so its ports count as free),
    ``backend_address`` (``auto``: ``state['bridge_gateway']``; see ``backend_address``).

    The record keeps pointing at the running release (its port, and the address it publishes that port
    on: ``release_address``) until the switch gives it the next release's (``with_port``).
    """
    app = str(settings["app"])
    if not APP.match(app):
        raise ProxyConfigError(f"App name {app!r} cannot name a proxy backend.")
    records = dict(state.get("records") or {})
    domains = _domains(settings.get("domains"), app)
    for name, record in sorted(records.items()):
        if name == app:
            continue
        claimed = sorted(set(domains) & set(record.get("domains") or []))
        if claimed:
            raise ProxyConfigError(
                f"Domain {', '.join(claimed)} is already served by app {name} on this host; an app's "
                f"deploy_domains must not overlap another's (remove it there first). Nothing was changed."
            )
    if not domains:
        other = sorted(name for name, record in records.items() if name != app and not record.get("domains"))
        if other:
            raise ProxyConfigError(
                f"{app} has no deploy_domains, and app {other[0]} is already the default (domain-less) app "
                "on this host; give one of them deploy_domains. Nothing was changed."
            )
    leftover = leftover_next(settings.get("next"), app, records.get(app))
    freed = set(settings["next"].get("ports") or []) if leftover else set()
    listening = [port for port in state.get("listening") or [] if int(port) not in freed]
    base = _allocate(app, records, settings, listening)
    slots = [base, base + 2]
    current = current_port(settings.get("current") or {}, records.get(app))
    if "current_port" in settings:
        current = int(settings["current_port"] or 0)
    next_port = slots[1] if current == slots[0] else slots[0]
    previous = records.get(app) or {}
    next_address = backend_address(settings.get("backend_address"), state.get("bridge_gateway"))
    running = current in slots
    address = release_address(settings.get("current"), previous, current, next_address) if running else ""
    record = {
        "app": app,
        "domains": domains,
        "slot_base": base,
        "port": current if running else next_port,
        "address": address or next_address,
        "metrics_port": int(settings.get("metrics_port") or 0),
        "metrics_bind_address": str(settings.get("metrics_bind_address") or "127.0.0.1"),
        "https_redirect": bool(settings.get("https_redirect")),
        "hsts": int(settings.get("hsts") or 0),
        "tls": bool(settings.get("tls")),
        "maintenance": bool(previous.get("maintenance", False)),
        "retry_after": int(previous.get("retry_after", 300)),
    }
    for port in (next_port, next_port + 1):
        if port != current and port != current + 1 and _listening(port, listening):
            raise ProxyConfigError(
                f"Port 127.0.0.1:{port} (next release of {app}) is used by another program on this host. "
                "Nothing was changed."
            )
    for name, other in records.items():
        if (
            name != app
            and record["metrics_port"]
            and int(other.get("metrics_port") or 0) == record["metrics_port"]
        ):
            raise ProxyConfigError(
                f"deploy_metrics_port {record['metrics_port']} is already used by app {name} on this host."
            )
    return {
        "record": record,
        "next_port": next_port,
        "next_metrics_port": next_port + 1,
        "next_address": next_address,
        "current_port": current,
        # A running <app> not behind the proxy (direct mode) holds the app's ports: stopped before the switch.
        "stop_before_switch": bool((settings.get("current") or {}).get("running")) and not current,
        "remove_leftover": leftover,
    }


def with_port(record, port, address=None):
    """The record pointing at the release listening on ``port`` (published on ``address``; None keeps
    the record's)."""
    return {**record, "port": int(port), **({"address": _address(address)} if address else {})}


def _address(value):
    """An IPv4 address for a ``server`` line (a record names its release's; none: 127.0.0.1)."""
    address = _ipv4(value or LOOPBACK)
    if address is None:
        raise ProxyConfigError(f"{value!r} is not an IPv4 address a release can be reached at.")
    return address


def _ipv4(value):
    """``value`` as a normalised IPv4 address, or None when it is not one."""
    try:
        return str(ipaddress.IPv4Address(str(value)))
    except ValueError:
        return None


def maintenance(record, enabled, retry_after=300):
    return {**record, "maintenance": bool(enabled), "retry_after": int(retry_after)}


def _backend_name(app):
    return "app_" + re.sub(r"[^A-Za-z0-9_]", "_", app)


def proxy_config(records, settings):
    """The data the template ``haproxy.cfg.j2`` renders: global settings, the frontends' binds, the
    Host routing table, one backend per app and one metrics listener per app that has a metrics port.

    ``records``: app -> record (the apps on the host after this change); ``settings``: the proxy
    role's ``http_port``, ``https_port`` (0: no HTTPS), ``bind_addresses``, ``hard_stop_after``,
    ``timeout_server``, ``cert_dir``, ``default_cert``.
    """
    routes, backends, metrics = [], [], []
    default = None
    seen = {}
    for name in sorted(records):
        record = records[name]
        backend = _backend_name(name)
        address = _address(record.get("address"))
        for domain in record.get("domains") or []:
            if domain in seen:
                raise ProxyConfigError(f"Domain {domain} is claimed by both {seen[domain]} and {name}.")
            seen[domain] = name
        if record.get("domains"):
            routes.append({"backend": backend, "domains": sorted(record["domains"])})
        elif default is None:
            default = backend
        backends.append(
            {
                "name": backend,
                "app": name,
                "server": f"{address}:{int(record['port'])}",
                "https_redirect": bool(record.get("https_redirect"))
                and bool(int(settings.get("https_port") or 0)),
                "hsts": int(record.get("hsts") or 0),
                "maintenance": bool(record.get("maintenance")),
                "retry_after": int(record.get("retry_after") or 300),
            }
        )
        if record.get("metrics_port"):
            bind = record.get("metrics_bind_address") or LOOPBACK
            metrics.append(
                {
                    "name": backend + "_metrics",
                    "bind": f"{bind}:{int(record['metrics_port'])}",
                    "server": f"{address}:{int(record['port']) + 1}",
                }
            )
    addresses = settings.get("bind_addresses") or ["0.0.0.0"]
    https_port = int(settings.get("https_port") or 0)
    return {
        "hard_stop_after": int(settings.get("hard_stop_after") or 60),
        "timeout_server": int(settings.get("timeout_server") or 60),
        "http_binds": [f"{address}:{int(settings['http_port'])}" for address in addresses],
        "https_binds": [f"{address}:{https_port}" for address in addresses] if https_port else [],
        "default_cert": settings.get("default_cert", ""),
        # HAProxy refuses an empty certificate directory: only named when an app brings a certificate.
        "cert_dir": settings.get("cert_dir", "") if any(r.get("tls") for r in records.values()) else "",
        "routes": routes,
        "default_backend": default or "no_app",
        "backends": backends,
        "metrics": metrics,
    }


def _names(certificate):
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return [name.lower() for name in names.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        return [
            attr.value.lower() for attr in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        ]


def _covers(names, domain):
    for name in names:
        if name == domain:
            return True
        if name.startswith("*.") and domain.count(".") == name.count(".") and domain.endswith(name[1:]):
            return True
    return False


def check_certificate(certificate_pem, key_pem, domains, app="the app", now=None):
    """A reason the certificate cannot serve ``domains`` ('' when it can): unreadable, its key does not
    match, expired (or not valid yet), or a domain it does not cover. Runs on the controller."""
    if x509 is None:
        raise ProxyConfigError(
            "Checking a TLS certificate needs the Python package cryptography on the controller."
        )

    try:
        certificate = x509.load_pem_x509_certificate(str(certificate_pem).encode())
    except ValueError as exc:
        return f"The TLS certificate of {app} is not a PEM certificate ({exc})."
    try:
        key = serialization.load_pem_private_key(str(key_pem).encode(), password=None)
    except (ValueError, TypeError) as exc:
        return f"The TLS key of {app} is not an unencrypted PEM private key ({type(exc).__name__})."
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.PEM
    if certificate.public_key().public_bytes(encoding, public) != key.public_key().public_bytes(
        encoding, public
    ):
        return f"The TLS key of {app} does not match its certificate (another key pair)."
    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_after = certificate.not_valid_after_utc
    if not_after <= now:
        return f"The TLS certificate of {app} expired on {not_after.isoformat()}."
    if certificate.not_valid_before_utc > now:
        start = certificate.not_valid_before_utc.isoformat()
        return f"The TLS certificate of {app} is not valid before {start}."
    names = _names(certificate)
    missing = [domain for domain in domains or [] if not _covers(names, str(domain).lower())]
    if missing:
        return (
            f"The TLS certificate of {app} does not cover {', '.join(missing)} (it names "
            f"{', '.join(names) or 'no host'})."
        )
    return ""
