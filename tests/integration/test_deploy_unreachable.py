"""An unreachable host stops the deploy before anything changes when deploy_max_fail_percentage is
exceeded (Ansible's own max_fail_percentage counts failed hosts, not unreachable ones). No Docker:
the play stops before the Docker Engine role, the build and the release."""

import sys

from helpers import REPO_ROOT, run_playbook


def test_unreachable_host_beyond_max_fail_percentage_stops_the_deploy(tmp_path):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        f"reachable ansible_connection=local ansible_python_interpreter={sys.executable}\n"
        # Port 9 (discard) of this machine's loopback: nothing answers SSH there.
        "gone ansible_host=127.0.0.1 ansible_port=9 ansible_connection=ssh ansible_ssh_timeout=5\n"
    )
    result = run_playbook(
        "playbooks/deploy.yml",
        inventory=inventory,
        extra_vars={
            "ansible_python_interpreter": sys.executable,
            "project_dir": str(REPO_ROOT / "examples" / "hello"),
            "deploy_max_fail_percentage": 0,
        },
    )
    rc, output = result.returncode, result.output
    flat = " ".join(output.split())
    assert rc != 0, output[-3000:]
    assert "UNREACHABLE" in output
    expected = (
        "Unreachable: gone (1 of 2 hosts, more than deploy_max_fail_percentage 0 %). Nothing was deployed."
    )
    assert expected in flat
    assert "Install and start Docker Engine" not in output
    assert "Build the rock" not in output
