"""The flaskrock.paas.rock role run for real against the local Docker engine.

The happy path (build, run, metrics, distribution, idempotence) is the Molecule scenario
molecule/rock; these tests check that each bad input stops the role with a clear message, and
that a project installing a local package in editable mode (-e ./lib) and written for the rock's
Python 3.12 runs.
"""

import hashlib
import subprocess
import tarfile
import textwrap
from pathlib import Path

import pytest
from helpers import REPO_ROOT, ROCK_PLAYBOOK, image_tags, local_inventory, run_playbook

pytestmark = pytest.mark.docker

CA_CERTIFICATES = sorted(str(path) for path in Path("/usr/local/share/ca-certificates").glob("*.crt"))


@pytest.fixture(scope="session")
def statsd_standin(tmp_path_factory):
    output = tmp_path_factory.mktemp("standin") / "statsd_exporter"
    subprocess.run(
        ["python3", str(REPO_ROOT / "tests/standins/statsd_exporter/build.py"), str(output)],
        check=True,
        capture_output=True,
    )
    return output


@pytest.fixture
def role_run(tmp_path, docker_available):
    playbook = tmp_path / "play.yml"
    playbook.write_text(ROCK_PLAYBOOK)
    inventory = local_inventory(tmp_path / "inventory.ini")
    build_dir = tmp_path / "build"

    def run(project_dir, **extra_vars):
        variables = {
            "rock_project_dir": str(project_dir),
            "rock_build_dir": str(build_dir),
            "rock_transfer_dir": str(tmp_path / "transfer"),
            "rock_build_ca_certificates": CA_CERTIFICATES,
            **extra_vars,
        }
        return run_playbook(playbook, inventory=inventory, extra_vars=variables, vars_dir=tmp_path)

    run.build_dir = build_dir
    return run




def write_project(
    directory, requirements="flask\n", app="from flask import Flask\n\napp = Flask(__name__)\n"
):
    directory.mkdir(parents=True, exist_ok=True)
    if requirements is not None:
        (directory / "requirements.txt").write_text(requirements)
    if app is not None:
        (directory / "app.py").write_text(app)
    return directory


def test_invalid_project_fails_before_any_host_is_touched(role_run, tmp_path):
    project = write_project(tmp_path / "rocktest-invalid", requirements=None, app=None)

    result = role_run(project)

    assert result.returncode != 0
    assert "missing a requirements file" in result.output
    assert "Missing WSGI entrypoint" in result.output
    assert "Ask the builder's Docker Engine" not in result.output
    assert not role_run.build_dir.exists()
    assert image_tags("rocktest-invalid") == []


def test_missing_base_image_says_how_to_get_it(role_run, tmp_path):
    project = write_project(tmp_path / "rocktest-nobase")

    result = role_run(project, rock_base_images={"ubuntu@24.04": "rocktest-no-such-base:24.04"})

    assert result.returncode != 0
    assert "Base image rocktest-no-such-base:24.04" in result.output
    assert "scripts/ubuntu-images.sh" in result.output
    assert "docker pull rocktest-no-such-base:24.04" in result.output
    assert image_tags("rocktest-nobase") == []


VALIDATED_PLAYBOOK = textwrap.dedent(
    """\
    - name: Validate the project once, as playbooks/deploy.yml does
      hosts: localhost
      gather_facts: false
      tasks:
        - name: Validate
          flaskrock.paas.flask_project:
            src: "{{ rocktest_project }}"
            name: rocktest-validated
          register: rocktest_validated

    - name: Build a rock from that result
      hosts: all
      gather_facts: false
      roles:
        - role: flaskrock.paas.rock
          vars:
            rock_project: "{{ hostvars['localhost']['rocktest_validated'] }}"
    """
)


def test_a_project_validated_by_the_play_is_not_validated_again(role_run, tmp_path):
    """rock_project: the plan comes from the play's flask_project result (rock_project_dir unset),
    its images from rock_base_images (here a missing one, so nothing is built)."""
    project = write_project(tmp_path / "rocktest-validated")
    (tmp_path / "play.yml").write_text(VALIDATED_PLAYBOOK)

    result = role_run(
        "",
        rocktest_project=str(project),
        rock_base_images={"ubuntu@24.04": "rocktest-no-such-base:24.04"},
    )

    assert result.returncode != 0
    validation = result.output.split("Read the Flask project like Rockcraft's flask-framework", 1)[1]
    assert validation.split("\n", 1)[1].lstrip().startswith("skipping: [builder]")
    assert "Base image rocktest-no-such-base:24.04 (for base ubuntu@24.04)" in " ".join(result.output.split())
    assert image_tags("rocktest-validated") == []


