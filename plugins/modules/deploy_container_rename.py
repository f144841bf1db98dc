#!/usr/bin/python
# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_container_rename
short_description: Rename a Docker container
version_added: 0.1.0
description:
  - Renames a container, as C(docker rename) does. C(community.docker.docker_container) cannot rename.
  - Used by the C(flaskrock.paas.deploy) role to keep the replaced container as C(<app>-previous)
    so it can be brought back when the new release fails its health check.
  - Idempotent; when O(name) does not exist and O(new_name) does, nothing changes.
author:
  - flaskrock.paas developers (@flaskrock)
requirements:
  - Docker SDK for Python (C(python3-docker)) on the managed host.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: >-
      Will return details on what has changed (or possibly needs changing in check_mode),
      when in diff mode.
    support: none
options:
  name:
    description: Current name (or ID) of the container.
    type: str
    required: true
  new_name:
    description: Name to give the container.
    type: str
    required: true
  docker_host:
    description: Docker daemon URL.
    type: str
    default: unix:///var/run/docker.sock
"""

EXAMPLES = r"""
- name: Keep the running release as the previous one
  flaskrock.paas.deploy_container_rename:
    name: hello
    new_name: hello-previous
"""

RETURN = r"""
container_id:
  description: ID of the renamed container.
  returned: success
  type: str
"""

import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

try:
    import docker
    from docker.errors import DockerException, NotFound
except ImportError:
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            new_name=dict(type="str", required=True),
            docker_host=dict(type="str", default="unix:///var/run/docker.sock"),
        ),
        supports_check_mode=True,
    )
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib("docker (python3-docker)"), exception=DOCKER_IMPORT_ERROR)

    name, new_name = module.params["name"], module.params["new_name"]
    try:
        client = docker.DockerClient(base_url=module.params["docker_host"])
        try:
            container = client.containers.get(name)
        except NotFound:
            try:
                existing = client.containers.get(new_name)
            except NotFound:
                module.fail_json(msg=f"no container named {name!r} (nor {new_name!r}) to rename")
            module.exit_json(changed=False, container_id=existing.id)
        if container.name == new_name:
            module.exit_json(changed=False, container_id=container.id)
        if not module.check_mode:
            container.rename(new_name)
        module.exit_json(changed=True, container_id=container.id)
    except DockerException as exc:
        module.fail_json(msg=f"renaming container {name!r} to {new_name!r} failed: {exc}")


if __name__ == "__main__":
    main()
