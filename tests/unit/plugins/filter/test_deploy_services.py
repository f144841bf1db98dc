"""The deploy's decisions about the rock's workers and schedulers and deploy_networks
(plugins/plugin_utils/_deploy_services.py), through the deploy_plan filters where the role uses them."""

import copy
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.filter.deploy_plan import FilterModule
from ansible_collections.flaskrock.paas.plugins.module_utils._runtime import LABELS, SCHEDULER_ENV
from ansible_collections.flaskrock.paas.plugins.modules.deploy_state import read_state
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_plan import deploy_changes, deploy_plan
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_services import (
    missing_networks,
    scheduler_host,
    services_state,
)
from deploy_fixtures import IMAGE_REF, FakeDockerClient, role_settings

FILTERS = FilterModule().filters()
SERVICES = [
    {"name": "tasks-worker", "kind": "worker", "startup": "enabled"},
    {"name": "tasks-scheduler", "kind": "scheduler", "startup": "enabled"},
    {"name": "idle-worker", "kind": "worker", "startup": "disabled"},
]


def state_with(services=None):
    state = read_state(FakeDockerClient(volumes={"hello-data"}), IMAGE_REF, "", "", "hello-data")
    state["cpus"] = 2
    if services is not None:
        state = copy.deepcopy(state)
        state["image"]["labels"][LABELS["services"]] = json.dumps(services)
    return state


HOSTS = ["web1", "web2", "web3"]


@pytest.mark.parametrize(
    ("requested", "chosen"),
    [("", "web1"), ("web3", "web3")],
)
def test_the_scheduler_host_is_the_first_of_the_play_unless_named(requested, chosen):
    for host in HOSTS:
        settings = role_settings(host=host, play_hosts=HOSTS, scheduler_host=requested)
        assert scheduler_host(settings) == chosen
        plan = deploy_plan(state_with(SERVICES), settings)
        here = host == chosen
        assert plan["services"]["expected"] == (
            ["tasks-worker", "tasks-scheduler"] if here else ["tasks-worker"]
        )
        assert plan["container"]["env"] == {SCHEDULER_ENV: "enabled" if here else "disabled"}


def test_a_scheduler_on_a_host_outside_the_play_runs_nowhere_and_is_refused():
    settings = role_settings(host="web1", play_hosts=HOSTS, scheduler_host="db9")
    with pytest.raises(AnsibleFilterError) as raised:
        FILTERS["deploy_plan"](state_with(SERVICES), settings)
    assert str(raised.value) == (
        "deploy_scheduler_host 'db9' is not a host of this play (web1, web2, web3): the *-scheduler services "
        "would run on no host. Name one of the play's hosts, or leave it empty for the play's first host."
    )


def test_an_image_without_services_keeps_its_container_settings():
    plan = deploy_plan(state_with(), role_settings())
    assert plan["services"]["expected"] == [] and plan["services"]["all"] == []
    assert "env" not in plan["container"] and "networks" not in plan["container"]
    assert plan["services"]["status_command"] == [
        "supervisorctl",
        "-c",
        "/etc/supervisor/supervisord.conf",
        "status",
    ]


def test_workers_only_need_no_scheduler_switch():
    plan = deploy_plan(state_with(SERVICES[:1]), role_settings())
    assert plan["services"]["expected"] == ["tasks-worker"]
    assert "env" not in plan["container"]


def test_moving_the_scheduler_is_a_change_of_the_container():
    state = state_with(SERVICES)
    first = deploy_plan(state, role_settings(play_hosts=HOSTS))
    labels = deploy_changes(first, state, "A=1\n")["labels"]
    state["containers"]["current"]["labels"].update(labels)
    moved = deploy_plan(state, role_settings(play_hosts=HOSTS, scheduler_host="web2"))
    assert "container settings changed: env" in deploy_changes(moved, state, "A=1\n")["changes"]


