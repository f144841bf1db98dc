"""Distribution without a registry (export on the builder -> fetch -> copy -> load), for real.

The Molecule scenario's two hosts share the machine's Docker engine, so there the image is
already "on" the second host and the transfer is skipped. Here the receiving host talks to a
second Docker engine started for the test (its own data root, vfs storage, no networking),
so it really lacks the image until the role exports, fetches, copies and loads it. Both
inventory hosts use the local connection, each with its own transfer directory, and the
controller has a third one: the archive really moves from directory to directory.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import REPO_ROOT, run_playbook

pytestmark = pytest.mark.docker

MAIN_ENGINE = "unix:///var/run/docker.sock"
CA_DIRECTORY = Path("/usr/local/share/ca-certificates")
PLAYBOOK = textwrap.dedent(
    """\
    - name: Build a rock on the builder and get it onto the receiver
      hosts: all
      gather_facts: false
      environment:
        DOCKER_HOST: "{{ rocktest_docker_host }}"
      roles:
        - role: flaskrock.paas.rock
      post_tasks:
        - name: Record the image reference each host got
          ansible.builtin.copy:
            content: "{{ rock_image }}"
            dest: "{{ rocktest_report_dir }}/{{ inventory_hostname }}.image"
            mode: "0644"
    """
)


def docker(engine, *args, check=True):
    return subprocess.run(
        ["docker", *args],
        env=dict(os.environ, DOCKER_HOST=engine),
        capture_output=True,
        text=True,
        check=check,
    )


@pytest.fixture(scope="module")
def second_engine(tmp_path_factory, docker_available):
    """A second, throw-away Docker engine on this machine (socket, data and exec root of its own)."""
    dockerd, unshare = shutil.which("dockerd"), shutil.which("unshare")
    if dockerd is None or unshare is None:
        pytest.skip("dockerd or unshare not available: cannot start a second engine for the receiving host")
    root = tmp_path_factory.mktemp("rocktest-engine")
    (root / "daemon.json").write_text("{}")  # ignore /etc/docker/daemon.json (data-root, storage driver)
    engine = f"unix://{root}/docker.sock"
    log = open(root / "dockerd.log", "w")  # noqa: SIM115 - closed at teardown
    # Its own network namespace: a dockerd started with --bridge none deletes the docker0
    # interface of its namespace, which must not be the one the machine's engine uses.
    process = subprocess.Popen(
        [
            unshare,
            "--net",
            dockerd,
            "--config-file", str(root / "daemon.json"),
            "--data-root", str(root / "data"),
            "--exec-root", str(root / "exec"),
            "--pidfile", str(root / "dockerd.pid"),
            "--host", engine,
            "--storage-driver", "vfs",
            "--bridge", "none",
            "--iptables=false",
            "--ip-masq=false",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(60):
            if process.poll() is not None:
                pytest.fail(f"the second dockerd exited: {(root / 'dockerd.log').read_text()[-2000:]}")
            if docker(engine, "info", check=False).returncode == 0:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"the second dockerd did not answer: {(root / 'dockerd.log').read_text()[-2000:]}")
        yield engine
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(root / "data", ignore_errors=True)


@pytest.fixture(scope="module")
def statsd_standin(tmp_path_factory):
    output = tmp_path_factory.mktemp("standin") / "statsd_exporter"
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "tests/standins/statsd_exporter/build.py"), str(output)],
        check=True,
        capture_output=True,
    )
    return output


def test_image_is_exported_fetched_copied_and_loaded_on_a_host_without_it(
    tmp_path, second_engine, statsd_standin
):
    project = tmp_path / "rocktest-transfer"
    project.mkdir()
    (project / "requirements.txt").write_text("flask\n")
    (project / "app.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    transfer_dirs = {name: tmp_path / f"transfer-{name}" for name in ("builder", "receiver", "controller")}
    reports = tmp_path / "reports"
    reports.mkdir()
    inventory = tmp_path / "inventory.json"
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {
                        "builder": {
                            **host,
                            "rocktest_docker_host": MAIN_ENGINE,
                            "rock_transfer_dir": str(transfer_dirs["builder"]),
                        },
                        "receiver": {
                            **host,
                            "rocktest_docker_host": second_engine,
                            "rock_transfer_dir": str(transfer_dirs["receiver"]),
                        },
                    }
                }
            }
        )
    )
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    variables = {
        "rock_project_dir": str(project),
        "rock_base": "ubuntu@24.04",
        "rock_builder_host": "builder",
        "rock_build_dir": str(tmp_path / "build"),
        "rock_transfer_controller_dir": str(transfer_dirs["controller"]),
        "rock_statsd_exporter_src": str(statsd_standin),
        "rock_build_ca_certificates": sorted(str(path) for path in CA_DIRECTORY.glob("*.crt")),
        "rocktest_report_dir": str(reports),
    }
    built = []
    try:
        first = run_playbook(playbook, inventory=inventory, extra_vars=variables, vars_dir=tmp_path)
        image = (reports / "builder.image").read_text() if (reports / "builder.image").exists() else None
        if image:
            built.append(image)
        assert first.returncode == 0, first.output[-6000:]
        assert (reports / "receiver.image").read_text() == image
        assert docker(MAIN_ENGINE, "image", "inspect", image, check=False).returncode == 0
        assert docker(second_engine, "image", "inspect", "ubuntu:24.04", check=False).returncode != 0

        # The receiver's engine holds the very same image (same id, same labels).
        on_builder = json.loads(docker(MAIN_ENGINE, "image", "inspect", image).stdout)[0]
        on_receiver = json.loads(docker(second_engine, "image", "inspect", image).stdout)[0]
        assert on_receiver["Id"] == on_builder["Id"]
        assert on_receiver["Config"]["Labels"]["org.opencontainers.image.revision"] == image.rsplit("-", 1)[1]
        load_task = first.output.split("Load the image on the receiving hosts", 1)[1]
        assert "changed: [receiver]" in load_task[:400]
        # Every archive was removed from the builder, the controller and the receiver.
        for directory in transfer_dirs.values():
            assert directory.is_dir(), f"{directory} was never used"
            assert list(directory.iterdir()) == []

        second = run_playbook(playbook, inventory=inventory, extra_vars=variables, vars_dir=tmp_path)
        assert second.returncode == 0, second.output[-6000:]
        assert "Export the image" not in second.output
        recap = second.output[second.output.index("PLAY RECAP") :]
        # Only the reports are rewritten (same content: unchanged); nothing is built or moved.
        assert recap.count("changed=0") == 2, recap

        docker(second_engine, "image", "rm", image)
        checked = run_playbook(
            playbook, "--check", inventory=inventory, extra_vars=variables, vars_dir=tmp_path
        )
        assert checked.returncode == 0, checked.output[-6000:]
        assert f"{image} would be copied from builder to receiver" in checked.output
        assert docker(second_engine, "image", "inspect", image, check=False).returncode != 0
    finally:
        for reference in built:
            build_stage = reference.replace(":", "-build-stage:", 1)
            docker(MAIN_ENGINE, "image", "rm", reference, build_stage, check=False)
