# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Docker SDK access shared by the collection's small container modules."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import docker
    from docker.errors import DockerException, NotFound
except ImportError:
    docker = None
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    class DockerException(Exception):
        pass

    class NotFound(DockerException):
        pass
else:
    DOCKER_IMPORT_ERROR = None

__all__ = ["DOCKER_HOST_ARGUMENT", "DockerException", "NotFound", "docker_client"]

DOCKER_HOST_ARGUMENT = dict(docker_host=dict(type="str", default="unix:///var/run/docker.sock"))


def docker_client(module):
    """Return a client for O(docker_host), or fail the module when the SDK is missing."""
    if docker is None:
        module.fail_json(msg=missing_required_lib("docker (python3-docker)"), exception=DOCKER_IMPORT_ERROR)
    return docker.DockerClient(base_url=module.params["docker_host"])
