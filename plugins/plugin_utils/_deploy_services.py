# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The deploy's decisions about the rock's own services (workers, schedulers) and Docker networks.

A rock's ``*-worker`` services run on every host, its ``*-scheduler`` services on one host (the
play's first unless ``deploy_scheduler_host`` names another), both in the app's container under
its supervisord (see roles/deploy/README.md for why one container). The deploy tells the
container whether it runs the schedulers through the runtime contract's ``scheduler_env``, and
checks after the health gate that every service that should run does, and stays up
(``services_state``, read from ``supervisorctl status``).
"""

from __future__ import annotations

import json
import re

from ansible_collections.flaskrock.paas.plugins.module_utils._runtime import LABELS, SCHEDULER_ENV
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_env import DeployConfigError

NETWORK_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
# supervisorctl status: "name   STATE   pid 12, uptime 1 day, 0:00:05" (or a description).
STATUS_RE = re.compile(r"^(?P<name>\S+)\s+(?P<state>[A-Z]+)\s*(?P<description>.*)$")
UPTIME_RE = re.compile(r"uptime (?:(?P<days>\d+) days?, )?(?P<hours>\d+):(?P<minutes>\d\d):(?P<seconds>\d\d)")
# Not running, or restarting (BACKOFF: it exited before supervisord's startsecs): the release fails.
FAILED_STATES = ("BACKOFF", "FATAL", "EXITED", "STOPPED", "UNKNOWN")


def image_services(labels):
    """The rock's own services from its label (none for an image built before they existed)."""
    try:
        services = json.loads((labels or {}).get(LABELS["services"]) or "[]")
    except ValueError:
        services = None
    if not isinstance(services, list) or not all(
        isinstance(item, dict) and "name" in item for item in services
    ):
        raise DeployConfigError(
            f"The image's {LABELS['services']} label is not a JSON list of services: rebuild it."
        )
    return services


def scheduler_host(settings):
    """The host running the *-scheduler services: ``scheduler_host``, else the play's first host."""
    hosts = [str(host) for host in settings.get("play_hosts") or []]
    requested = str(settings.get("scheduler_host") or "")
    chosen = requested or (hosts[0] if hosts else settings["host"])
    if hosts and chosen not in hosts:
        raise DeployConfigError(
            f"deploy_scheduler_host {requested!r} is not a host of this play ({', '.join(hosts)}): the "
            "*-scheduler services would run on no host. Name one of the play's hosts, or leave it empty "
            "for the play's first host."
        )
    return chosen


def networks(settings):
    """``deploy_networks`` checked: a list of distinct Docker network names."""
    names = settings.get("networks") or []
    if not isinstance(names, list) or not all(
        isinstance(name, str) and NETWORK_NAME_RE.match(name) for name in names
    ):
        raise DeployConfigError(
            f"deploy_networks must be a list of Docker network names, got {names!r}: for example "
            "['backend'] (created beforehand with docker network create)."
        )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise DeployConfigError(f"deploy_networks names {', '.join(duplicates)} more than once.")
    return list(names)


def missing_networks(wanted, found):
    """The networks of ``wanted`` that docker_network_info did not find (its ``results``)."""
    present = {result.get("item") for result in found or [] if result.get("exists")}
    return [name for name in wanted if name not in present]


def service_plan(labels, settings):
    """(services expected to run here, container settings to add): the scheduler switch only for an
    image that has schedulers (so images without any keep their recorded settings), the networks."""
    services = image_services(labels)
    host = scheduler_host(settings)
    here = settings["host"] == host
    expected = [
        service["name"]
        for service in services
        if service.get("startup") == "enabled" and (service.get("kind") != "scheduler" or here)
    ]
    container = {}
    if any(service.get("kind") == "scheduler" for service in services):
        container["env"] = {SCHEDULER_ENV: "enabled" if here else "disabled"}
    names = networks(settings)
    if names:
        container["networks"] = [{"name": name} for name in names]
    return {
        "expected": expected,
        "scheduler_host": host,
        "all": [service["name"] for service in services],
    }, container


def _uptime(description):
    match = UPTIME_RE.search(description)
    if not match:
        return 0
    parts = {key: int(value or 0) for key, value in match.groupdict().items()}
    return parts["days"] * 86400 + parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]


def _pid(description):
    match = re.search(r"pid (\d+)", description)
    return int(match.group(1)) if match else 0


def services_state(status_output, expected, stable_seconds=5, previous=None):
    """Whether every ``expected`` service runs and has run ``stable_seconds`` without a restart,
    from ``supervisorctl status``; ``done``: stop polling (ready, or failed for good). With
    ``previous`` (the ``pids`` of an earlier reading), a service whose process changed since then
    restarted in between: failed (a slow crash looks stable in a single reading)."""
    seen = {}
    for line in str(status_output or "").splitlines():
        match = STATUS_RE.match(line.strip())
        if match:
            seen[match["name"]] = (match["state"], match["description"].strip())
    waiting, failed, pids = [], [], {}
    for name in expected:
        state, description = seen.get(name, ("MISSING", "not in supervisord's status"))
        pids[name] = _pid(description) if state == "RUNNING" else 0
        before = (previous or {}).get(name)
        if previous is not None and before != pids[name]:
            failed.append(f"{name} restarted (pid {before} then {state} {description})".strip())
            continue
        if state == "RUNNING" and _uptime(description) >= int(stable_seconds):
            continue
        entry = f"{name} {state} {description}".strip()
        (failed if state in (*FAILED_STATES, "MISSING") else waiting).append(entry)
    ready = not waiting and not failed
    return {
        "ready": ready,
        "done": ready or bool(failed),
        "problems": failed + waiting,
        "summary": "; ".join(failed + waiting) or "all running",
        "pids": pids,
    }
