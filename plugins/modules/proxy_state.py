#!/usr/bin/python
# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: proxy_state
short_description: Read what the host's HAProxy serves and what it needs, in one call
version_added: 0.3.0
description:
  - Reads the app records the C(flaskrock.paas.proxy) role keeps (C(<dir>/apps/<app>.json)), the TCP ports
    listening on the host, the proxy container and its image, and the gateway address of Docker's default
    network C(bridge) (where the releases publish their slot ports for the proxy).
  - Reads only; changes nothing.
author:
  - flaskrock.paas developers (@flaskrock)
extends_documentation_fragment:
  - flaskrock.paas.docker_sdk
options:
  dir:
    description: The proxy's directory on the host.
    type: path
    default: /var/lib/flaskrock/proxy
  name:
    description: Name of the proxy container.
    type: str
    default: flaskrock-proxy
  image:
    description: The proxy image whose presence is reported; empty for none.
    type: str
    default: ''
"""

EXAMPLES = r"""
- name: Read the apps behind the proxy
  flaskrock.paas.proxy_state:
    dir: /var/lib/flaskrock/proxy
  register: proxy_state
"""

RETURN = r"""
records:
  description: App name -> record (domains, port, address, slot_base, metrics_port, https_redirect, hsts, tls,
    maintenance).
  returned: always
  type: dict
problems:
  description: Record files that could not be read.
  returned: always
  type: list
  elements: str
listening:
  description: TCP ports in state LISTEN on the host.
  returned: always
  type: list
  elements: int
container:
  description: C(exists), C(running), C(image) (reference it was started from) of the proxy container.
  returned: always
  type: dict
image_present:
  description: Whether O(image) is on the host.
  returned: always
  type: bool
bridge_gateway:
  description: The IPv4 gateway of the Docker network C(bridge) (the host's address on C(docker0)); empty
    when the daemon has no default bridge (its C(bridge) setting is C(none)).
  returned: always
  type: str
  sample: 172.17.0.1
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils._docker_sdk import (  # noqa: E402
    DOCKER_HOST_ARGUMENT,
    DockerException,
    NotFound,
    docker_client,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._proxy_host import (  # noqa: E402
    bridge_gateway,
    read_listening_ports,
    read_records,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dir=dict(type="path", default="/var/lib/flaskrock/proxy"),
            name=dict(type="str", default="flaskrock-proxy"),
            image=dict(type="str", default=""),
            **DOCKER_HOST_ARGUMENT,
        ),
        supports_check_mode=True,
    )
    params = module.params
    records, problems = read_records(f"{params['dir']}/apps")
    container = {"exists": False, "running": False, "image": ""}
    image_present = False
    gateway = ""
    try:
        api = docker_client(module).api
        try:
            inspect = api.inspect_container(params["name"])
            container = {
                "exists": True,
                "running": bool((inspect.get("State") or {}).get("Running")),
                "image": (inspect.get("Config") or {}).get("Image", ""),
            }
        except NotFound:
            pass
        try:
            gateway = bridge_gateway(api.inspect_network("bridge"))
        except NotFound:
            gateway = ""
        if params["image"]:
            try:
                api.inspect_image(params["image"])
                image_present = True
            except NotFound:
                image_present = False
    except DockerException as exc:
        module.fail_json(msg=f"reading the proxy state from Docker failed: {exc}")
    module.exit_json(
        changed=False,
        records=records,
        problems=problems,
        listening=read_listening_ports(),
        container=container,
        image_present=image_present,
        bridge_gateway=gateway,
    )


if __name__ == "__main__":
    main()
