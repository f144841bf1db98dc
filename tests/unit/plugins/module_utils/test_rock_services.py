"""The project's own services of rockcraft.yaml (workers, schedulers): Rockcraft's Pebble schema, the
collection's own rules, and how the build plan, the launcher configuration and the labels carry them."""

import json
import shutil
from pathlib import Path

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils import _runtime as runtime
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import (
    FlaskProjectError,
    inspect_project,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._rock_services import (
    kind,
    split_command,
    user_services,
)

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
CONTRACT = runtime.contract()
EXTENSION = ("flask", "statsd-exporter")
WORKER = {
    "override": "replace",
    "command": "/bin/python3 -m rq.cli worker tasks",
    "startup": "enabled",
    "user": "_daemon_",
    "working-dir": "/flask/app",
}


def services_of(**declared):
    return user_services({"services": declared}, EXTENSION, CONTRACT)


def test_kinds_follow_the_charm_name_rule():
    assert [kind(name) for name in ("tasks-worker", "beat-scheduler", "cache")] == [
        "worker",
        "scheduler",
        "service",
    ]


def test_a_worker_written_as_rockcraft_users_write_it():
    services, problems, warnings = services_of(**{"tasks-worker": WORKER})
    assert problems == [] and warnings == []
    assert services == [
        {
            "name": "tasks-worker",
            "kind": "worker",
            "command": ["/bin/python3", "-m", "rq.cli", "worker", "tasks"],
            "default_args": [],
            "environment": {},
            "working_dir": "/flask/app",
            "startup": "enabled",
        }
    ]


def test_the_extension_services_are_left_to_the_extension():
    services, problems, _ = services_of(
        flask={"override": "merge"}, **{"statsd-exporter": {"override": "merge"}}
    )
    assert services == [] and problems == []


@pytest.mark.parametrize(
    ("command", "fixed", "defaults"),
    [
        ("celery -A make_celery worker", ["celery", "-A", "make_celery", "worker"], []),
        ("rq worker [ --burst ]", ["rq", "worker"], ["--burst"]),
        ("rq worker [ ]", ["rq", "worker"], []),
        ("sh -c 'echo \"a b\"'", ["sh", "-c", 'echo "a b"'], []),
    ],
)
def test_pebble_command_syntax(command, fixed, defaults):
    assert split_command(command) == (fixed, defaults)


@pytest.mark.parametrize(
    ("service", "message"),
    [
        (
            {"override": "replace", "startup": "enabled"},
            "rockcraft.yaml: services.tasks-worker has no command: a service of the project needs 'override' "
            "(merge or replace) and 'command' (e.g. command: /bin/python3 -m rq worker)",
        ),
        ({"command": "rq worker"}, "rockcraft.yaml: services.tasks-worker has no override"),
        (
            {**WORKER, "startup": "yes"},
            "services.tasks-worker.startup must be 'enabled' or 'disabled', not 'yes'",
        ),
        (
            {**WORKER, "restart": "always"},
            "services.tasks-worker.restart is not a Pebble service key (known keys: after,",
        ),
        (
            {**WORKER, "environment": {"A": 1}},
            "services.tasks-worker.environment must be a mapping of strings",
        ),
        ({**WORKER, "user-id": "584792"}, "services.tasks-worker.user-id must be an integer"),
        (
            {**WORKER, "command": "rq worker 'unclosed"},
            'command "rq worker \'unclosed" cannot be split into arguments',
        ),
        ({**WORKER, "command": "  "}, "command '  ' is empty"),
        ({**WORKER, "command": "rq [ a ] worker"}, "has misplaced default arguments"),
        (
            {**WORKER, "user": "root"},
            "services.tasks-worker runs as root: every service of the rock runs as _daemon_ (uid 584792), "
            "the container's user; write 'user: _daemon_' or leave it out",
        ),
        ({**WORKER, "environment": {"A-B": "1"}}, "'A-B' is not a valid environment variable name"),
    ],
)
def test_bad_services_are_refused_with_the_key_path(service, message):
    services, problems, _ = services_of(**{"tasks-worker": service})
    assert services == []
    assert any(message in problem for problem in problems), problems


def test_a_worker_rockcraft_would_not_start_is_named():
    _, problems, warnings = services_of(**{"tasks-worker": {**WORKER, "startup": None}})
    assert problems == []
    assert warnings == [
        "rockcraft.yaml: services.tasks-worker has no 'startup: enabled': Pebble does not start it, and "
        "neither does the rock's supervisord"
    ]


def test_the_tasks_example_plan_runs_its_worker_and_scheduler():
    result = inspect_project(str(EXAMPLES / "tasks"))
    plan = result["plan"]
    names = [service["name"] for service in plan["services"]]
    assert names == ["statsd-exporter", "flask", "tasks-worker", "tasks-scheduler"]
    scheduler = plan["services"][3]
    assert scheduler["command"] == ["env", "HEARTBEAT_SECONDS=3", "/bin/python3", "-m", "app.scheduler"]
    assert scheduler["autostart_env"] == "TASKS_SCHEDULER_SERVICE_AUTOSTART"
    assert scheduler["working_dir"] == "/flask/app"
    launcher = plan["launcher"]["config"]
    assert launcher["scheduler_env"] == "FLASKROCK_SCHEDULER"
    assert launcher["services"]["tasks-scheduler"]["scheduler"] is True
    assert launcher["services"]["tasks-worker"]["scheduler"] is False
    assert "autostart_env" not in launcher["services"]["flask"]
    assert json.loads(plan["labels"][runtime.LABELS["services"]]) == [
        {"name": "tasks-worker", "kind": "worker", "startup": "enabled"},
        {"name": "tasks-scheduler", "kind": "scheduler", "startup": "enabled"},
    ]
    # /bin/python3 (the system interpreter) sees the venv's packages, as in a rock.
    assert plan["venv_pth"] == {
        "path": "/usr/lib/python3/dist-packages/flaskrock-venv.pth",
        "content": 'import site; site.addsitedir("/venv/lib/python3.12/site-packages")',
    }


def test_a_project_without_services_has_an_empty_services_label():
    plan = inspect_project(str(EXAMPLES / "hello"))["plan"]
    assert json.loads(plan["labels"][runtime.LABELS["services"]]) == []
    assert [service["name"] for service in plan["services"]] == ["statsd-exporter", "flask"]


def test_a_worker_without_a_command_fails_the_validation(tmp_path):
    project = tmp_path / "tasks"
    shutil.copytree(EXAMPLES / "tasks", project)
    text = (project / "rockcraft.yaml").read_text()
    (project / "rockcraft.yaml").write_text(
        text.replace("    command: /bin/python3 -m rq.cli worker --config app.rq_settings tasks\n", "")
    )
    with pytest.raises(FlaskProjectError) as raised:
        inspect_project(str(project))
    assert raised.value.problems == [
        "rockcraft.yaml: services.tasks-worker has no command: a service of the project needs 'override' "
        "(merge or replace) and 'command' (e.g. command: /bin/python3 -m rq worker)"
    ]