def test_rock_project_must_be_a_flask_project_result(role_run, tmp_path):
    result = role_run("", rock_project={"name": "hello"})

    assert result.returncode != 0
    assert "rock_project must be the registered result of flaskrock.paas.flask_project" in " ".join(
        result.output.split()
    )
    assert "Ask the builder's Docker Engine" not in result.output


def release_archive(directory, binary=b"#!/bin/sh\n", arch="amd64"):
    """A statsd_exporter release archive laid out like the real one, and its sha256."""
    name = f"statsd_exporter-0.26.0.linux-{arch}"
    archive = directory / f"{name}.tar.gz"
    path = directory / "statsd_exporter.bin"
    path.write_bytes(binary)
    path.chmod(0o755)
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(path, arcname=f"{name}/statsd_exporter")
    return archive, hashlib.sha256(archive.read_bytes()).hexdigest()


def sums_file(directory, lines):
    path = directory / "sha256sums.txt"
    path.write_text("".join(f"{digest}  {name}\n" for name, digest in lines))
    return path


def test_download_without_any_checksum_is_refused(role_run, tmp_path):
    project = write_project(tmp_path / "rocktest-nosum")

    result = role_run(project, rock_statsd_exporter_checksums_url="")

    assert result.returncode != 0
    assert "rock_statsd_exporter_checksums.amd64 and rock_statsd_exporter_checksums_url are both empty" in (
        " ".join(result.output.split())
    )
    assert image_tags("rocktest-nosum") == []


@pytest.mark.parametrize("where", ["pinned", "release sums file"])
def test_statsd_exporter_checksum_mismatch_stops_before_building(role_run, tmp_path, where):
    project = write_project(tmp_path / "rocktest-badsum")
    archive, _ = release_archive(tmp_path)
    checksums = {
        "rock_statsd_exporter_checksums": {"amd64": "0" * 64, "arm64": ""},
        "rock_statsd_exporter_checksums_url": "",
    }
    if where != "pinned":
        other = "statsd_exporter-0.26.0.linux-arm64.tar.gz"
        sums = sums_file(tmp_path, [(other, "1" * 64), (archive.name, "0" * 64)])
        checksums = {"rock_statsd_exporter_checksums_url": sums.as_uri()}

    result = role_run(project, rock_statsd_exporter_url=archive.as_uri(), **checksums)

    assert result.returncode != 0
    assert "Checksum mismatch for statsd_exporter" in result.output
    assert "Nothing was built" in result.output
    assert image_tags("rocktest-badsum") == []


def test_failing_build_step_shows_its_output(role_run, tmp_path, statsd_standin):
    project = write_project(
        tmp_path / "rocktest-badreq", requirements="flask\nflaskrock-no-such-package-for-tests==0.0.1\n"
    )
    # Downloaded and checked against the release's sums file (no pinned sha256): the role gets as
    # far as the build, which proves the archive passed the check.
    archive, digest = release_archive(tmp_path, statsd_standin.read_bytes())
    sums = sums_file(
        tmp_path, [("statsd_exporter-0.26.0.linux-arm64.tar.gz", "1" * 64), (archive.name, digest)]
    )

    result = role_run(
        project,
        rock_base="ubuntu@24.04",
        rock_statsd_exporter_url=archive.as_uri().replace("amd64", "{arch}"),
        rock_statsd_exporter_checksums_url=sums.as_uri(),
    )

    assert result.returncode != 0
    # The role's own message (after the module's raw error that Ansible prints for the rescued task).
    message = result.output[result.output.index("Building rocktest-badreq:0.1-") :]
    failing_step = message[message.index("Failing step and its output:") :]
    step_lines = failing_step.splitlines()[1:]
    assert step_lines[0].strip().startswith("Step ")
    assert "pip install" in step_lines[0]
    assert "No matching distribution found for flaskrock-no-such-package-for-tests==0.0.1" in failing_step
    # Readable: earlier steps, escape sequences and list syntax are gone.
    assert "FROM ubuntu:24.04" not in failing_step
    assert "\\x1b" not in failing_step and "\x1b" not in failing_step
    assert "', '" not in failing_step
    assert image_tags("rocktest-badreq") == []
    subprocess.run(
        ["docker", "image", "rm", *image_tags("rocktest-badreq-build-stage")],
        capture_output=True,
        check=False,
    )
