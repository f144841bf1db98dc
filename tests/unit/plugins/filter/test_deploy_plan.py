"""The deploy role's decisions (plugin_utils/_deploy_plan.py, filters flaskrock.paas.deploy_plan), fed with
the state deploy_state reads from real docker inspect output of a deploy of examples/hello."""

import copy
import hashlib
import json
import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.filter.deploy_plan import FilterModule
from ansible_collections.flaskrock.paas.plugins.modules.deploy_state import read_state
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_env import DeployConfigError
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_plan import (
    CONTAINER_LABELS,
    deploy_changes,
    deploy_plan,
    prunable_releases,
    release_env,
    rollback_target,
)
from deploy_fixtures import CURRENT, IMAGE, IMAGE_REF, IMAGES, NEWER_ID, FakeDockerClient, role_settings

FILTERS = FilterModule().filters()
SECRET = "k" * 86


def host_state(tmp_path=None, env_content=None, **client):
    """What deploy_state reads on the host of the captured deploy (2 CPU cores)."""
    base = ""
    if tmp_path is not None:
        base = str(tmp_path)
        if env_content is not None:
            Path(base, "app.env").write_text(env_content)
    client.setdefault("volumes", {"hello-data"})
    state = read_state(FakeDockerClient(**client), IMAGE_REF, "", base, "hello-data")
    state["cpus"] = 2
    return state


def deployed(state, plan, env_content):
    """The state after a deploy of plan: the container carries the labels, the env file is written."""
    labels = deploy_changes(plan, state, env_content)["labels"]
    state = copy.deepcopy(state)
    state["containers"]["current"]["labels"].update(labels)
    state["env_file_sha256"] = hashlib.sha256(env_content.encode()).hexdigest()
    return state


def test_plan_of_the_default_settings():
    plan = deploy_plan(host_state(), role_settings())
    assert plan["image_missing"] is False
    assert plan["app"] == "hello" and plan["image_id"] == IMAGE["Id"] and plan["repository"] == "hello"
    assert plan["version"] == "0.1-" + IMAGE["Config"]["Labels"]["org.opencontainers.image.revision"]
    assert plan["worker_class"] == "sync"
    assert shlex.split(plan["gunicorn_args"])[:2] == ["--workers", "5"]  # 2 x 2 cores + 1
    assert plan["check_config_command"] == [
        "python3",
        "-m",
        "gunicorn",
        "-c",
        "/flask/gunicorn.conf.py",
        "app:app",
        "-k",
        "sync",
        "--check-config",
    ]
    assert plan["migration"] == ["bash", "-eo", "pipefail", "migrate.sh"] and plan["run_migration"] is True
    assert plan["user"] == "584792:584792" and plan["app_dir"] == "/flask/app"
    assert plan["data_path"] == "/flask/data"
    assert plan["health_check"] == {
        "url": "http://127.0.0.1:8080/",
        "retries": 30,
        "delay": 1,
        "status_below": 500,
    }
    assert plan["volume_labels"] == {"io.flaskrock.paas.app": "hello"}
    container = plan["container"]
    assert container["published_ports"] == ["127.0.0.1:8080:8000", "127.0.0.1:9102:9102"]
    assert container["command"] == ["--args", "flask", "sync"]
    assert container["tmpfs"][2] == "/var/log/flask:rw,nosuid,nodev,uid=584792,gid=584792,mode=0755"
    assert container["stop_timeout"] == 35 and "cpus" not in container


def test_the_recorded_settings_of_the_real_deploy_match_its_plan():
    """The captured container was started from a plan of these settings: no container setting differs."""
    recorded = json.loads(CURRENT["Config"]["Labels"][CONTAINER_LABELS["settings"]])
    assert recorded == json.loads(json.dumps(deploy_plan(host_state(), role_settings())["container"]))


