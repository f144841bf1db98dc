# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The decisions of the deploy role (flaskrock.paas.deploy), as pure functions.

``state`` is what the module ``flaskrock.paas.deploy_state`` read on a host (the image, the
``<app>`` and ``<app>-previous`` containers, the app's images, the files of the deploy); ``settings``
are the role's variables (see ``_deploy_settings`` in roles/deploy/vars/main.yml). The role only
orchestrates: which release, with which container settings, whether anything changed, what to
roll back to and what to prune are decided here and unit-tested. Exposed by the filter plugin
``flaskrock.paas.deploy_plan``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.flaskrock.paas.plugins.module_utils._runtime import (
    CONTAINER_LABELS,
    DEFAULT_FRAMEWORK,
    LABEL_PREFIX,
    LABELS,
    contract,
)
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_env import (
    DeployConfigError,
    app_environment,
    default_workers,
    env_file_content,
    gunicorn_cmd_args,
    resolve_worker_class,
)
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_services import service_plan
from ansible_collections.flaskrock.paas.plugins.plugin_utils._proxy import LOOPBACK

# CONTAINER_LABELS (runtime contract): "settings" holds the container settings below as JSON and
# "env" the sha256 of the env file the container was started with: a no-op redeploy compares them
# with the desired ones instead of probing the container.
GUNICORN_SETTINGS = ("threads", "timeout", "keepalive", "graceful_timeout", "worker_connections")


def _number(settings, name, kind=int):
    try:
        return kind(settings[name])
    except (TypeError, ValueError):
        raise DeployConfigError(f"deploy_{name} must be a number, got {settings[name]!r}.") from None


def _flag(settings, name):
    try:
        return boolean(settings[name], strict=True)
    except TypeError:
        raise DeployConfigError(f"deploy_{name} must be true or false, got {settings[name]!r}.") from None


def image_repository(reference):
    """``registry:5000/team/app:1.0`` -> ``registry:5000/team/app`` (the tag, not a registry port, goes)."""
    return re.sub(r":[^:/]+$", "", str(reference))


def _release_tags(images, repository):
    """Tags of ``repository`` in ``images`` (docker images JSON), newest image first."""
    pattern = re.compile("^" + re.escape(repository) + ":[^:/]+$")
    ordered = sorted(images or [], key=lambda image: image.get("Created") or 0, reverse=True)
    return [(image, [tag for tag in image.get("RepoTags") or [] if pattern.match(tag)]) for image in ordered]


def _check_image(state, settings):
    """The image's labels, or None when check mode previews an image not built yet."""
    reference, host = settings["image"], settings["host"]
    if not reference:
        raise DeployConfigError(
            f"No image to deploy on {host}: run the flaskrock.paas.rock role first (it sets the "
            "rock_image fact) or set deploy_image to a rock image on this host."
        )
    image = state.get("image") or {}
    if not image.get("present"):
        if _flag(settings, "check_mode"):
            return None
        raise DeployConfigError(
            f"Image {reference} is not on host {host}: build it with the flaskrock.paas.rock role "
            "(playbooks/deploy.yml does) or load it there."
        )
    labels = image.get("labels") or {}
    if LABELS["gunicorn_command"] not in labels:
        raise DeployConfigError(
            f"Image {reference} is not a flaskrock rock (it has no {LABEL_PREFIX}* labels): build it with "
            "the flaskrock.paas.rock role."
        )
    return labels


def _gunicorn_args(state, settings):
    workers = _number(settings, "workers")
    if workers <= 0:
        workers = default_workers(state.get("cpus") or 1, _number(settings, "workers_max"))
    values = {name: _number(settings, name) for name in GUNICORN_SETTINGS}
    return gunicorn_cmd_args({"workers": workers, **values})


def _container(settings, runtime, worker_class):
    """The app container's settings (everything but its name, image, env file and labels)."""
    read_only = _flag(settings, "read_only")
    metrics_port = _number(settings, "metrics_port") or runtime["metrics_port"]
    data_path = settings["data_path"] or runtime["base_dir"] + "/data"
    volume = settings["data_volume"]
    cpus = _number(settings, "cpus", float)
    if _behind_proxy(settings):
        # Behind the host's proxy: the release publishes its slot (HTTP, metrics next to it) on loopback
        # (health gate, users' curl) and on the proxy's backend address (Docker's bridge gateway: the kernel
        # DNATs the proxy's connections there, where 127.0.0.1 goes through docker-proxy); the proxy serves
        # the app's ports. "proxy" is recorded so a switch of mode is a change.
        port = _number(settings, "release_port")
        addresses = [LOOPBACK]
        if str(settings.get("release_address") or LOOPBACK) != LOOPBACK:
            addresses.append(str(settings["release_address"]))
        published = [
            f"{address}:{slot}:{container_port}"
            for address in addresses
            for slot, container_port in ((port, runtime["http_port"]), (port + 1, runtime["metrics_port"]))
        ]
    else:
        published = [
            f"{settings['http_bind_address']}:{_number(settings, 'http_port')}:{runtime['http_port']}",
            f"{settings['metrics_bind_address']}:{metrics_port}:{runtime['metrics_port']}",
        ]
    container = {
        "command": ["--args", runtime["service"], worker_class],
        "published_ports": published,
        "restart_policy": "unless-stopped",
        "memory": str(settings["memory"]),
        "read_only": read_only,
        "security_opts": ["no-new-privileges"],
        "cap_drop": ["ALL"],
        "log_driver": "json-file",
        "log_options": {
            "max-size": str(settings["log_max_size"]),
            "max-file": str(_number(settings, "log_max_file")),
        },
        "mounts": [{"type": "volume", "source": volume, "target": data_path}] if volume else [],
        "stop_timeout": _number(settings, "graceful_timeout") + 5,
    }
    if _behind_proxy(settings):
        container["proxy"] = True
    if cpus > 0:
        container["cpus"] = cpus
    if read_only:
        owner = f"uid={runtime['uid']},gid={runtime['gid']}"
        container["tmpfs"] = [
            "/tmp:rw,nosuid,nodev,mode=1777",
            "/run:rw,nosuid,nodev,mode=1777",
            f"{runtime['log_dir']}:rw,nosuid,nodev,{owner},mode=0755",
        ]
    return container


def _behind_proxy(settings):
    return "proxy" in settings and _flag(settings, "proxy")


def _health_check(settings, http_port):
    bind = settings["http_bind_address"]
    address = settings["health_check_address"] or (LOOPBACK if bind in ("0.0.0.0", "") else bind)
    if _behind_proxy(settings):  # the new release, directly on its loopback slot, before any traffic
        address, http_port = LOOPBACK, _number(settings, "release_port")
    interval = max(_number(settings, "health_check_interval"), 1)
    return {
        "url": f"http://{address}:{http_port}{settings['health_check_path']}",
        "retries": math.ceil(_number(settings, "health_check_timeout") / interval),
        "delay": interval,
        "status_below": _number(settings, "health_check_status_below"),
    }


def deploy_plan(state, settings):
    """Everything a deploy of ``settings['image']`` on this host needs, or a failure that says why.

    Raises DeployConfigError for an image that is missing (except in check mode: the plan then has
    ``image_missing``), not a rock, or settings the image cannot run (gevent without gevent...).
    """
    labels = _check_image(state, settings)
    if labels is None:
        return {"image_missing": True, "image": settings["image"], "app": state.get("app", "")}
    runtime = contract(labels.get(LABELS["framework"]) or DEFAULT_FRAMEWORK)
    worker_class = resolve_worker_class(
        settings["worker_class"], labels.get(LABELS["worker_class"]), labels.get(LABELS["gevent"], "false")
    )
    gunicorn_args = _gunicorn_args(state, settings)
    # Validated here, without the secret key, so an error can be shown (the env itself is no_log).
    app_environment(
        settings["config"],
        settings["framework"],
        settings["databases"],
        settings["env"],
        integrations=settings.get("integrations"),
        app_name=state["app"],
    )
    gunicorn_command = json.loads(labels[LABELS["gunicorn_command"]])
    migration = json.loads(labels.get(LABELS["migration"]) or "null")
    migrate_here = settings["migrate_on"] == "all" or settings["host"] == settings["first_host"]
    container = _container(settings, runtime, worker_class)
    # The rock's workers and schedulers (the scheduler switch) and deploy_networks.
    services, service_container = service_plan(labels, settings)
    services["status_command"] = ["supervisorctl", "-c", runtime["supervisord_conf"], "status"]
    container.update(service_container)
    app = state["app"]
    return {
        "image_missing": False,
        "image": settings["image"],
        "image_id": state["image"]["id"],
        "repository": image_repository(settings["image"]),
        "app": app,
        "version": f"{labels.get(LABELS['version'], '')}-{labels.get(LABELS['revision'], '')}",
        "worker_class": worker_class,
        "gunicorn_args": gunicorn_args,
        "check_config_command": [*gunicorn_command, "-k", worker_class, "--check-config"],
        "migration": migration,
        "run_migration": bool(migration) and _flag(settings, "migrate") and migrate_here,
        "user": f"{runtime['uid']}:{runtime['gid']}",
        "app_dir": runtime["app_dir"],
        "container": container,
        "services": services,
        "data_path": container["mounts"][0]["target"] if container["mounts"] else "",
        "volume_labels": {CONTAINER_LABELS["app"]: app},
        "health_check": _health_check(settings, _number(settings, "http_port")),
        "proxy": _behind_proxy(settings),
        "env_file": state["env_file"],
        "lock_file": state["lock_file"],
        "base_dir": state["base_dir"],
        "secret_file": state["secret_file"],
    }


def release_env(settings, plan, secret_key):
    """The content of the app's env file: the application environment with the secret key and
    ``GUNICORN_CMD_ARGS`` (which ``deploy_env`` may replace)."""
    framework = {**settings["framework"], "secret_key": secret_key}
    env = {"GUNICORN_CMD_ARGS": plan["gunicorn_args"], **(settings["env"] or {})}
    return env_file_content(
        app_environment(
            settings["config"],
            framework,
            settings["databases"],
            env,
            integrations=settings.get("integrations"),
            app_name=plan["app"],
        )
    )


def _settings_json(container):
    return json.dumps(container, sort_keys=True, separators=(",", ":"))


def deploy_changes(plan, state, env_content):
    """What differs between the running ``<app>`` container and the plan, by name only (values may be
    secrets). ``needed`` is false for a no-op deploy: the container runs the planned image with the
    planned settings and env file, and the env file on the host is the planned one."""
    env_sha256 = hashlib.sha256(env_content.encode()).hexdigest()
    current = (state.get("containers") or {}).get("current") or {}
    changes = []
    env_changed = state.get("env_file_sha256") != env_sha256
    if not current.get("exists"):
        changes.append("new container")
    else:
        labels = current.get("labels") or {}
        if current.get("image") != plan["image_id"]:
            changes.append("image changed")
        if not current.get("running"):
            changes.append("container not running")
        env_changed = env_changed or labels.get(CONTAINER_LABELS["env"]) != env_sha256
        try:
            recorded = json.loads(labels.get(CONTAINER_LABELS["settings"]) or "null")
        except ValueError:
            recorded = None
        desired = json.loads(_settings_json(plan["container"]))
        if plan.get("proxy") and isinstance(recorded, dict):
            # A release behind the proxy alternates between its two loopback slots: not a change.
            recorded.pop("published_ports", None)
            desired.pop("published_ports", None)
        if not isinstance(recorded, dict):
            changes.append("container settings not recorded (deployed by an older version of the role)")
        else:
            names = sorted(name for name in {*recorded, *desired} if recorded.get(name) != desired.get(name))
            if names:
                changes.append("container settings changed: " + ", ".join(names))
    if plan["container"]["mounts"] and not state.get("volume_exists"):
        changes.append("data volume missing")
    if env_changed:
        changes.insert(0, "environment changed")
    return {
        "needed": bool(changes),
        "changes": changes,
        "env_changed": env_changed,
        "labels": {
            CONTAINER_LABELS["app"]: plan["app"],
            CONTAINER_LABELS["release"]: plan["version"],
            CONTAINER_LABELS["settings"]: _settings_json(plan["container"]),
            CONTAINER_LABELS["env"]: env_sha256,
        },
    }


def rollback_target(state, release="", host="this host"):
    """The release to switch back to: ``release`` (a tag, or a full reference), else the image of
    ``<app>-previous``, else the newest image of the repository older than the running one."""
    containers = state.get("containers") or {}
    current, previous = containers.get("current") or {}, containers.get("previous") or {}
    repository = state["repository"]
    releases = _release_tags(state.get("releases"), repository)
    tags = [tag for _image, image_tags in releases for tag in image_tags]
    release = str(release or "")
    running_id = current.get("image", "") if current.get("exists") else ""
    if release:
        target = release if ":" in release else f"{repository}:{release}"
    elif previous.get("exists"):
        target = previous.get("config_image", "")
    else:
        running = next((image for image, _tags in releases if image.get("Id") == running_id), None)
        newest = running.get("Created") if running else math.inf
        target = next(
            (
                image_tags[0]
                for image, image_tags in releases
                if image_tags and image.get("Id") != running_id and (image.get("Created") or 0) < newest
            ),
            "",
        )
    error = ""
    if not target or target not in tags:
        known = ", ".join(tags) or "none"
        reason = (
            f"Release {target} is not on {host}."
            if target
            else f"No previous release of {state['app']} on {host}."
        )
        error = f"{reason} Known releases: {known}; pick one with -e release=TAG."
    return {"repository": repository, "releases": tags, "target": target, "error": error}


def prunable_releases(state, image_id, keep, released):
    """Tags of the app's images beyond the newest ``keep``; never the deployed image nor the previous
    release (``<app>-previous``: after a release, the container that was running before it)."""
    containers = state.get("containers") or {}
    previous = containers.get("current" if released else "previous") or {}
    kept = {image_id, previous.get("image") if previous.get("exists") else None}
    releases = _release_tags(state.get("releases"), state["repository"])
    beyond = releases[max(int(keep), 0) :]
    return [tag for image, tags in beyond if image.get("Id") not in kept for tag in tags]


def fleet_report(results, image_id, failed_host, reason=""):
    """The message that stops a serial roll on ``failed_host``: the reason, then the release each host
    of the play serves. ``results`` are the loop results of ``deploy_state`` delegated to every host
    (``item`` is the host; an unreachable or failed read says so); ``image_id`` is the new release's."""
    lines = []
    for result in results or []:
        host = result.get("item", "?")
        if result.get("unreachable") or result.get("failed") or result.get("skipped"):
            lines.append(f"{host}: unknown ({result.get('msg') or 'not read'})")
            continue
        current = (result.get("containers") or {}).get("current") or {}
        running = current.get("exists") and current.get("running")
        serves = current.get("config_image") if running else "nothing"
        if host == failed_host:
            status = "failed here; the release it ran before keeps serving"
        elif image_id and current.get("image") == image_id:
            status = "new release: rolled before the failure, it keeps the new release"
        else:
            status = "not reached: keeps its release"
        lines.append(f"{host}: {serves} ({status})")
    return (
        f"The roll stopped at {failed_host}"
        + (f": {reason.strip()}" if reason.strip() else ".")
        + "\nRelease each host serves now:\n  "
        + "\n  ".join(lines)
        + "\nHosts already rolled keep the new release (the fleet is mixed): fix the release and deploy "
        "again, or bring every host back with playbooks/rollback.yml -e release=<the previous tag>."
    )
