#!/usr/bin/python
# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_secret
short_description: Keep an app's generated secret key in a root-only file and return it
version_added: 0.2.0
description:
  - Returns the key stored in O(path); when there is none yet, generates one like C(secrets.token_urlsafe(64))
    (86 URL-safe characters) and stores it with mode C(0600), its directory with mode C(0700).
  - Used by the C(flaskrock.paas.deploy) role on one host of the play, so every host and every later deploy
    (also from AWX, whose controller is ephemeral) gets the same C(FLASK_SECRET_KEY).
  - The key is returned in RV(secret_key), so give the task C(no_log).
author:
  - flaskrock.paas developers (@flaskrock)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: In check mode a missing key is not generated; RV(secret_key) is then a placeholder.
  diff_mode:
    description: Will return details on what has changed when in diff mode.
    support: none
options:
  path:
    description: File holding the key.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Get the app's secret key
  flaskrock.paas.deploy_secret:
    path: /var/lib/flaskrock/hello/secret_key
  register: deploy_secret
  no_log: true
"""

RETURN = r"""
secret_key:
  description: The key (a placeholder in check mode when none was generated yet).
  returned: success
  type: str
"""

import os  # noqa: E402
import secrets  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

CHECK_MODE_PLACEHOLDER = "not-generated-yet-in-check-mode"


def read_or_create(path, check_mode=False):
    """(changed, key): the stored key, or a new one written with O_EXCL (two runs never both write)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return False, handle.read()
    except FileNotFoundError:
        pass
    if check_mode:
        return True, CHECK_MODE_PLACEHOLDER
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    key = secrets.token_urlsafe(64)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # written meanwhile by another run: use that one
        return read_or_create(path)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return True, key


def main():
    module = AnsibleModule(
        argument_spec=dict(path=dict(type="path", required=True)),
        supports_check_mode=True,
    )
    try:
        changed, key = read_or_create(module.params["path"], module.check_mode)
    except OSError as exc:
        module.fail_json(msg=f"keeping the secret key in {module.params['path']} failed: {exc}")
    if not key:
        module.fail_json(msg=f"{module.params['path']} is empty: delete it to generate a new secret key")
    module.exit_json(changed=changed, secret_key=key)


if __name__ == "__main__":
    main()
