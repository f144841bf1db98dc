# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The project's own services of rockcraft.yaml (workers, schedulers), validated like Rockcraft.

Rockcraft checks every service against Pebble's layer schema (``rockcraft/pebble.py``: ``override``
and ``command`` required, the other keys typed, unknown keys refused). This module does the same for
the services the project adds beside the extension's (``flask``, ``statsd-exporter``), then decides
how each one runs under supervisord: its fixed command and Pebble default arguments (``[ ... ]``),
its environment, working directory and startup, and its kind by name, as the Flask charm does:
``*-worker`` on every host, ``*-scheduler`` on one host, any other service on every host.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re
import shlex

from ansible_collections.flaskrock.paas.plugins.module_utils import _runtime as runtime

# Pebble's layer schema as Rockcraft checks it: key -> (type name, check).
ACTIONS = ("restart", "shutdown", "ignore")
SERVICE_NAME_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _is_str(value):
    return isinstance(value, str)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_str_list(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_str_dict(value):
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _is_action_dict(value):
    return isinstance(value, dict) and all(isinstance(k, str) and v in ACTIONS for k, v in value.items())


SCHEMA = {
    "override": ("'merge' or 'replace'", lambda value: value in ("merge", "replace")),
    "command": ("a string", _is_str),
    "summary": ("a string", _is_str),
    "description": ("a string", _is_str),
    "startup": ("'enabled' or 'disabled'", lambda value: value in ("enabled", "disabled")),
    "after": ("a list of strings", _is_str_list),
    "before": ("a list of strings", _is_str_list),
    "requires": ("a list of strings", _is_str_list),
    "environment": ("a mapping of strings to strings", _is_str_dict),
    "user": ("a string", _is_str),
    "user-id": ("an integer", _is_int),
    "group": ("a string", _is_str),
    "group-id": ("an integer", _is_int),
    "working-dir": ("a string", _is_str),
    "on-success": ("one of restart, shutdown, ignore", lambda value: value in ACTIONS),
    "on-failure": ("one of restart, shutdown, ignore", lambda value: value in ACTIONS),
    "on-check-failure": ("a mapping of check names to restart, shutdown or ignore", _is_action_dict),
    "backoff-delay": ("a string", _is_str),
    "backoff-factor": ("a number", _is_number),
    "backoff-limit": ("a string", _is_str),
    "kill-delay": ("a string", _is_str),
}


def kind(name):
    """``worker``, ``scheduler`` or ``service`` (any other name), by the charm's name rule."""
    if name.endswith(runtime.WORKER_SUFFIX):
        return "worker"
    if name.endswith(runtime.SCHEDULER_SUFFIX):
        return "scheduler"
    return "service"


def _schema_problems(name, service):
    path = "rockcraft.yaml: services.%s" % name
    problems = []
    for key in ("override", "command"):
        if service.get(key) is None:
            problems.append(
                "%s has no %s: a service of the project needs 'override' (merge or replace) and "
                "'command' (e.g. command: /bin/python3 -m rq worker)" % (path, key)
            )
    for key, value in service.items():
        if key not in SCHEMA:
            problems.append(
                "%s.%s is not a Pebble service key (known keys: %s)" % (path, key, ", ".join(sorted(SCHEMA)))
            )
        elif value is not None and not SCHEMA[key][1](value):
            problems.append("%s.%s must be %s, not %r" % (path, key, SCHEMA[key][0], value))
    return problems


def split_command(command):
    """Pebble's command syntax: ``fixed arguments [ default arguments ]`` -> (fixed, defaults).

    Raises ValueError with the reason for a command Pebble would refuse."""
    try:
        words = shlex.split(command)
    except ValueError as err:
        raise ValueError("cannot be split into arguments (%s)" % err) from None
    if not words:
        raise ValueError("is empty")
    if "[" not in words and "]" not in words:
        return words, []
    start = words.index("[") if "[" in words else -1
    if start < 1 or words[-1] != "]" or words.count("[") != 1 or words.count("]") != 1:
        raise ValueError(
            "has misplaced default arguments: write them once, last, as '[ argument... ]' after the program"
        )
    return words[:start], words[start + 1 : -1]


def _run_problems(name, service, contract):
    """What supervisord cannot do as Pebble would (user switching: every service runs as _daemon_)."""
    path = "rockcraft.yaml: services.%s" % name
    problems = []
    user, user_id = service.get("user"), service.get("user-id")
    if user not in (None, contract["user"]) or user_id not in (None, contract["uid"]):
        problems.append(
            "%s runs as %s: every service of the rock runs as %s (uid %d), the container's user; "
            "write 'user: %s' or leave it out"
            % (
                path,
                user if user is not None else "uid %s" % user_id,
                contract["user"],
                contract["uid"],
                contract["user"],
            )
        )
    for key in ("group", "group-id"):
        if service.get(key) not in (None, contract["user"], contract["gid"]):
            problems.append(
                "%s.%s: every service runs in group %s (gid %d)"
                % (path, key, contract["user"], contract["gid"])
            )
    for variable in service.get("environment") or {}:
        if not ENV_NAME_RE.match(variable):
            problems.append("%s.environment: %r is not a valid environment variable name" % (path, variable))
    return problems


def user_services(data, extension_services, contract):
    """(services, problems, warnings): the project's own services of rockcraft.yaml ``data``, those
    not named in ``extension_services``, in their file order, ready for the build plan."""
    services, problems, warnings = [], [], []
    declared = data.get("services") if isinstance(data.get("services"), dict) else {}
    for name, service in declared.items():
        if name in extension_services or not isinstance(service, dict):
            continue
        path = "rockcraft.yaml: services.%s" % name
        if not isinstance(name, str) or not SERVICE_NAME_RE.match(name):
            problems.append("%s: a service name is lower-case letters, digits and single hyphens" % path)
            continue
        found = _schema_problems(name, service) + _run_problems(name, service, contract)
        if not found:
            try:
                fixed, defaults = split_command(service["command"])
            except ValueError as err:
                found.append("%s.command %r %s" % (path, service["command"], err))
        problems.extend(found)
        if found:
            continue
        if service.get("startup") != "enabled" and kind(name) != "service":
            warnings.append(
                "%s has no 'startup: enabled': Pebble does not start it, and neither does the rock's "
                "supervisord" % path
            )
        for key in ("on-success", "on-failure"):
            if service.get(key) not in (None, "restart"):
                warnings.append(
                    "%s.%s is %s: supervisord restarts every service of the rock that exits, as Pebble's "
                    "default does" % (path, key, service[key])
                )
        services.append(
            {
                "name": name,
                "kind": kind(name),
                "command": fixed,
                "default_args": defaults,
                "environment": dict(service.get("environment") or {}),
                "working_dir": service.get("working-dir"),
                "startup": service.get("startup") or "disabled",
            }
        )
    return services, problems, warnings
