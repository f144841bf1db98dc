"""The local Ubuntu images made by scripts/ubuntu-images.sh (scripts/test.sh makes them first)."""

import subprocess
from pathlib import Path

import docker
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ubuntu-images.sh"
BASE_IMAGES = ["ubuntu:22.04", "ubuntu:24.04"]
MOLECULE_IMAGES = ["flaskrock/molecule-ubuntu:22.04", "flaskrock/molecule-ubuntu:24.04"]

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def engine():
    client = docker.from_env()
    yield client
    client.close()


def image(engine, reference):
    try:
        return engine.images.get(reference)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{reference} is missing: run scripts/ubuntu-images.sh")


def run(engine, reference, command, **kwargs):
    output = engine.containers.run(reference, command, remove=True, **kwargs)
    return output.decode().strip()


def run_script(*args):
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=1800, check=False
    )


@pytest.mark.parametrize("reference", BASE_IMAGES + MOLECULE_IMAGES)
def test_image_is_the_ubuntu_release_of_its_tag(engine, reference):
    image(engine, reference)
    os_release = run(engine, reference, ["cat", "/etc/os-release"], entrypoint=[])
    assert "ID=ubuntu" in os_release.splitlines()
    assert f'VERSION_ID="{reference.rsplit(":", 1)[1]}"' in os_release.splitlines()
    assert run(engine, reference, ["python3", "-c", "print('python ok')"], entrypoint=[]) == "python ok"


@pytest.mark.parametrize("reference", BASE_IMAGES + MOLECULE_IMAGES)
def test_image_is_up_to_date_in_a_single_layer(engine, reference):
    attrs = image(engine, reference).attrs
    if "by flaskrock.paas scripts/ubuntu-images.sh" not in (attrs["Config"]["Labels"] or {}).get(
        "org.opencontainers.image.description", ""
    ):
        pytest.skip(f"{reference} was pulled from a registry")
    # The -updates/-security upgrade is flattened into the root filesystem, not stacked on it
    # (as a second layer it kept both versions of every upgraded file: ~120 MB more).
    assert len(attrs["RootFS"]["Layers"]) == 1
    upgradable = run(
        engine,
        reference,
        ["sh", "-c", "ls /var/lib/apt/lists | wc -l; ls /var/cache/apt/archives/*.deb 2>/dev/null | wc -l"],
        entrypoint=[],
    )
    assert upgradable.split() == ["0", "0"], "apt lists or package files left in the image"


@pytest.mark.parametrize("reference", BASE_IMAGES)
def test_base_image_metadata_and_no_services_started_by_apt(engine, reference):
    config = image(engine, reference).attrs["Config"]
    assert config["Cmd"] == ["/bin/bash"]
    policy = engine.containers.run(reference, ["/usr/sbin/policy-rc.d"], remove=False, detach=True)
    try:
        assert policy.wait()["StatusCode"] == 101
    finally:
        policy.remove(force=True)


@pytest.mark.parametrize("reference", MOLECULE_IMAGES)
def test_molecule_image_boots_systemd_and_reaches_the_host_engine(engine, reference):
    config = image(engine, reference).attrs["Config"]
    assert config["Cmd"] == ["/sbin/init"]
    assert config["StopSignal"] == "SIGRTMIN+3"
    assert "container=docker" in config["Env"]
    assert run(engine, reference, ["readlink", "-f", "/sbin/init"]).endswith("/systemd")
    # As a plain container with the host's socket (Docker-outside-of-Docker), the target's own
    # python3-docker must talk to the host engine.
    server_version = run(
        engine,
        reference,
        ["python3", "-c", "import apt, docker; print(docker.from_env().version()['Version'])"],
        volumes={"/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"}},
    )
    assert server_version == engine.version()["Version"]


def test_script_is_quick_and_changes_nothing_when_images_exist(engine):
    before = {reference: image(engine, reference).id for reference in BASE_IMAGES + MOLECULE_IMAGES}
    result = run_script()
    assert result.returncode == 0, result.stderr
    for reference in before:
        assert f"{reference} already present" in result.stderr
    assert {reference: engine.images.get(reference).id for reference in before} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--frobnicate"], "unknown option '--frobnicate'"),
        (["ubuntu:20.04"], "unknown image 'ubuntu:20.04'"),
    ],
)
def test_script_rejects_bad_arguments(args, message):
    result = run_script(*args)
    assert result.returncode != 0
    assert message in result.stderr
