"""The execution environment: `ansible-builder create` on execution-environment.yml gives a
complete build context, and the image built from it (offline, classic Docker builder)
carries ansible-core, ansible-runner, flaskrock.paas and community.docker.

The build inputs (collection artifacts and a wheelhouse) are prepared under .cache/ee/
exactly as docs/awx.md tells users to.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import ansible
import ansible_runner
import docker
import pytest
import requests
import yaml
from helpers import remove_app
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

# Helpers shared with the host-side runner test (same AWX-style job, different executor).
from test_awx_runner import (
    DB_PASSWORD,
    SECRET_KEY,
    all_job_output,
    awx_extravars,
    host_ca_files,
    make_private_data_dir,
    statsd_exporter_standin,
)

ROOT = Path(__file__).resolve().parents[2]
EE_FILE = ROOT / "execution-environment.yml"
INPUTS = ROOT / ".cache" / "ee"
# Collections of the pinned `ansible` bundle (Galaxy is unreachable here).
BUNDLED_COLLECTIONS = Path(ansible.__file__).resolve().parents[1] / "ansible_collections"
EE_TAG = "flaskrock-awx-test-ee:latest"
# ansible-builder installs these itself during the build: bindep & co. in its builder
# stage, dumb-init as the default container init of v3 definitions.
BUILDER_OWN_REQUIREMENTS = ["bindep", "PyYAML", "packaging", "dumb-init==1.2.5"]

pytestmark = pytest.mark.docker


def _definition() -> dict:
    return yaml.safe_load(EE_FILE.read_text(encoding="utf-8"))


def _galaxy_version() -> str:
    return yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]


def _bundled_collection_dirs(definition: dict) -> list[tuple[str, Path]]:
    """(requirement name, installed collection dir) of every `type: dir` collection."""
    pairs = []
    for entry in definition["dependencies"]["galaxy"]["collections"]:
        if entry.get("type") == "dir":
            namespace, name = Path(entry["name"]).name.split(".")
            pairs.append((entry["name"], BUNDLED_COLLECTIONS / namespace / name))
    return pairs


def _wheelhouse_requirements(definition: dict) -> list[str]:
    deps = definition["dependencies"]
    requirements = [deps["ansible_core"]["package_pip"], deps["ansible_runner"]["package_pip"]]
    requirements += deps["python"]
    for _, collection_dir in _bundled_collection_dirs(definition):
        ee_meta = collection_dir / "meta" / "execution-environment.yml"
        if ee_meta.is_file():
            python_file = yaml.safe_load(ee_meta.read_text())["dependencies"].get("python")
            if python_file:
                lines = (collection_dir / python_file).read_text().splitlines()
                requirements += [ln.split("#")[0].strip() for ln in lines if ln.split("#")[0].strip()]
    return requirements + BUILDER_OWN_REQUIREMENTS


def _run(*cmd: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def ee_inputs() -> Path:
    """The docs/awx.md preparation: collection artifacts and a wheelhouse for the EE's Python."""
    definition = _definition()
    collections = INPUTS / "collections"
    wheelhouse = INPUTS / "wheelhouse"
    shutil.rmtree(collections, ignore_errors=True)
    collections.mkdir(parents=True)
    wheelhouse.mkdir(parents=True, exist_ok=True)

    built = _run("ansible-galaxy", "collection", "build", "--force", "--output-path", str(collections))
    assert built.returncode == 0, built.stdout + built.stderr
    for requirement_name, collection_dir in _bundled_collection_dirs(definition):
        shutil.copytree(
            collection_dir, INPUTS / requirement_name, ignore=shutil.ignore_patterns("__pycache__")
        )
    downloaded = _run(
        sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(wheelhouse),
        "--only-binary=:all:", "--implementation", "cp", "--python-version", "3.12",
        "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64",
        *_wheelhouse_requirements(definition),
    )  # fmt: skip
    assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr
    return INPUTS


