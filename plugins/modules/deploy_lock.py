#!/usr/bin/python
# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take or release a per-app deploy lock file on a host
version_added: 0.2.0
description:
  - O(state=present) creates the lock file O(path) (JSON with O(holder), the time, O(version) and O(run_id))
    atomically; its directory is created with mode C(0700).
  - When someone else holds the lock (another O(run_id)), nothing changes and RV(acquired) is false;
    RV(lock) tells who holds it, so the caller can fail with its own message.
  - O(state=absent) removes the lock only when this O(run_id) holds it.
  - With O(wait), a lock another run holds is waited for (polled every half second), O(wait) seconds at most.
  - Used by the C(flaskrock.paas.deploy) role so two deploys of one app never run on a host at once, and by
    the C(flaskrock.paas.proxy) role (with O(wait)) so deploys of different apps change the host's proxy one
    at a time.
author:
  - flaskrock.paas developers (@flaskrock)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed when in diff mode.
    support: none
options:
  path:
    description: The lock file.
    type: path
    required: true
  run_id:
    description: Identifies the run holding (or releasing) the lock.
    type: str
    required: true
  state:
    description: C(present) takes the lock, C(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  holder:
    description: Who takes the lock (user, controller, AWX job), recorded in the file.
    type: str
    default: ''
  version:
    description: What is being deployed, recorded in the file.
    type: str
    default: ''
  force:
    description: Remove a lock held by another run first (a stale lock left by an interrupted run).
    type: bool
    default: false
  wait:
    description: Seconds to wait for a lock another run holds (O(state=present)); V(0) returns at once.
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: Take the deploy lock
  flaskrock.paas.deploy_lock:
    path: /var/lib/flaskrock/hello/deploy.lock
    run_id: "20260101T000000Z-abcd1234"
    holder: deployer@controller
    version: hello:0.1-0123456789ab
  register: deploy_lock
  failed_when: not deploy_lock.acquired

- name: Take the host's proxy lock, waiting up to 10 minutes for another deploy's
  flaskrock.paas.deploy_lock:
    path: /var/lib/flaskrock/proxy/apply.lock
    run_id: "20260101T000000Z-abcd1234"
    holder: hello (deployer@controller)
    wait: 600
  register: proxy_lock
"""

RETURN = r"""
acquired:
  description: Whether this run holds the lock (O(state=present)).
  returned: success
  type: bool
waited:
  description: Seconds spent waiting for another run's lock (O(state=present)).
  returned: success
  type: float
lock:
  description: Content of the lock file (C(holder), C(since), C(version), C(run_id)); the other run's when
    RV(acquired) is false.
  returned: success
  type: dict
"""

import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

UNKNOWN_HOLDER = {"holder": "?", "since": "?", "version": "?", "run_id": ""}


def read_lock(path):
    try:
        with open(path, encoding="utf-8") as handle:
            lock = json.loads(handle.read())
    except FileNotFoundError:
        return None
    except ValueError:
        return dict(UNKNOWN_HOLDER)
    return lock if isinstance(lock, dict) else dict(UNKNOWN_HOLDER)


def take(path, run_id, holder, version, *, force=False, check_mode=False):
    """(changed, acquired, lock)."""
    lock = read_lock(path)
    if lock is not None and lock.get("run_id") == run_id:
        return False, True, lock
    if lock is not None and not force:
        return False, False, lock
    new = {
        "holder": holder,
        "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "version": version,
        "run_id": run_id,
    }
    if check_mode:
        return True, True, new
    if lock is not None:
        os.unlink(path)
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another run took it between our read and our write
        return False, False, read_lock(path) or dict(UNKNOWN_HOLDER)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(new, indent=4, sort_keys=True) + "\n")
    return True, True, new


def take_waiting(path, run_id, holder, version, *, wait=0, force=False, check_mode=False, poll=0.5,
                 clock=time.monotonic, sleep=time.sleep):
    """(changed, acquired, lock, waited seconds): ``take`` again every ``poll`` seconds while another run
    holds the lock, for at most ``wait`` seconds (once when ``wait`` is 0)."""
    start = clock()
    while True:
        changed, acquired, lock = take(path, run_id, holder, version, force=force, check_mode=check_mode)
        waited = round(clock() - start, 1)
        if acquired or waited >= wait:
            return changed, acquired, lock, waited
        sleep(min(poll, max(wait - waited, 0)))


def release(path, run_id, check_mode=False):
    """(changed, lock): removes the lock only when run_id holds it."""
    lock = read_lock(path)
    if lock is None or lock.get("run_id") != run_id:
        return False, lock
    if not check_mode:
        os.unlink(path)
    return True, None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            run_id=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            holder=dict(type="str", default=""),
            version=dict(type="str", default=""),
            force=dict(type="bool", default=False),
            wait=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        if params["state"] == "present":
            changed, acquired, lock, waited = take_waiting(
                params["path"],
                params["run_id"],
                params["holder"],
                params["version"],
                wait=params["wait"],
                force=params["force"],
                check_mode=module.check_mode,
            )
            module.exit_json(changed=changed, acquired=acquired, lock=lock, waited=waited)
        changed, lock = release(params["path"], params["run_id"], module.check_mode)
        module.exit_json(changed=changed, lock=lock)
    except OSError as exc:
        module.fail_json(msg=f"handling the deploy lock {params['path']} failed: {exc}")


if __name__ == "__main__":
    main()
