# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""What the deploy role tells Prometheus about an app: its ``file_sd`` target file on the host.

One file per app and host, ``<deploy_prometheus_file_sd_dir>/flaskrock-<app>.yml``: the address
Prometheus scrapes (the statsd-exporter metrics as the deploy publishes them: the container's port in
the direct mode, HAProxy's metrics listener behind the proxy) with the labels ``app``, ``release``,
``host`` and ``job``. The shipped alert rules and dashboard (``observability/``) select on
``job="flaskrock"``; a target's own ``job`` label wins over the scrape config's ``job_name``, so they
match whatever the user calls the scrape job. Exposed by the filter
``flaskrock.paas.deploy_prometheus_target``.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

import yaml

# The job label of every app target; observability/prometheus/*.rules.yml and the dashboard use it.
PROMETHEUS_JOB = "flaskrock"
FILE_PREFIX = "flaskrock-"
WILDCARD_ADDRESSES = ("", "0.0.0.0", "::", "[::]")
# A DNS name (RFC 1123 labels) or an IPv4 address; IPv6 is checked by ipaddress.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
HEADER = (
    "# Prometheus file_sd targets of the Flask app {app} on {host}, written by flaskrock.paas.deploy\n"
    "# (edits are replaced on the next deploy). Scrape it with a file_sd_configs entry; see the\n"
    "# collection's README, section Observability.\n"
)


class PrometheusTargetError(ValueError):
    """A setting of the Prometheus target that cannot work: the message says what to change."""


def _host_part(address, variable):
    """``address`` as the host part of ``host:port`` (IPv6 in brackets), or an error naming ``variable``."""
    text = str(address).strip()
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        parsed = ipaddress.ip_address(bare)
    except ValueError:
        if HOSTNAME.match(text):
            return text
        raise PrometheusTargetError(
            f"{variable} must be a host name or an IP address without a port or scheme (the address "
            f"Prometheus scrapes), got {address!r}."
        ) from None
    return f"[{parsed}]" if parsed.version == 6 else str(parsed)


def target_address(settings):
    """Where Prometheus scrapes the app's metrics: ``host:port``.

    ``prometheus_target_address`` when set; else the address the metrics port binds to, and
    127.0.0.1 when it binds every address (the file is read by a Prometheus on the same host).
    """
    port = settings["metrics_port"]
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise PrometheusTargetError(f"deploy_metrics_port must be a number, got {port!r}.") from None
    if not 0 < port < 65536:
        raise PrometheusTargetError(f"deploy_metrics_port must be a port number (1-65535), got {port}.")
    override = str(settings.get("prometheus_target_address") or "").strip()
    if override:
        return f"{_host_part(override, 'deploy_prometheus_target_address')}:{port}"
    bind = str(settings.get("metrics_bind_address") or "").strip()
    if bind in WILDCARD_ADDRESSES:
        return f"127.0.0.1:{port}"
    return f"{_host_part(bind, 'deploy_metrics_bind_address')}:{port}"


def file_sd_dir(settings):
    """The directory of the target files ('' when the file is off), or an error for a relative path."""
    directory = str(settings.get("prometheus_file_sd_dir") or "").strip()
    if directory and not posixpath.isabs(directory):
        raise PrometheusTargetError(
            f"deploy_prometheus_file_sd_dir must be an absolute path on the host (or empty to write no "
            f"file_sd target), got {directory!r}."
        )
    return posixpath.normpath(directory) if directory else ""


def prometheus_target(plan, settings):
    """The app's ``file_sd`` target file on this host, decided from the release plan and the settings.

    ``plan`` is the result of the ``deploy_plan`` filter (``app``, ``version``); ``settings`` holds
    ``host`` (the inventory name), ``metrics_port`` (the published one, resolved),
    ``metrics_bind_address``, ``prometheus_file_sd_dir`` and ``prometheus_target_address``.
    Returns ``enabled``, ``dir``, ``path``, ``targets`` (the file_sd list) and ``content`` (the file).
    """
    directory = file_sd_dir(settings)
    address = target_address(settings)
    app, host = plan["app"], str(settings["host"])
    labels = {"app": app, "host": host, "job": PROMETHEUS_JOB, "release": plan["version"]}
    targets = [{"targets": [address], "labels": labels}]
    content = HEADER.format(app=app, host=host) + yaml.safe_dump(
        targets, default_flow_style=False, sort_keys=True
    )
    return {
        "enabled": bool(directory),
        "dir": directory,
        "path": posixpath.join(directory, f"{FILE_PREFIX}{app}.yml") if directory else "",
        "targets": targets,
        "content": content,
    }
