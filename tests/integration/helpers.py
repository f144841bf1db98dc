"""Helpers shared by the integration tests: run ansible-playbook from the collection root."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def run_playbook(playbook, inventory, extra_vars=None, *args, tmp_path=None, timeout=1800):
    """Run ansible-playbook from the repo root (its ansible.cfg resolves flaskrock.paas.*).

    Returns the CompletedProcess with stdout and stderr merged into ``output``.
    """
    command = [str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), str(playbook), *args]
    if extra_vars:
        vars_file = Path(tmp_path or REPO_ROOT) / "extra-vars.json"
        vars_file.write_text(json.dumps(extra_vars))
        command += ["-e", f"@{vars_file}"]
    environment = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    result.output = result.stdout
    return result


def local_inventory(path, host="builder"):
    """Write an inventory with one host reached through the local connection."""
    path = Path(path)
    path.write_text(f"{host} ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    return path
