#!/usr/bin/python
# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_state
short_description: Read everything a deploy of a Flask rock needs to know about a host, in one call
version_added: 0.2.0
description:
  - Answers the questions the C(flaskrock.paas.deploy) role asks before a deploy or a rollback at once, so a
    redeploy with nothing to do costs one module run instead of a dozen.
  - The image (present, ID, labels), the app container C(<app>) and C(<app>-previous) (image, state, labels),
    the images of the app's repository (the releases), the checksum of the env file, the deploy lock, the
    data volume and the number of CPU cores of the host.
  - Reads only; changes nothing. The env file's content (secrets) is never returned, only its sha256.
author:
  - flaskrock.paas developers (@flaskrock)
extends_documentation_fragment:
  - flaskrock.paas.docker_sdk
options:
  image:
    description: Image reference to deploy. Empty for a rollback (the release is chosen from the result).
    type: str
    default: ''
  app:
    description:
      - Name of the app container. Empty takes the image label C(org.opencontainers.image.title).
      - Letters, digits, C(.), C(_) and C(-), starting with a letter or digit.
    type: str
    default: ''
  base_dir:
    description: Directory of the app's env file, lock and secret key. Empty is C(/var/lib/flaskrock/<app>).
    type: str
    default: ''
  volume:
    description: Data volume whose existence is reported; empty for none.
    type: str
    default: ''
  read_secret:
    description:
      - Also return the secret key kept in C(<base_dir>/secret_key) (see M(flaskrock.paas.deploy_secret)) as
        RV(secret_key), so the host keeping it needs no second module run.
      - The result then holds a secret, so give the task C(no_log).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Read the deploy state of the host
  flaskrock.paas.deploy_state:
    image: hello:0.1-0123456789ab
  register: deploy_state

- name: Show the running release's image
  ansible.builtin.debug:
    msg: "{{ deploy_state.containers.current.config_image | default('none') }}"
"""

RETURN = r"""
app:
  description: Name of the app container.
  returned: always
  type: str
base_dir:
  description: Directory of the app's deploy files on the host.
  returned: always
  type: str
env_file:
  description: Path of the env file (C(<base_dir>/app.env)).
  returned: always
  type: str
lock_file:
  description: Path of the deploy lock (C(<base_dir>/deploy.lock)).
  returned: always
  type: str
secret_file:
  description: Path of the generated secret key (C(<base_dir>/secret_key)).
  returned: always
  type: str
