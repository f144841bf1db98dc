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
extends_documentation_fragment:
  - flaskrock.paas.docker_sdk
options:
  name:
    description: Current name (or ID) of the container.
    type: str
    required: true
  new_name:
    description: Name to give the container.
    type: str
    required: true
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

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils._docker_sdk import (  # noqa: E402
    DOCKER_HOST_ARGUMENT,
    DockerException,
    NotFound,
    docker_client,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            new_name=dict(type="str", required=True),
            **DOCKER_HOST_ARGUMENT,
        ),
        supports_check_mode=True,
    )

    name, new_name = module.params["name"], module.params["new_name"]
    try:
        client = docker_client(module)
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
