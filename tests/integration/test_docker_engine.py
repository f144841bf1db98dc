"""Role flaskrock.paas.docker_engine against real hosts: this machine and a fresh Ubuntu container.

This machine runs a Docker Engine the role did not install, on Debian: with default variables the
role must only check it, change nothing and publish what it found (playbooks/deploy.yml relies on
that). The full install path (systemd, nested dockerd) is the Molecule scenario docker_engine.
"""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import docker
import pytest
from helpers import run_playbook

MARKER = Path("/var/lib/flaskrock-paas/docker_engine.managed")
DAEMON_JSON = Path("/etc/docker/daemon.json")

PLAYBOOK = """
- name: Apply the docker_engine role
  hosts: all
  gather_facts: false
  roles:
    - role: flaskrock.paas.docker_engine
"""

pytestmark = pytest.mark.docker


def run_role(tmp_path, inventory, *args, env=None):
    """Run the role; return (return code, parsed ansible.posix.json output)."""
    playbook = tmp_path / "docker_engine.yml"
    playbook.write_text(PLAYBOOK)
    result = run_playbook(playbook, *args, inventory=inventory, json_output=True, env=env, timeout=900)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"ansible-playbook printed no JSON report:\n{result.stdout}\n{result.stderr}")
    return result.returncode, report


def task_results(report, task_name, host):
    return [
        task["hosts"][host]
        for play in report["plays"]
        for task in play["tasks"]
        if task["task"]["name"].rpartition(" : ")[2] == task_name and host in task["hosts"]
    ]


def failure_messages(report, host):
    return [
        result.get("msg", "")
        for play in report["plays"]
        for task in play["tasks"]
        for name, result in task["hosts"].items()
        if name == host and result.get("failed") and not result.get("skipped")
    ]


def host_state():
    """What the role must never touch on a host it does not manage."""
    return (
        MARKER.exists(),
        DAEMON_JSON.read_bytes() if DAEMON_JSON.exists() else None,
    )


@pytest.fixture(scope="module")
def local_inventory(tmp_path_factory):
    path = tmp_path_factory.mktemp("docker-engine-inventory") / "hosts"
    path.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    return str(path)


@pytest.fixture(scope="module")
def engine():
    client = docker.from_env()
    yield client
    client.close()


