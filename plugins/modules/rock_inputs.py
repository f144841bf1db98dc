#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rock_inputs
short_description: Check the build inputs of a rock and compute its content digest and image tag
version_added: 0.2.0
description:
  - Runs on the controller, where the project is. In one pass it checks the inputs of an image build
    planned by M(flaskrock.paas.flask_project) (the base image is on the builder, the local CA
    certificates and statsd_exporter exist, the statsd_exporter download can be verified), reads
    and checksums every file the build uses, and returns the sha256 digest of all the inputs and
    the image tag C(<version>-<digest>).
  - Same inputs give the same tag, so the C(flaskrock.paas.rock) role builds only when no image has
    the tag yet.
  - The digest covers the base image ID, the rendered build-context files (O(contents), O(files)),
    the content of every application file, requirement file, file below a local requirement path
    and (for C(pip install .)) project file, statsd_exporter (the local file's content, or the
    download URL and checksum), the build-only CA certificates and the build environment.
  - Changes nothing; always returns C(changed=false).
author:
  - flaskrock.paas developers (@flaskrock)
attributes:
  check_mode:
    support: full
    description: Only reads files, so check mode returns the same answer.
  diff_mode:
    support: none
    description: Nothing is changed, there is no diff.
options:
  plan:
    description:
      - The RV(flaskrock.paas.flask_project#module:plan) of the project.
      - Its C(project_dir), C(name), C(version), C(app_files), C(requirements_files),
        C(requirements_paths) and C(install_project) are used.
    type: dict
    required: true
  base_image:
    description: Name of the base image, for the message when it is missing.
    type: str
    required: true
  base_image_id:
    description:
      - ID of the base image on the builder.
      - Empty means it is not there, and the module fails saying how to get it.
    type: str
    required: true
  builder:
    description: Inventory name of the builder, for the messages.
    type: str
    required: true
  arch:
    description: Architecture of the base image (Docker's name, C(amd64), C(x86_64), C(arm64)...).
    type: str
    default: amd64
  contents:
    description: Build-context files rendered on the controller, context path to text.
    type: dict
    default: {}
  files:
    description: Files of the controller put in the build context, context path to controller path.
    type: dict
    default: {}
  build_ca_certificates:
    description: PEM CA certificates on the controller trusted by the build stage only.
    type: list
    elements: path
    default: []
  build_env:
    description: Environment of the build stage; only its sha256 enters the digest.
    type: dict
    default: {}
  statsd_exporter:
    description: Where statsd_exporter comes from (the C(rock_statsd_exporter_*) variables of the role).
    type: dict
    default: {}
    suboptions:
      src:
        description:
          - A release archive (C(.tar.gz), C(.tgz)) or the binary on the controller.
          - When set, nothing is downloaded.
        type: str
        default: ""
      version:
        description: Release version, for the messages.
        type: str
        default: ""
      url:
        description: Release archive URL, C({arch}) replaced by the architecture (C(amd64), C(arm64)).
        type: str
        default: ""
      checksums:
        description: Pinned sha256 of the release archive per architecture.
        type: dict
        default: {}
      checksums_url:
        description:
          - The release's C(sha256sums.txt).
          - Used when O(statsd_exporter.checksums) has no value for the architecture.
        type: str
        default: ""
  registry:
    description: Registry (C(host[:port][/namespace])) prefixed to RV(image); empty for none.
    type: str
    default: ""
seealso:
  - module: flaskrock.paas.flask_project
  - module: flaskrock.paas.rock_context_archive
"""

EXAMPLES = r"""
- name: Compute the image tag from the build inputs
  flaskrock.paas.rock_inputs:
    plan: "{{ project.plan }}"
    base_image: ubuntu:24.04
    base_image_id: "{{ base_image_info.images[0].Id | default('') }}"
    builder: "{{ inventory_hostname }}"
    contents:
      Dockerfile: "{{ lookup('ansible.builtin.template', 'Dockerfile.j2') }}"
    statsd_exporter:
      src: /srv/airgap/statsd_exporter
  delegate_to: localhost
  register: inputs
"""

RETURN = r"""
digest:
  description: First 12 hex digits of the sha256 over every build input.
  returned: success
  type: str
  sample: 3c6f9992f5d9
tag:
  description: Image tag, C(<version>-<digest>).
  returned: success
  type: str
  sample: 0.1-3c6f9992f5d9
local_image:
  description: The image reference on the builder, C(<name>:<tag>).
  returned: success
  type: str
  sample: hello:0.1-3c6f9992f5d9
image:
  description: RV(local_image), prefixed with O(registry) when set.
  returned: success
  type: str
  sample: registry.example.com/web/hello:0.1-3c6f9992f5d9
requirement_files:
  description:
    - Project-relative files the build stage gets before installing the requirements.
    - The requirement files and the files below the local requirement paths.
  returned: success
  type: list
  elements: str
  sample: [requirements.txt]
project_files:
  description: Project-relative files copied for C(pip install .) (none unless the plan's C(install_project)).
  returned: success
  type: list
  elements: str
  sample: []
context_files:
  description:
    - Controller files for the build context (C(src), C(dest), C(mode)).
    - The CA certificates and a local statsd_exporter binary.
  returned: success
  type: list
  elements: dict
statsd_exporter:
  description:
    - Where statsd_exporter comes from. C(kind) is C(binary) (in RV(context_files)), C(archive) (the local
      archive C(src)) or C(download) (C(url), checked against C(checksum), a sha256 or a checksum file URL);
      C(archive) is the archive's file name.
  returned: success
  type: dict
  sample:
    kind: download
    src: ""
    url: https://github.com/prometheus/statsd_exporter/releases/download/v0.26.0/statsd_exporter-0.26.0.linux-amd64.tar.gz
    checksum: https://github.com/prometheus/statsd_exporter/releases/download/v0.26.0/sha256sums.txt
    archive: statsd_exporter-0.26.0.linux-amd64.tar.gz
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import (  # noqa: E402
    ProjectFileError,
    internal_error,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._rock_inputs import (  # noqa: E402
    InputsError,
    architecture,
    check_base_image,
    digest_inputs,
)


def main():
    module = _module()
    try:
        run(module)
    except Exception as error:
        internal_error(module, "rock_inputs", error)


def _module():
    return AnsibleModule(
        argument_spec=dict(
            plan=dict(type="dict", required=True),
            base_image=dict(type="str", required=True),
            base_image_id=dict(type="str", required=True),
            builder=dict(type="str", required=True),
            arch=dict(type="str", default="amd64"),
            contents=dict(type="dict", default={}),
            files=dict(type="dict", default={}),
            build_ca_certificates=dict(type="list", elements="path", default=[]),
            build_env=dict(type="dict", default={}, no_log=True),
            statsd_exporter=dict(
                type="dict",
                default={},
                options=dict(
                    src=dict(type="str", default=""),
                    version=dict(type="str", default=""),
                    url=dict(type="str", default=""),
                    checksums=dict(type="dict", default={}),
                    checksums_url=dict(type="str", default=""),
                ),
            ),
            registry=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )


def run(module):
    params = module.params
    plan = params["plan"]
    try:
        check_base_image(params["base_image"], params["base_image_id"], plan.get("base"), params["builder"])
        result = digest_inputs(
            plan,
            base_image_id=params["base_image_id"],
            contents=params["contents"],
            files=params["files"],
            build_ca_certificates=params["build_ca_certificates"],
            build_env=params["build_env"],
            statsd_exporter=params["statsd_exporter"],
            arch=architecture(params["arch"]),
            registry=params["registry"],
        )
    except (InputsError, ProjectFileError) as error:
        module.fail_json(msg=str(error))
    except OSError as error:
        module.fail_json(msg="cannot read %s: %s" % (error.filename, error.strerror or error))
    except (KeyError, TypeError) as error:
        module.fail_json(msg="plan is not a build plan of flaskrock.paas.flask_project: %s" % error)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