@pytest.fixture(scope="session")
def ee_context(ee_inputs: Path, tmp_path_factory) -> Path:
    context = tmp_path_factory.mktemp("ee") / "context"
    created = _run(
        "ansible-builder", "create", "--file", str(EE_FILE), "--context", str(context),
        "--output-filename", "Dockerfile",
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    return context


def test_definition_names_this_collection_version():
    names = [c["name"] for c in _definition()["dependencies"]["galaxy"]["collections"]]
    assert f"collections/flaskrock-paas-{_galaxy_version()}.tar.gz" in names
    assert _definition()["options"]["tags"] == [f"flaskrock/paas-ee:{_galaxy_version()}"]


def test_create_gives_a_complete_offline_context(ee_context: Path):
    build = ee_context / "_build"
    dockerfile = (ee_context / "Dockerfile").read_text()
    assert "FROM $EE_BASE_IMAGE AS base" in dockerfile
    assert 'ARG EE_BASE_IMAGE="docker.io/library/ubuntu:24.04"' in dockerfile
    assert 'ARG PKGMGR="/usr/bin/apt-get"' in dockerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS" in dockerfile
    assert 'ARG ANSIBLE_GALAXY_CLI_COLLECTION_OPTS="--offline"' in dockerfile
    # ensurepip is disabled on Ubuntu; pip comes from python3-pip instead.
    assert "pip_install" not in dockerfile.split("# Galaxy build stage")[0].split("COPY _build/scripts/")[-1]

    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    for entry in galaxy["collections"]:
        source = build / entry["name"]
        if entry["type"] == "file":
            assert source.is_file(), f"{source} missing from the context"
        else:
            assert (source / "MANIFEST.json").is_file(), f"{source} is not an installed collection"

    wheels = {}
    for wheel in (build / "wheelhouse").glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        wheels.setdefault(name, set()).add(version)
    for line in _wheelhouse_requirements(_definition()):
        requirement = Requirement(line)
        versions = wheels.get(canonicalize_name(requirement.name), set())
        assert any(requirement.specifier.contains(v) for v in versions), (
            f"the wheelhouse lacks {line}: the offline build would fail"
        )


def test_context_carries_no_ca_or_proxy_material(ee_context: Path):
    for path in (ee_context / "_build").rglob("*"):
        assert path.suffix not in {".crt", ".pem", ".key"}, path
    assert "PIP_CERT" not in (ee_context / "Dockerfile").read_text()


@pytest.fixture(scope="session")
def ee_image(ee_context: Path) -> str:
    """Builds the EE with the classic builder (no buildx here), from the local ubuntu:24.04."""
    client = docker.from_env()
    try:
        client.images.get("ubuntu:24.04")
    except docker.errors.ImageNotFound:
        pytest.fail("ubuntu:24.04 is missing: run scripts/ubuntu-images.sh first")
    built = _run(
        "docker", "build", "--force-rm", "-f", str(ee_context / "Dockerfile"), "-t", EE_TAG, str(ee_context)
    )  # fmt: skip
    # The galaxy and builder stages (and a replaced EE_TAG) are left untagged: remove them.
    # The tagged EE stays, so the next run reuses its layers.
    stage_filter = {"dangling": True, "label": "io.flaskrock.paas.execution-environment"}
    for stage_image in client.images.list(filters=stage_filter):
        client.images.remove(stage_image.id, force=True)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    return EE_TAG


def _in_ee(image: str, *command: str) -> str:
    """The command's standard output: warnings on stderr (a newer cryptography's deprecation of DSA,
    printed by every ansible command) must not break the JSON parsed from it."""
    client = docker.from_env()
    output = client.containers.run(image, list(command), remove=True, stdout=True, stderr=False)
    return output.decode()


def test_ee_image_runs_ansible_with_the_collections(ee_image: str):
    labels = docker.from_env().images.get(ee_image).labels
    assert labels.get("ansible-execution-environment") == "true"
    assert "core 2.19.14" in _in_ee(ee_image, "ansible", "--version")
    assert _in_ee(ee_image, "ansible-runner", "--version").strip() == "2.4.3"
    listed = json.loads(_in_ee(ee_image, "ansible-galaxy", "collection", "list", "--format", "json"))
    installed = {name: info["version"] for path in listed.values() for name, info in path.items()}
    assert installed["flaskrock.paas"] == _galaxy_version()
    assert "community.docker" in installed
    imports = "import docker, requests, yaml, packaging, jinja2; print(docker.__version__)"
    assert _in_ee(ee_image, "python3", "-c", imports).strip() == "7.2.0"
    doc = _in_ee(ee_image, "ansible-doc", "--json", "flaskrock.paas.flask_project")
    assert "flaskrock.paas.flask_project" in json.loads(doc)


def test_ee_image_runs_unprivileged_without_build_only_files(ee_image: str):
    config = docker.from_env().images.get(ee_image).attrs["Config"]
    assert config["User"] == "1000"
    assert not any(e.startswith("PIP_") and "NO_INDEX" in e for e in config["Env"])
    leftovers = _in_ee(ee_image, "sh", "-c", "ls /etc/pip.conf /output 2>&1; true")
    assert "No such file" in leftovers and "/output:" not in leftovers


def test_deploy_job_runs_inside_the_ee(ee_image: str, tmp_path: Path):
    """The AWX way end to end: ansible-runner starts the EE container (process isolation,
    docker) and runs the example project's deploy.yml in it. The host's Docker socket is
    mounted (Docker-outside-of-Docker) and the EE shares the host network, so the deploy
    role's health probe and this test both reach the app on the host's 127.0.0.1."""

    app, http_port, metrics_port = "awxtest-ee-hello", 38090, 38091
    data_dir = make_private_data_dir(
        tmp_path / "runner", app, "/usr/share/ansible/collections", "/usr/bin/python3"
    )
    statsd_exporter_standin(data_dir / "statsd_exporter")
    (data_dir / "ca").mkdir()
    for ca_file in host_ca_files():
        shutil.copy(ca_file, data_dir / "ca")
    # Paths as the EE sees them: the private data dir is mounted at /runner.
    extravars = awx_extravars(
        app,
        Path("/runner/state"),
        Path("/runner/statsd_exporter"),
        ports=(http_port, metrics_port),
        ca_files=[f"/runner/ca/{Path(p).name}" for p in host_ca_files()],
    )
    remove_app(app)
    try:
        runner = ansible_runner.run(
            private_data_dir=str(data_dir),
            playbook="deploy.yml",  # inventory: the private data dir's inventory/, as in AWX
            extravars=extravars,
            process_isolation=True,
            process_isolation_executable="docker",
            container_image=ee_image,
            container_volume_mounts=["/var/run/docker.sock:/var/run/docker.sock"],
            container_options=["--network=host"],
            quiet=True,
        )
        output = all_job_output(runner)
        assert runner.status == "successful", output[-6000:]
        assert requests.get(f"http://127.0.0.1:{http_port}/", timeout=10).status_code == 200
        assert "flask_requests" in requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        assert list((Path(runner.config.artifact_dir) / "job_events").glob("*.json"))
        assert SECRET_KEY not in output and DB_PASSWORD not in output
    finally:
        remove_app(app)