def test_survey_strings_are_converted():
    settings = role_settings(
        workers="3",
        read_only="false",
        http_port="8081",
        migrate="false",
        cpus="1.5",
        metrics_port="9200",
        http_bind_address="0.0.0.0",
        health_check_interval="0",
        health_check_timeout="5",
    )
    plan = deploy_plan(host_state(), settings)
    assert plan["gunicorn_args"].startswith("--workers 3 ")
    assert plan["container"]["read_only"] is False and "tmpfs" not in plan["container"]
    assert plan["container"]["cpus"] == 1.5
    assert plan["container"]["published_ports"] == ["0.0.0.0:8081:8000", "127.0.0.1:9200:9102"]
    assert plan["run_migration"] is False
    assert plan["health_check"]["url"] == "http://127.0.0.1:8081/"  # 0.0.0.0 is probed on loopback
    assert (plan["health_check"]["retries"], plan["health_check"]["delay"]) == (5, 1)


@pytest.mark.parametrize(
    ("overrides", "run_migration"),
    [
        ({}, True),
        ({"host": "web2"}, False),
        ({"host": "web2", "migrate_on": "all"}, True),
        ({"migrate": False}, False),
    ],
)
def test_the_migration_runs_once_per_deploy_by_default(overrides, run_migration):
    assert deploy_plan(host_state(), role_settings(**overrides))["run_migration"] is run_migration


def test_an_image_without_migration_runs_none():
    image = copy.deepcopy(IMAGE)
    del image["Config"]["Labels"]["io.flaskrock.paas.migration"]
    state = host_state()
    state["image"]["labels"] = image["Config"]["Labels"]
    plan = deploy_plan(state, role_settings())
    assert plan["migration"] is None and plan["run_migration"] is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"image": ""}, "No image to deploy on web1: run the flaskrock.paas.rock role first"),
        ({"image": "hello:9.9-nothere"}, "Image hello:9.9-nothere is not on host web1: build it"),
        ({"worker_class": "gevent"}, "deploy_worker_class is gevent but the image has no gevent"),
        ({"worker_class": "turbo"}, "Only 'gevent' and 'sync' are allowed."),
        ({"workers": "many"}, "deploy_workers must be a number, got 'many'."),
        ({"read_only": "maybe"}, "deploy_read_only must be true or false"),
        ({"threads": 0}, "Gunicorn threads must be at least 1"),
        ({"config": {"bad name": 1}}, "deploy_config: 'FLASK_BAD NAME' is not a valid environment variable"),
        ({"databases": {"oracle": "oracle://x"}}, "deploy_databases: unsupported database 'oracle'"),
    ],
)
def test_settings_the_image_cannot_run_are_refused_with_a_reason(change, message):
    state = host_state()
    if change.get("image", IMAGE_REF) != IMAGE_REF:
        state = read_state(FakeDockerClient(), change["image"], "hello", "", "")
    with pytest.raises(DeployConfigError) as error:
        deploy_plan(state, role_settings(**change))
    assert message in str(error.value)
    with pytest.raises(AnsibleFilterError, match=r"\w"):
        FILTERS["deploy_plan"](state, role_settings(**change))


def test_an_image_that_is_not_a_rock_is_refused():
    state = host_state()
    state["image"]["labels"] = {"org.opencontainers.image.title": "hello"}
    with pytest.raises(
        DeployConfigError, match=r"is not a flaskrock rock \(it has no io.flaskrock.paas.\* labels\)"
    ):
        deploy_plan(state, role_settings())


def test_check_mode_previews_an_image_not_built_yet():
    state = read_state(FakeDockerClient(), "hello:0.2-notbuilt", "", "", "")
    plan = deploy_plan(state, role_settings(image="hello:0.2-notbuilt", check_mode=True))
    assert plan == {"image_missing": True, "image": "hello:0.2-notbuilt", "app": ""}


def test_release_env_carries_the_secret_and_gunicorn_settings():
    settings = role_settings(databases={"postgresql": "postgresql://app:pw@db:5432/hello"})
    plan = deploy_plan(host_state(), settings)
    env = dict(line.split("=", 1) for line in release_env(settings, plan, SECRET).splitlines())
    assert env["FLASK_SECRET_KEY"] == SECRET
    assert env["GUNICORN_CMD_ARGS"] == plan["gunicorn_args"]
    assert env["FLASK_GREETING"] == "Hi from the deploy test" and env["HELLO_DATA_DIR"] == "/flask/data"
    assert env["POSTGRESQL_DB_PASSWORD"] == "pw" and env["FLASK_DEBUG"] == "false"
    override = role_settings(env={"GUNICORN_CMD_ARGS": "--bind 127.0.0.1:8001"})
    assert "GUNICORN_CMD_ARGS=--bind 127.0.0.1:8001\n" in release_env(override, plan, SECRET)


