#!/usr/bin/python
# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_container_logs
short_description: Read the last lines of a Docker container's log
version_added: 0.1.0
description:
  - Returns the end of a container's stdout and stderr, as C(docker logs --tail) does.
    No module of C(community.docker) reads the log of a detached container.
  - Used by the C(flaskrock.paas.deploy) role to show why a new release failed its health check.
author:
  - flaskrock.paas developers (@flaskrock)
extends_documentation_fragment:
  - flaskrock.paas.docker_sdk
options:
  name:
    description: Name (or ID) of the container.
    type: str
    required: true
  tail:
    description: Number of lines from the end of the log.
    type: int
    default: 40
"""

EXAMPLES = r"""
- name: Show why the new release is unhealthy
  flaskrock.paas.deploy_container_logs:
    name: hello
    tail: 40
  register: new_release_logs
"""

RETURN = r"""
logs:
  description: The last O(tail) lines of the log (stdout and stderr interleaved).
  returned: success
  type: str
state:
  description: The container's C(State) (Status, ExitCode, OOMKilled...).
  returned: success
  type: dict
status:
  description: The part of RV(state) that explains a failed container (C(Status), C(ExitCode), C(OOMKilled),
    C(Error)).
  returned: success
  type: dict
  version_added: 0.2.0
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils._docker_sdk import (  # noqa: E402
    DOCKER_HOST_ARGUMENT,
    DockerException,
    NotFound,
    docker_client,
)

STATUS_KEYS = ("Status", "ExitCode", "OOMKilled", "Error")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            tail=dict(type="int", default=40),
            **DOCKER_HOST_ARGUMENT,
        ),
        supports_check_mode=True,
    )
    name = module.params["name"]
    try:
        client = docker_client(module)
        container = client.containers.get(name)
        logs = container.logs(stdout=True, stderr=True, tail=module.params["tail"])
        state = container.attrs.get("State") or {}
        module.exit_json(
            changed=False,
            logs=logs.decode("utf-8", errors="replace"),
            state=state,
            status={key: state[key] for key in STATUS_KEYS if key in state},
        )
    except NotFound:
        module.fail_json(msg=f"no container named {name!r}")
    except DockerException as exc:
        module.fail_json(msg=f"reading the log of container {name!r} failed: {exc}")


if __name__ == "__main__":
    main()