image:
  description: The image O(image) names.
  returned: always
  type: dict
  contains:
    ref: {description: O(image), type: str}
    present: {description: Whether the image is on the host., type: bool}
    id: {description: Image ID., type: str}
    created: {description: Creation time (RFC 3339)., type: str}
    labels: {description: The image's labels., type: dict}
    repo_tags: {description: Tags of the image., type: list, elements: str}
containers:
  description: The containers C(current) (C(<app>)), C(previous) (C(<app>-previous)) and C(next)
    (C(<app>-next), the release a deploy starts behind the proxy; one that exists before a deploy was left
    by an interrupted one).
  returned: always
  type: dict
  contains:
    current:
      description: C(exists), C(id), C(image) (image ID), C(config_image) (reference it was started from),
        C(running), C(status), C(labels), C(ports) (the host ports it publishes) and C(published) (the
        same as C(address:port), C(0.0.0.0) for all addresses).
      type: dict
    previous:
      description: The same for C(<app>-previous).
      type: dict
    next:
      description: The same for C(<app>-next).
      type: dict
repository:
  description: Repository of the releases; from O(image), else from the running container's image, else
    O(app).
  returned: always
  type: str
releases:
  description: Images of RV(repository), as C(docker images) lists them (C(Id), C(Created), C(RepoTags)...).
  returned: always
  type: list
  elements: dict
env_file_sha256:
  description: sha256 of the env file, or null when there is none.
  returned: always
  type: str
lock:
  description: Content of the deploy lock (C(holder), C(since), C(version), C(run_id)), or null when unlocked.
  returned: always
  type: dict
volume_exists:
  description: Whether O(volume) exists (false when O(volume) is empty).
  returned: always
  type: bool
cpus:
  description: CPU cores online on the host.
  returned: always
  type: int
secret_key:
  description: The stored secret key; null when there is none (or it is empty) or O(read_secret) is false.
  returned: always
  type: str
"""

import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils._docker_sdk import (  # noqa: E402
    DOCKER_HOST_ARGUMENT,
    DockerException,
    NotFound,
    docker_client,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._runtime import LABELS  # noqa: E402

STATE_ROOT = "/var/lib/flaskrock"
APP_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


class StateError(Exception):
    """The inputs cannot describe a deploy (e.g. an app name no container can have)."""


def image_summary(reference, inspect):
    """The image fields a deploy uses, from ``docker image inspect`` (None: not on the host)."""
    if not inspect:
        return {"ref": reference, "present": False, "id": "", "created": "", "labels": {}, "repo_tags": []}
    return {
        "ref": reference,
        "present": True,
        "id": inspect.get("Id", ""),
        "created": inspect.get("Created", ""),
        "labels": (inspect.get("Config") or {}).get("Labels") or {},
        "repo_tags": inspect.get("RepoTags") or [],
    }


def container_summary(inspect):
    """The container fields a deploy uses, from ``docker container inspect`` (None: no such container)."""
    if not inspect:
        return {"exists": False}
    config, state = inspect.get("Config") or {}, inspect.get("State") or {}
    # The bindings it was created with (HostConfig: also known while it is stopped), as address:port.
    published = sorted(
        {
            f"{binding.get('HostIp') or '0.0.0.0'}:{int(binding['HostPort'])}"
            for bindings in ((inspect.get("HostConfig") or {}).get("PortBindings") or {}).values()
            for binding in bindings or []
            if str(binding.get("HostPort") or "").isdigit()
        }
    )
    return {
        "exists": True,
        "id": inspect.get("Id", ""),
        "image": inspect.get("Image", ""),
        "config_image": config.get("Image", ""),
        "running": bool(state.get("Running")),
        "status": state.get("Status", ""),
        "labels": config.get("Labels") or {},
        "ports": sorted({int(binding.split(":")[-1]) for binding in published}),
        "published": published,
    }


def app_name(requested, image):
    """``requested``, else the image title; refused when no container can be named so."""
    app = requested or image["labels"].get(LABELS["title"], "")
    if (image["present"] or requested) and not APP_NAME.match(app):
        raise StateError(
            f"App name {json.dumps(app)} cannot name a container: set deploy_app_name to letters, digits, "
            "'.', '_' or '-' (the image has no org.opencontainers.image.title label, or deploy_app_name "
            "is invalid)."
        )
    return app


def repository_of(image_ref, current, app):
    """Where the releases live: the deployed reference's repository, else the running container's."""
    reference = image_ref or (current.get("config_image") if current["exists"] else "") or ""
    return re.sub(r":[^:/]+$", "", reference) if reference else app


def file_sha256(path):
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return None


def read_lock(path):
    """The lock's JSON content; an unreadable lock still locks (its holder is unknown)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    try:
        lock = json.loads(text)
    except ValueError:
        lock = None
    return lock if isinstance(lock, dict) else {"holder": "?", "since": "?", "version": "?", "run_id": ""}


def read_secret_key(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read() or None
    except FileNotFoundError:
        return None


def _inspect(call, name):
    try:
        return call(name)
    except NotFound:
        return None


def read_state(client, image_ref, requested_app, base_dir, volume, *, secret=False):
    api = client.api
    image = image_summary(image_ref, _inspect(api.inspect_image, image_ref) if image_ref else None)
    app = app_name(requested_app, image)
    containers = {
        "current": container_summary(_inspect(api.inspect_container, app) if app else None),
        "previous": container_summary(_inspect(api.inspect_container, app + "-previous") if app else None),
        "next": container_summary(_inspect(api.inspect_container, app + "-next") if app else None),
    }
    repository = repository_of(image_ref, containers["current"], app)
    base_dir = base_dir or (f"{STATE_ROOT}/{app}" if app else "")
    env_file = f"{base_dir}/app.env"
    lock_file = f"{base_dir}/deploy.lock"
    return {
        "app": app,
        "base_dir": base_dir,
        "env_file": env_file,
        "lock_file": lock_file,
        "secret_file": f"{base_dir}/secret_key",
        "image": image,
        "containers": containers,
        "repository": repository,
        "releases": api.images(name=repository) if repository else [],
        "env_file_sha256": file_sha256(env_file) if base_dir else None,
        "lock": read_lock(lock_file) if base_dir else None,
        "volume_exists": bool(volume) and _inspect(api.inspect_volume, volume) is not None,
        "cpus": os.sysconf("SC_NPROCESSORS_ONLN"),
        "secret_key": read_secret_key(f"{base_dir}/secret_key") if secret and base_dir else None,
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            image=dict(type="str", default=""),
            app=dict(type="str", default=""),
            base_dir=dict(type="str", default=""),
            volume=dict(type="str", default=""),
            read_secret=dict(type="bool", default=False),
            **DOCKER_HOST_ARGUMENT,
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        client = docker_client(module)
        state = read_state(
            client,
            params["image"],
            params["app"],
            params["base_dir"],
            params["volume"],
            secret=params["read_secret"],
        )
    except StateError as exc:
        module.fail_json(msg=str(exc))
    except DockerException as exc:
        module.fail_json(msg=f"reading the deploy state from Docker failed: {exc}")
    module.exit_json(changed=False, **state)


if __name__ == "__main__":
    main()