def test_a_redeploy_with_nothing_changed_is_a_no_op(tmp_path):
    settings = role_settings()
    state = host_state(tmp_path)
    plan = deploy_plan(state, settings)
    env = release_env(settings, plan, SECRET)
    changes = deploy_changes(plan, deployed(state, plan, env), env)
    assert changes["needed"] is False and changes["changes"] == [] and changes["env_changed"] is False
    assert changes["labels"][CONTAINER_LABELS["env"]] == hashlib.sha256(env.encode()).hexdigest()
    assert changes["labels"][CONTAINER_LABELS["release"]] == plan["version"]


S3 = {"access_key": "AKIA-example", "secret_key": "s3-secret-1", "bucket": "media"}


def test_a_changed_family_value_restarts_the_release_and_an_unchanged_one_is_a_no_op(tmp_path):
    def family_settings(**s3):
        settings = role_settings()
        settings["integrations"] = {**settings["integrations"], "s3": {**S3, **s3}, "tracing": {"endpoint": "http://t:4318"}}
        return settings

    state = host_state(tmp_path)
    plan = deploy_plan(state, family_settings())
    env = release_env(family_settings(), plan, SECRET)
    assert "S3_SECRET_KEY=s3-secret-1\n" in env and "OTEL_SERVICE_NAME=hello\n" in env
    running = deployed(state, plan, env)
    assert deploy_changes(plan, running, release_env(family_settings(), plan, SECRET))["needed"] is False
    changed = release_env(family_settings(secret_key="s3-secret-2"), plan, SECRET)
    assert deploy_changes(plan, running, changed)["changes"] == ["environment changed"]


@pytest.mark.parametrize(
    ("family", "value", "message"),
    [
        ("s3", {"bucket": "media", "acl": "x"}, "deploy_s3: unknown key 'acl'; known keys: access_key"),
        ("rabbitmq", "rabbit:5672", "deploy_rabbitmq must be a URL with a scheme"),
        ("oidc", {"google": "x"}, "deploy_oidc.google must be a mapping"),
    ],
)
def test_bad_families_are_refused_by_the_plan_before_anything_changes(family, value, message):
    settings = role_settings()
    settings["integrations"] = {**settings["integrations"], family: value}
    with pytest.raises(DeployConfigError, match=message):
        deploy_plan(host_state(), settings)
    with pytest.raises(AnsibleFilterError, match=message):
        FILTERS["deploy_plan"](host_state(), settings)


def test_the_captured_deploy_differs_only_by_its_environment():
    """Its env label is the sha256 of the real (redacted) env: the rest of the plan is what runs."""
    plan = deploy_plan(host_state(), role_settings())
    changes = deploy_changes(plan, host_state(), release_env(role_settings(), plan, SECRET))
    assert changes["changes"] == ["environment changed"]


@pytest.mark.parametrize(
    ("settings", "mutate", "expected"),
    [
        ({"workers": 2}, None, ["environment changed"]),
        ({"deploy_env_extra": True}, None, ["environment changed"]),
        (
            {"memory": "512m", "http_port": 9090},
            None,
            ["container settings changed: memory, published_ports"],
        ),
        (
            {"worker_class": "sync", "read_only": False},
            None,
            ["container settings changed: read_only, tmpfs"],
        ),
        ({}, lambda s: s["containers"]["current"].update(image=NEWER_ID), ["image changed"]),
        ({}, lambda s: s["containers"]["current"].update(running=False), ["container not running"]),
        ({}, lambda s: s["containers"].update(current={"exists": False}), ["new container"]),
        ({}, lambda s: s.update(volume_exists=False), ["data volume missing"]),
        ({}, lambda s: s.update(env_file_sha256="edited-by-hand"), ["environment changed"]),
        (
            {},
            lambda s: s["containers"]["current"]["labels"].pop(CONTAINER_LABELS["settings"]),
            ["container settings not recorded (deployed by an older version of the role)"],
        ),
    ],
)
def test_what_differs_is_named(tmp_path, settings, mutate, expected):
    base = role_settings()
    state = host_state(tmp_path)
    plan = deploy_plan(state, base)
    state = deployed(state, plan, release_env(base, plan, SECRET))
    if settings.pop("deploy_env_extra", False):
        settings["env"] = {**base["env"], "FEATURE": "on"}
    if mutate:
        mutate(state)
    new = role_settings(**settings)
    new_plan = deploy_plan(state, new)
    changes = deploy_changes(new_plan, state, release_env(new, new_plan, SECRET))
    assert changes["changes"] == expected and changes["needed"] is True


