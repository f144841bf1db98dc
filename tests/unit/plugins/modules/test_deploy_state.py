"""flaskrock.paas.deploy_state: one read of a host, from real docker inspect output of a deploy."""

import hashlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ansible_collections.flaskrock.paas.plugins.modules.deploy_state import (
    StateError,
    app_name,
    container_summary,
    image_summary,
    read_state,
    repository_of,
)
from deploy_fixtures import CURRENT, IMAGE, IMAGE_REF, IMAGES, PREVIOUS, FakeDockerClient


def test_image_summary_of_a_rock():
    image = image_summary(IMAGE_REF, IMAGE)
    assert image["present"] and image["id"] == IMAGE["Id"]
    assert image["labels"]["org.opencontainers.image.title"] == "hello"
    assert IMAGE_REF in image["repo_tags"]
    assert image_summary("nope:1", None) == {
        "ref": "nope:1",
        "present": False,
        "id": "",
        "created": "",
        "labels": {},
        "repo_tags": [],
    }


def test_container_summary_of_the_running_and_the_previous_release():
    current = container_summary(CURRENT)
    assert current["exists"] and current["running"] and current["status"] == "running"
    assert current["image"] == IMAGE["Id"] and current["config_image"] == IMAGE_REF
    assert json.loads(current["labels"]["io.flaskrock.paas.deploy-settings"])["command"] == [
        "--args",
        "flask",
        "sync",
    ]
    assert current["ports"] == sorted(
        int(binding["HostPort"])
        for bindings in CURRENT["HostConfig"]["PortBindings"].values()
        for binding in bindings
    )
    assert current["published"] == sorted(
        f"{binding['HostIp']}:{binding['HostPort']}"
        for bindings in CURRENT["HostConfig"]["PortBindings"].values()
        for binding in bindings
    )
    http = [{"HostIp": "127.0.0.1", "HostPort": "20000"}, {"HostIp": "172.17.0.1", "HostPort": "20000"}]
    metrics = [{"HostIp": "", "HostPort": "20001"}]
    gateway = {"HostConfig": {"PortBindings": {"8000/tcp": http, "9102/tcp": metrics}}}
    assert container_summary(gateway)["published"] == ["0.0.0.0:20001", "127.0.0.1:20000", "172.17.0.1:20000"]
    assert container_summary(gateway)["ports"] == [20000, 20001]
    previous = container_summary(PREVIOUS)
    assert previous["exists"] and not previous["running"] and previous["status"] == "exited"
    assert container_summary(None) == {"exists": False}


def test_app_name_comes_from_the_image_title_unless_given():
    image = image_summary(IMAGE_REF, IMAGE)
    assert app_name("", image) == "hello"
    assert app_name("shop", image) == "shop"
    with pytest.raises(StateError, match="cannot name a container: set deploy_app_name"):
        app_name("my app", image)
    untitled = image_summary("x:1", {**IMAGE, "Config": {"Labels": {}}})
    with pytest.raises(StateError, match='App name ""'):
        app_name("", untitled)
    assert app_name("", image_summary("x:1", None)) == ""  # the plan then says the image is missing


@pytest.mark.parametrize(
    ("image_ref", "current", "expected"),
    [
        ("registry.example:5000/team/hello:0.2", {"exists": False}, "registry.example:5000/team/hello"),
        ("", {"exists": True, "config_image": "hello:0.1-8ad938ff81c2"}, "hello"),
        ("", {"exists": False}, "hello"),
    ],
)
def test_repository_of_the_releases(image_ref, current, expected):
    assert repository_of(image_ref, current, "hello") == expected


def test_read_state_of_a_deployed_host(tmp_path):
    base = tmp_path / "hello"
    base.mkdir()
    (base / "app.env").write_text("FLASK_GREETING=hi\n")
    (base / "deploy.lock").write_text(json.dumps({"holder": "a@b", "run_id": "r1"}))
    state = read_state(FakeDockerClient(volumes={"hello-data"}), IMAGE_REF, "", str(base), "hello-data")
    assert state["app"] == "hello"
    assert state["env_file"] == f"{base}/app.env" and state["secret_file"] == f"{base}/secret_key"
    assert state["env_file_sha256"] == hashlib.sha256(b"FLASK_GREETING=hi\n").hexdigest()
    assert state["lock"] == {"holder": "a@b", "run_id": "r1"}
    assert state["volume_exists"] is True
    assert state["repository"] == "hello"
    assert [image["Id"] for image in state["releases"]] == [image["Id"] for image in IMAGES]
    assert state["containers"]["current"]["running"] and state["containers"]["previous"]["exists"]
    assert state["cpus"] >= 1
    assert state["secret_key"] is None  # not asked for


def test_read_state_returns_the_secret_key_only_on_request(tmp_path):
    client = FakeDockerClient()
    assert read_state(client, IMAGE_REF, "", str(tmp_path), "", secret=True)["secret_key"] is None
    (tmp_path / "secret_key").write_text("")
    assert read_state(client, IMAGE_REF, "", str(tmp_path), "", secret=True)["secret_key"] is None
    (tmp_path / "secret_key").write_text("k" * 86)
    assert read_state(client, IMAGE_REF, "", str(tmp_path), "", secret=True)["secret_key"] == "k" * 86
    assert read_state(client, IMAGE_REF, "", str(tmp_path), "")["secret_key"] is None


def test_read_state_of_a_new_host():
    state = read_state(FakeDockerClient(containers={}), IMAGE_REF, "", "", "")
    assert state["base_dir"] == "/var/lib/flaskrock/hello"
    assert state["containers"] == {
        "current": {"exists": False},
        "previous": {"exists": False},
        "next": {"exists": False},
    }
    assert state["env_file_sha256"] is None and state["lock"] is None and state["volume_exists"] is False


def test_read_state_for_a_rollback_finds_the_repository_from_the_running_container(tmp_path):
    state = read_state(FakeDockerClient(), "", "hello", str(tmp_path), "")
    assert state["image"]["present"] is False
    assert state["repository"] == "hello"
    assert len(state["releases"]) == len(IMAGES)


def test_read_state_finds_a_next_release_left_by_an_interrupted_deploy(tmp_path):
    leftover = {
        **CURRENT,
        "HostConfig": {
            "PortBindings": {
                "8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "20002"}],
                "9102/tcp": [{"HostIp": "127.0.0.1", "HostPort": "20003"}],
            }
        },
    }
    client = FakeDockerClient(containers={"hello": CURRENT, "hello-next": leftover})
    state = read_state(client, IMAGE_REF, "", str(tmp_path), "")
    assert state["containers"]["next"]["exists"] and state["containers"]["next"]["ports"] == [20002, 20003]
    assert state["containers"]["next"]["labels"]["io.flaskrock.paas.app"] == "hello"
    assert state["containers"]["previous"] == {"exists": False}
