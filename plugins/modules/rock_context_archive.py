#!/usr/bin/python
# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rock_context_archive
short_description: Write a Docker build context as one reproducible tar archive
version_added: 0.1.0
description:
  - Puts files from the machine the module runs on and inline texts (rendered templates) into one
    uncompressed tar archive, the build context of a rock.
  - The archive is reproducible, members sorted, times zero, owned by root, so the same members give
    the same bytes and a rerun with nothing changed reports C(changed=false).
  - Used by the C(flaskrock.paas.rock) role on the controller; C(ansible.builtin.unarchive) then
    carries the whole context to the builder host in one transfer instead of one per file.
author:
  - flaskrock.paas developers (@flaskrock)
attributes:
  check_mode:
    description: Reports whether the archive would change and writes nothing.
    support: full
  diff_mode:
    description: The archive is binary; there is no diff.
    support: none
options:
  path:
    description: Archive to write (mode C(0600)). Its directory must exist.
    type: path
    required: true
  trees:
    description:
      - Files to copy from a directory into a directory of the archive, keeping their relative paths.
      - O(trees[].dest) is in the archive even when O(trees[].paths) is empty, so a C(COPY dest/) in a
        Dockerfile always finds it.
    type: list
    elements: dict
    default: []
    suboptions:
      src:
        description: Directory the paths are relative to.
        type: path
        required: true
      dest:
        description: Relative directory of the archive that receives them.
        type: str
        required: true
      paths:
        description:
          - Normalised relative paths of the files; each keeps its permissions.
          - Each is checked again when read. A path under a parent directory that is a symlink, a
            symlink resolving outside O(trees[].src), a FIFO, device or socket fails the task. A
            symlink to a directory inside O(trees[].src) becomes a relative symlink member (as
            Rockcraft copies links); a symlink to a file inside, the file's content. Hard links are
            copied as ordinary files.
        type: list
        elements: str
        required: true
  files:
    description: Single files to copy into the archive.
    type: list
    elements: dict
    default: []
    suboptions:
      src:
        description: File to read. Symbolic links are followed.
        type: path
        required: true
      dest:
        description: Relative path of the member in the archive.
        type: str
        required: true
      mode:
        description: Octal permissions of the member; default the permissions of O(files[].src).
        type: str
  contents:
    description:
      - Texts to write into the archive as files (UTF-8), such as rendered templates.
      - They may hold build secrets (proxy credentials), so their values are masked in every output
        of the task.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Relative path of the member in the archive.
        type: str
        required: true
      content:
        description: Text of the member.
        type: str
        required: true
      mode:
        description: Octal permissions of the member.
        type: str
        default: "0644"
"""

EXAMPLES = r"""
- name: Write the build context on the controller
  flaskrock.paas.rock_context_archive:
    path: /tmp/hello-context.tar
    trees:
      - src: "{{ project_dir }}"
        dest: app
        paths: [app.py, templates/index.html]
    contents:
      - dest: Dockerfile
        content: "{{ lookup('ansible.builtin.template', 'Dockerfile.j2') }}"
  delegate_to: localhost

- name: Unpack it on the builder
  ansible.builtin.unarchive:
    src: /tmp/hello-context.tar
    dest: /var/lib/flaskrock/build/hello
"""

RETURN = r"""
path:
  description: The archive written.
  returned: success
  type: str
sha256:
  description: SHA-256 of the archive.
  returned: success
  type: str
members:
  description: Number of files in the archive (directories not counted).
  returned: success
  type: int
  sample: 12
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import internal_error  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils._rock_context import (  # noqa: E402
    ContextError,
    archive_bytes,
    collect_members,
    write_if_changed,
)


def _list_of_entries(options, **extra):
    return dict(type="list", elements="dict", default=[], options=options, **extra)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            trees=_list_of_entries(
                dict(
                    src=dict(type="path", required=True),
                    dest=dict(type="str", required=True),
                    paths=dict(type="list", elements="str", required=True),
                )
            ),
            files=_list_of_entries(
                dict(
                    src=dict(type="path", required=True),
                    dest=dict(type="str", required=True),
                    mode=dict(type="str"),
                )
            ),
            contents=_list_of_entries(
                dict(
                    dest=dict(type="str", required=True),
                    content=dict(type="str", required=True),
                    mode=dict(type="str", default="0644"),
                ),
                no_log=True,
            ),
        ),
        supports_check_mode=True,
    )
    try:
        run(module)
    except Exception as error:
        internal_error(module, "rock_context_archive", error)


def run(module):
    path = module.params["path"]
    try:
        members, directories = collect_members(
            module.params["trees"],
            module.params["files"],
            module.params["contents"],
        )
        data = archive_bytes(members, directories)
        changed, digest = write_if_changed(path, data, write=not module.check_mode)
    except ContextError as error:
        module.fail_json(msg=f"cannot write the build context {path}: {error}")
    except OSError as error:
        module.fail_json(msg=f"cannot write the build context {path}: {error.strerror or error}")
    module.exit_json(changed=changed, path=path, sha256=digest, members=len(members))


if __name__ == "__main__":
    main()