def test_networks_join_the_container_settings():
    plan = deploy_plan(state_with(), role_settings(networks=["backend", "cache"]))
    assert plan["container"]["networks"] == [{"name": "backend"}, {"name": "cache"}]


@pytest.mark.parametrize(
    ("networks", "message"),
    [
        ("backend", "deploy_networks must be a list of Docker network names, got 'backend'"),
        (["back end"], "deploy_networks must be a list of Docker network names"),
        (["a", "a"], "deploy_networks names a more than once."),
    ],
)
def test_bad_networks_are_refused(networks, message):
    with pytest.raises(AnsibleFilterError, match=message):
        FILTERS["deploy_plan"](state_with(), role_settings(networks=networks))


def test_missing_networks_are_named_from_docker_network_info():
    found = [{"item": "backend", "exists": True}, {"item": "typo", "exists": False}]
    assert missing_networks(["backend", "typo"], found) == ["typo"]


def test_a_broken_services_label_asks_for_a_rebuild():
    state = state_with()
    state["image"]["labels"][LABELS["services"]] = "{not json"
    with pytest.raises(AnsibleFilterError, match="is not a JSON list of services: rebuild it"):
        FILTERS["deploy_plan"](state, role_settings())


STATUS = """\
flask                            RUNNING   pid 12, uptime 0:01:02
statsd-exporter                  RUNNING   pid 11, uptime 0:01:03
tasks-scheduler                  STOPPED   Not started
tasks-worker                     RUNNING   pid 13, uptime 0:00:07
"""


def test_services_running_long_enough_are_ready():
    assert services_state(STATUS, ["tasks-worker"], 5) == {
        "ready": True,
        "done": True,
        "problems": [],
        "summary": "all running",
        "pids": {"tasks-worker": 13},
    }
    assert services_state(STATUS.replace("0:00:07", "1 day, 0:00:00"), ["tasks-worker"], 5)["ready"]


def test_a_service_just_restarted_is_waited_for():
    state = FILTERS["deploy_services_state"](STATUS.replace("0:00:07", "0:00:02"), ["tasks-worker"], 5)
    assert state["ready"] is False and state["done"] is False
    assert state["summary"] == "tasks-worker RUNNING pid 13, uptime 0:00:02"


@pytest.mark.parametrize(
    ("line", "summary"),
    [
        (
            "tasks-worker BACKOFF   Exited too quickly (process log may have details)",
            "tasks-worker BACKOFF Exited",
        ),
        ("tasks-worker FATAL     can't find command 'nope'", "tasks-worker FATAL can't find command 'nope'"),
        ("", "tasks-worker MISSING not in supervisord's status"),
    ],
)
def test_a_failing_worker_fails_at_once(line, summary):
    status = (
        "\n".join(entry for entry in STATUS.splitlines() if not entry.startswith("tasks-worker"))
        + "\n"
        + line
    )
    state = services_state(status, ["tasks-worker", "tasks-scheduler"], 5)
    assert state["ready"] is False and state["done"] is True
    assert state["summary"].startswith(summary)
    # The scheduler is expected here and stopped: named too.
    assert "tasks-scheduler STOPPED Not started" in state["problems"]


def test_a_worker_that_restarted_between_two_readings_has_failed():
    # A worker crashing after its imports (seconds, on a busy host) looks stable in one reading.
    first = services_state(STATUS, ["tasks-worker"], 5)
    later = STATUS.replace("pid 13, uptime 0:00:07", "pid 14, uptime 0:00:01")
    state = services_state(later, ["tasks-worker"], 0, first["pids"])
    assert state["ready"] is False and state["done"] is True
    assert state["summary"] == "tasks-worker restarted (pid 13 then RUNNING pid 14, uptime 0:00:01)"
    assert services_state(STATUS, ["tasks-worker"], 0, first["pids"])["ready"] is True
    # As the role calls it: the filter with the earlier pids.
    assert FILTERS["deploy_services_state"](later, ["tasks-worker"], 0, first["pids"])["done"] is True