def older_release(tag, created, image_id):
    image = copy.deepcopy(IMAGES[1])
    image.update(Id=image_id, Created=created, RepoTags=[f"hello:{tag}"])
    return image


def rollback_state(containers=None, extra_images=()):
    return read_state(
        FakeDockerClient(containers=containers, images=[*IMAGES, *extra_images]), "", "hello", "", ""
    )


def test_rollback_defaults_to_the_previous_container_image():
    target = rollback_target(rollback_state(), "", "web1")
    assert target["target"] == IMAGE_REF and target["error"] == ""
    assert target["releases"] == [tag for image in IMAGES for tag in image["RepoTags"]]  # newest first


def test_rollback_to_a_named_release_tag_or_reference():
    newer_tag = IMAGES[0]["RepoTags"][0]
    assert rollback_target(rollback_state(), newer_tag.split(":")[1])["target"] == newer_tag
    assert rollback_target(rollback_state(), newer_tag)["target"] == newer_tag


def test_rollback_without_previous_container_takes_the_newest_older_image():
    old = older_release("0.0-old", IMAGES[1]["Created"] - 100, "sha256:" + "0" * 64)
    oldest = older_release("0.0-oldest", IMAGES[1]["Created"] - 200, "sha256:" + "1" * 64)
    state = rollback_state(containers={"hello": CURRENT}, extra_images=[oldest, old])
    target = rollback_target(state, "", "web1")
    assert target["target"] == "hello:0.0-old"  # not the newer, undeployed image
    assert target["releases"][-2:] == ["hello:0.0-old", "hello:0.0-oldest"]


def test_rollback_to_an_unknown_release_lists_the_known_ones():
    target = FILTERS["deploy_rollback_target"](rollback_state(), "0.0-nosuchrelease", "web1")
    assert target["error"].startswith(
        "Release hello:0.0-nosuchrelease is not on web1. Known releases: hello:"
    )
    assert IMAGE_REF in target["error"] and target["error"].endswith("pick one with -e release=TAG.")


def test_rollback_without_any_older_release():
    target = rollback_target(rollback_state(containers={"hello": CURRENT}), "", "web1")
    assert target["target"] == ""
    assert target["error"].startswith("No previous release of hello on web1.")


def test_prune_keeps_the_newest_and_never_the_deployed_or_previous_release():
    olds = [
        older_release(f"0.0-{n}", IMAGES[1]["Created"] - 100 * n, f"sha256:{n:064d}") for n in range(1, 6)
    ]
    state = read_state(FakeDockerClient(images=[*IMAGES, *olds]), IMAGE_REF, "", "", "")
    # 7 releases, newest first: NEWER, running (IMAGE), 0.0-1 ... 0.0-5
    assert prunable_releases(state, IMAGE["Id"], 5, released=False) == ["hello:0.0-4", "hello:0.0-5"]
    assert prunable_releases(state, IMAGE["Id"], 2, released=False) == [f"hello:0.0-{n}" for n in range(1, 6)]
    # deploying the oldest keeps it, and the running release becomes the previous one
    state["containers"]["current"]["image"] = olds[0]["Id"]
    assert prunable_releases(state, olds[4]["Id"], 1, released=True) == [
        IMAGES[1]["RepoTags"][0],
        "hello:0.0-2",
        "hello:0.0-3",
        "hello:0.0-4",
    ]
    assert FILTERS["deploy_prunable_releases"](state, IMAGE["Id"], 10) == []


