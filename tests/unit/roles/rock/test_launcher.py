"""roles/rock/files/flaskrock-launcher, the rock's entrypoint, executed as a module."""

import importlib.machinery
import importlib.util
import json
import shlex
from pathlib import Path

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import inspect_project

LAUNCHER = Path(__file__).resolve().parents[4] / "roles" / "rock" / "files" / "flaskrock-launcher"
EXAMPLE_PROJECTS = Path(__file__).resolve().parents[4] / "examples"


@pytest.fixture(scope="module")
def launcher():
    loader = importlib.machinery.SourceFileLoader("flaskrock_launcher", str(LAUNCHER))
    spec = importlib.util.spec_from_loader("flaskrock_launcher", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def config():
    """The configuration the image carries: the plan's launcher.config of examples/hello-async."""
    return inspect_project(str(EXAMPLE_PROJECTS / "hello-async"))["plan"]["launcher"]["config"]


@pytest.fixture
def execve(monkeypatch, launcher):
    calls = []

    def fake_execve(path, argv, environment):
        calls.append((path, argv, environment))

    monkeypatch.setattr(launcher.os, "execve", fake_execve)
    return calls


def test_the_plan_writes_the_config_where_the_launcher_reads_it(launcher):
    plan = inspect_project(str(EXAMPLE_PROJECTS / "hello"))["plan"]
    assert plan["launcher"]["config_path"] == launcher.CONFIG
    assert {"src": "config/launcher.json", "dest": launcher.CONFIG, "owned": False} in plan["files"]
    assert plan["launcher"]["command"][1] == plan["contract"]["launcher"]


def test_pebble_args_syntax_is_parsed_per_service(launcher, config):
    services = config["services"]
    argv = [
        "--args",
        "flask",
        "gevent",
        "--workers",
        "4",
        ";",
        "--args",
        "statsd-exporter",
        "--log.level=debug",
    ]
    assert launcher.parse_service_args(argv, services) == {
        "flask": ["gevent", "--workers", "4"],
        "statsd-exporter": ["--log.level=debug"],
    }
    # Without ";" the next --args starts the next group; a trailing ";" is accepted.
    assert launcher.parse_service_args(
        ["--args", "flask", "sync", "--args", "statsd-exporter", ";"], services
    ) == {
        "flask": ["sync"],
        "statsd-exporter": [],
    }
    assert launcher.parse_service_args([], services) == {}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["sync"],
            "unexpected argument 'sync': expected '--args <service> <argument>...' (services: flask, "
            "statsd-exporter)",
        ),
        (["--args"], "unexpected argument '--args'"),
        (
            ["--args", "pebble", "x"],
            "unknown service 'pebble' after --args: known services are flask, statsd-exporter",
        ),
        (["--args", "flask"], "'--args flask' needs at least the worker class (sync or gevent)"),
        (["--args", "flask", ";"], "'--args flask' needs at least the worker class (sync or gevent)"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(launcher, config, execve, capsys, argv, message):
    assert launcher.main(argv, config) == 2
    assert f"flaskrock-launcher: {message}" in capsys.readouterr().err
    assert execve == []


def test_supervisord_gets_the_default_arguments_of_the_image(launcher, config, execve, monkeypatch):
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--workers 3")
    launcher.main([], config)
    [(path, argv, environment)] = execve
    assert [path, *argv[1:]] == ["/usr/bin/supervisord", "-c", "/etc/supervisor/supervisord.conf"]
    assert environment["FLASK_SERVICE_ARGS"] == "gevent"  # hello-async depends on gevent
    assert environment["STATSD_EXPORTER_SERVICE_ARGS"] == ""
    assert environment["GUNICORN_CMD_ARGS"] == "--workers 3"  # the container's environment is kept


def test_requested_arguments_are_shell_quoted_for_supervisord(launcher, config, execve):
    launcher.main(
        ["--args", "flask", "sync", "--name", "my app's", ";", "--args", "statsd-exporter", "-v"], config
    )
    [(_, _, environment)] = execve
    assert shlex.split(environment["FLASK_SERVICE_ARGS"]) == ["sync", "--name", "my app's"]
    assert environment["STATSD_EXPORTER_SERVICE_ARGS"] == "-v"


def test_without_a_config_argument_it_reads_its_config_file(launcher, tmp_path, monkeypatch, execve):
    path = tmp_path / "launcher.json"
    web = {"default_args": ["x"], "args_env": "WEB_SERVICE_ARGS", "args_required": None}
    path.write_text(json.dumps({"supervisord": ["/bin/true", "-c", "conf"], "services": {"web": web}}))
    monkeypatch.setattr(launcher, "CONFIG", str(path))
    launcher.main(["--args", "web", "y"])
    assert execve == [("/bin/true", ["/bin/true", "-c", "conf"], execve[0][2])]
    assert execve[0][2]["WEB_SERVICE_ARGS"] == "y"


def test_the_launcher_needs_only_the_standard_library():
    source = LAUNCHER.read_text()
    imports = {line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"json", "os", "shlex", "sys"}


@pytest.fixture(scope="module")
def tasks_config():
    """examples/tasks: a worker and a scheduler beside Gunicorn."""
    return inspect_project(str(EXAMPLE_PROJECTS / "tasks"))["plan"]["launcher"]["config"]


@pytest.mark.parametrize(
    ("switch", "scheduler"),
    [(None, "true"), ("enabled", "true"), ("disabled", "false")],
)
def test_the_scheduler_runs_unless_the_deploy_disables_it(
    launcher, tasks_config, execve, monkeypatch, switch, scheduler
):
    if switch is None:
        monkeypatch.delenv("FLASKROCK_SCHEDULER", raising=False)  # a plain docker run: one host
    else:
        monkeypatch.setenv("FLASKROCK_SCHEDULER", switch)
    launcher.main([], tasks_config)
    [(_, _, environment)] = execve
    assert environment["TASKS_WORKER_SERVICE_AUTOSTART"] == "true"  # workers run on every host
    assert environment["TASKS_SCHEDULER_SERVICE_AUTOSTART"] == scheduler


def test_a_service_with_startup_disabled_is_not_started(launcher, tasks_config, execve):
    config = json.loads(json.dumps(tasks_config))
    config["services"]["tasks-worker"]["startup"] = "disabled"
    launcher.main([], config)
    assert execve[0][2]["TASKS_WORKER_SERVICE_AUTOSTART"] == "false"


def test_a_bad_scheduler_switch_exits_2(launcher, tasks_config, execve, monkeypatch, capsys):
    monkeypatch.setenv("FLASKROCK_SCHEDULER", "yes")
    assert launcher.main([], tasks_config) == 2
    assert (
        "flaskrock-launcher: FLASKROCK_SCHEDULER must be 'enabled' or 'disabled', not 'yes'"
        in capsys.readouterr().err
    )
    assert execve == []