def host_has_buildx():
    probe = subprocess.run(["docker", "buildx", "version"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.parametrize("mode_args", [[], ["--check", "--diff"]], ids=["apply", "check"])
def test_default_only_checks_an_engine_it_did_not_install(tmp_path, local_inventory, engine, mode_args):
    before = host_state()
    rc, report = run_role(tmp_path, local_inventory, *mode_args)
    assert rc == 0, failure_messages(report, "localhost")
    assert report["stats"]["localhost"]["changed"] == 0
    assert host_state() == before
    (published,) = task_results(report, "Publish what the engine offers", "localhost")
    facts = published["ansible_facts"]
    assert facts["docker_engine_server_version"] == engine.version()["Version"]
    assert facts["docker_engine_buildx_available"] is host_has_buildx()
    assert facts["docker_engine_managed"] is False


def test_take_over_refuses_a_non_ubuntu_host_and_changes_nothing(tmp_path, local_inventory):
    distribution = dict(
        line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
    )
    if distribution.get("ID") == "ubuntu":
        pytest.skip("this test needs a non-Ubuntu host such as the Debian 12 CI machine")
    before = host_state()
    rc, report = run_role(tmp_path, local_inventory, "-e", "docker_engine_manage=always")
    assert rc != 0
    (message,) = failure_messages(report, "localhost")
    assert "this host runs Debian" in message
    assert "only on Ubuntu 22.04 and 24.04" in message
    assert "docker_engine_manage" in message
    assert host_state() == before


def test_an_engine_that_does_not_answer_is_reported_not_touched(tmp_path, local_inventory):
    before = host_state()
    rc, report = run_role(
        tmp_path,
        local_inventory,
        env={"DOCKER_HOST": f"unix:///tmp/docker-engine-test-{uuid.uuid4().hex[:8]}.sock"},
    )
    assert rc != 0
    (message,) = failure_messages(report, "localhost")
    assert "is installed here" in message
    assert "does not answer" in message
    assert "docker_engine_manage: always" in message
    assert host_state() == before


def test_missing_buildx_fails_only_when_required(tmp_path, local_inventory):
    if host_has_buildx():
        pytest.skip("this host has buildx; the test needs the CI machine's engine without it")
    rc, report = run_role(tmp_path, local_inventory, "-e", '{"docker_engine_require_buildx": true}')
    assert rc != 0
    (message,) = failure_messages(report, "localhost")
    assert "docker buildx version" in message
    assert "docker_engine_require_buildx" in message


@pytest.mark.parametrize(
    ("extra_vars", "expected"),
    [
        ({"docker_engine_manage": "sometimes"}, "docker_engine_manage must be one of: auto, always, never"),
        ({"docker_engine_source": "snap"}, "docker_engine_source must be one of: ubuntu, docker"),
        ({"docker_engine_daemon_log_max_file": "many"}, "docker_engine_daemon_log_max_file"),
    ],
)
def test_bad_variables_are_refused_before_anything_runs(tmp_path, local_inventory, extra_vars, expected):
    before = host_state()
    rc, report = run_role(tmp_path, local_inventory, "-e", json.dumps(extra_vars))
    assert rc != 0
    (validation,) = [
        result
        for play in report["plays"]
        for task in play["tasks"]
        for result in task["hosts"].values()
        if result.get("failed")
    ]
    assert any(expected in error for error in validation["argument_errors"])
    assert host_state() == before


@pytest.fixture(scope="module")
def fresh_ubuntu(engine):
    """A plain Ubuntu 24.04 container without Docker, reached with the docker connection."""
    try:
        engine.images.get("flaskrock/molecule-ubuntu:24.04")
    except docker.errors.ImageNotFound:
        pytest.skip("flaskrock/molecule-ubuntu:24.04 missing: run scripts/ubuntu-images.sh")
    container = engine.containers.run(
        "flaskrock/molecule-ubuntu:24.04",
        ["sleep", "infinity"],
        name=f"docker-engine-pytest-{uuid.uuid4().hex[:8]}",
        detach=True,
    )
    yield container
    container.remove(force=True)


@pytest.fixture()
def fresh_ubuntu_inventory(tmp_path, fresh_ubuntu):
    path = tmp_path / "hosts"
    path.write_text(
        f"{fresh_ubuntu.name} ansible_connection=community.docker.docker "
        "ansible_python_interpreter=/usr/bin/python3\n"
    )
    return str(path)


def installed_packages(container):
    output = container.exec_run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\\n"]).output
    return {line.split()[0] for line in output.decode().splitlines() if line.endswith(" installed")}


def test_never_refuses_a_host_without_an_engine(tmp_path, fresh_ubuntu, fresh_ubuntu_inventory):
    rc, report = run_role(tmp_path, fresh_ubuntu_inventory, "-e", "docker_engine_manage=never")
    assert rc != 0
    (message,) = failure_messages(report, fresh_ubuntu.name)
    assert "no Docker Engine is installed here" in message
    assert "docker_engine_manage: auto" in message


def test_check_mode_on_a_fresh_ubuntu_reports_the_install_and_installs_nothing(
    tmp_path, fresh_ubuntu, fresh_ubuntu_inventory
):
    packages_before = installed_packages(fresh_ubuntu)
    rc, report = run_role(tmp_path, fresh_ubuntu_inventory, "--check", "--diff")
    assert rc == 0, failure_messages(report, fresh_ubuntu.name)
    install_task = "Install Docker Engine, buildx and the Python Docker SDK"
    (install,) = task_results(report, install_task, fresh_ubuntu.name)
    assert install["changed"] is True
    assert report["stats"][fresh_ubuntu.name]["changed"] > 0
    assert installed_packages(fresh_ubuntu) == packages_before
    assert "docker.io" not in installed_packages(fresh_ubuntu)
    for path in (str(MARKER), str(DAEMON_JSON)):
        assert fresh_ubuntu.exec_run(["test", "-e", path]).exit_code != 0, f"{path} was written in check mode"
