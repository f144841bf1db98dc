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
    description: Name (or ID) of the container.
    type: str
    required: true
  tail:
    description: Number of lines from the end of the log.
    type: int
    default: 40
  docker_host:
    description: Docker daemon URL.
    type: str
    default: unix:///var/run/docker.sock
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
            tail=dict(type="int", default=40),
            docker_host=dict(type="str", default="unix:///var/run/docker.sock"),
        ),
        supports_check_mode=True,
    )
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib("docker (python3-docker)"), exception=DOCKER_IMPORT_ERROR)
    name = module.params["name"]
    try:
        client = docker.DockerClient(base_url=module.params["docker_host"])
        container = client.containers.get(name)
        logs = container.logs(stdout=True, stderr=True, tail=module.params["tail"])
        module.exit_json(
            changed=False,
            logs=logs.decode("utf-8", errors="replace"),
            state=container.attrs.get("State", {}),
        )
    except NotFound:
        module.fail_json(msg=f"no container named {name!r}")
    except DockerException as exc:
        module.fail_json(msg=f"reading the log of container {name!r} failed: {exc}")


if __name__ == "__main__":
    main()
