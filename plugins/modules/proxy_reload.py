#!/usr/bin/python
# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: proxy_reload
short_description: Reload the host's HAProxy without dropping a connection, wait for the old workers
version_added: 0.3.0
description:
  - Sends C(SIGUSR2) to the HAProxy master (PID 1 of the proxy container, master-worker mode).
    The master keeps
    the listening sockets and starts a worker with the new configuration; the old worker stops accepting and
    finishes its in-flight requests (bounded by C(hard-stop-after)).
  - Waits, through the master CLI socket (C(show proc)), until the master counted the reload and no old worker
    is left, so the release behind the old configuration can be stopped without cutting a request.
  - Fails when the master reports a failed reload (the old workers keep serving the old configuration).
author:
  - flaskrock.paas developers (@flaskrock)
extends_documentation_fragment:
  - flaskrock.paas.docker_sdk
attributes:
  check_mode:
    support: full
    details: In check mode nothing is sent and the module reports a change.
options:
  name:
    description: Name of the proxy container.
    type: str
    default: flaskrock-proxy
  socket:
    description: Path on the host of the master CLI socket.
    type: path
    required: true
  timeout:
    description: Seconds to wait for the new worker and for the old ones to finish.
    type: int
    default: 90
"""

EXAMPLES = r"""
- name: Reload the proxy
  flaskrock.paas.proxy_reload:
    name: flaskrock-proxy
    socket: /var/lib/flaskrock/proxy/run/master.sock
"""

RETURN = r"""
reloads:
  description: The master's reload counter after the reload.
  returned: success
  type: int
drained:
  description: Whether the old workers were gone before O(timeout).
  returned: success
  type: bool
"""

import socket  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils._docker_sdk import (  # noqa: E402
    DOCKER_HOST_ARGUMENT,
    DockerException,
    docker_client,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._proxy_host import parse_show_proc  # noqa: E402

POLL = 0.1


def show_proc(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(path)
        client.sendall(b"show proc\n")
        client.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = client.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return parse_show_proc(b"".join(chunks).decode(errors="replace"))


def wait_for(path, deadline, condition):
    last_error = None
    while time.monotonic() < deadline:
        try:
            procs = show_proc(path)
            if condition(procs):
                return procs, None
        except OSError as exc:  # the master re-executes itself during a reload
            last_error = exc
        time.sleep(POLL)
    return None, last_error


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", default="flaskrock-proxy"),
            socket=dict(type="path", required=True),
            timeout=dict(type="int", default=90),
            **DOCKER_HOST_ARGUMENT,
        ),
        supports_check_mode=True,
    )
    if module.check_mode:
        module.exit_json(changed=True)
    path, deadline = module.params["socket"], time.monotonic() + module.params["timeout"]
    before, error = wait_for(path, deadline, lambda procs: procs["reloads"] is not None)
    if before is None:
        module.fail_json(msg=f"the HAProxy master CLI {path} does not answer: {error}")
    try:
        docker_client(module).containers.get(module.params["name"]).kill(signal="SIGUSR2")
    except DockerException as exc:
        module.fail_json(msg=f"signalling the proxy container {module.params['name']} failed: {exc}")
    after, error = wait_for(
        path, deadline, lambda procs: procs["reloads"] is not None and procs["reloads"] > before["reloads"]
    )
    if after is None:
        module.fail_json(
            msg=f"HAProxy did not report the reload within {module.params['timeout']} s ({error})."
        )
    if after["failed"] > before["failed"] or not after["workers"]:
        module.fail_json(
            msg="HAProxy refused the new configuration at reload; the old workers keep serving the old one.",
            procs=after,
        )
    drained, _error = wait_for(path, deadline, lambda procs: not procs["old_workers"])
    module.exit_json(changed=True, reloads=after["reloads"], drained=drained is not None)


if __name__ == "__main__":
    main()