def test_behind_the_proxy_the_release_listens_on_its_loopback_slot():
    settings = role_settings(proxy=True, release_port=20002, http_bind_address="0.0.0.0")
    plan = deploy_plan(host_state(), settings)
    assert plan["proxy"] is True and plan["container"]["proxy"] is True
    assert plan["container"]["published_ports"] == ["127.0.0.1:20002:8000", "127.0.0.1:20003:9102"]
    assert plan["health_check"]["url"] == "http://127.0.0.1:20002/"


def test_behind_the_proxy_the_slot_is_also_published_on_the_backend_address():
    settings = role_settings(proxy=True, release_port=20002, release_address="172.17.0.1")
    plan = deploy_plan(host_state(), settings)
    assert plan["container"]["published_ports"] == [
        "127.0.0.1:20002:8000",
        "127.0.0.1:20003:9102",
        "172.17.0.1:20002:8000",
        "172.17.0.1:20003:9102",
    ]
    assert plan["health_check"]["url"] == "http://127.0.0.1:20002/"  # the gate stays on loopback
    settings = role_settings(proxy=True, release_port=20002, release_address="127.0.0.1")
    looped = deploy_plan(host_state(), settings)
    assert looped["container"]["published_ports"] == ["127.0.0.1:20002:8000", "127.0.0.1:20003:9102"]


def test_behind_the_proxy_the_other_slot_is_no_change_but_leaving_direct_mode_is(tmp_path):
    env = release_env(role_settings(), deploy_plan(host_state(), role_settings()), SECRET)
    first = deploy_plan(host_state(), role_settings(proxy=True, release_port=20000))
    state = deployed(host_state(tmp_path, env), first, env)
    second = deploy_plan(state, role_settings(proxy=True, release_port=20002))
    assert deploy_changes(second, state, env)["needed"] is False
    # Nor is the backend address: a release an older version started (loopback only) keeps serving.
    gateway = deploy_plan(state, role_settings(proxy=True, release_port=20002, release_address="172.17.0.1"))
    assert deploy_changes(gateway, state, env)["needed"] is False
    direct = deployed(host_state(tmp_path, env), deploy_plan(host_state(), role_settings()), env)
    changes = deploy_changes(second, direct, env)
    assert changes["needed"] and "container settings changed: proxy" in changes["changes"]


def fleet_host(host, image_id, config_image, running=True):
    current = {"exists": True, "running": running, "image": image_id, "config_image": config_image}
    return {"item": host, "changed": False, "containers": {"current": current, "previous": {"exists": False}}}


def test_fleet_report_names_the_failed_host_and_each_hosts_release():
    new, old = "sha256:" + "2" * 64, "sha256:" + "1" * 64
    results = [
        fleet_host("web1", new, "hello:2"),
        fleet_host("web2", old, "hello:1"),
        fleet_host("web3", old, "hello:1"),
        {"item": "web4", "unreachable": True, "msg": "Failed to connect to the host via ssh"},
    ]
    message = FILTERS["deploy_fleet_report"](results, new, "web2", "health check failed on web2 ")
    assert message.startswith("The roll stopped at web2: health check failed on web2\n")
    lines = message.splitlines()
    assert "web1: hello:2 (new release: rolled before the failure, it keeps the new release)" in lines[2]
    assert "web2: hello:1 (failed here; the release it ran before keeps serving)" in lines[3]
    assert "web3: hello:1 (not reached: keeps its release)" in lines[4]
    assert "web4: unknown (Failed to connect to the host via ssh)" in lines[5]
    assert "rollback.yml -e release=" in lines[6]


def test_fleet_report_without_a_reason_or_a_running_container():
    stopped = fleet_host("web1", "sha256:x", "hello:1", running=False)
    message = FILTERS["deploy_fleet_report"]([stopped], "", "web1")
    assert message.startswith("The roll stopped at web1.\n")
    assert "web1: nothing (failed here" in message
