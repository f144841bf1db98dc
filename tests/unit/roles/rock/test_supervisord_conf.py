"""roles/rock/templates/supervisord.conf.j2 rendered from the plan of examples/tasks: the project's
worker and scheduler are supervisord programs run unchanged, started as the launcher decides."""

import configparser
import shlex
from pathlib import Path

import jinja2
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import inspect_project

ROOT = Path(__file__).resolve().parents[4]


def render(project):
    plan = inspect_project(str(ROOT / "examples" / project))["plan"]
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(ROOT / "roles" / "rock" / "templates")),
        trim_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["quote"] = shlex.quote
    text = environment.get_template("supervisord.conf.j2").render(_rock_plan=plan)
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


def test_worker_and_scheduler_are_programs_of_the_web_container():
    conf = render("tasks")
    worker = conf["program:tasks-worker"]
    assert worker["command"] == (
        "/bin/python3 -m rq.cli worker --config app.rq_settings tasks %(ENV_TASKS_WORKER_SERVICE_ARGS)s"
    )
    assert worker["directory"] == "/flask/app"
    assert worker["autostart"] == "%(ENV_TASKS_WORKER_SERVICE_AUTOSTART)s"
    assert worker["autorestart"] == "true"
    assert worker["stdout_logfile"] == "/dev/fd/1" and worker["stderr_logfile"] == "/dev/fd/2"
    scheduler = conf["program:tasks-scheduler"]
    assert scheduler["command"].startswith("env HEARTBEAT_SECONDS=3 /bin/python3 -m app.scheduler ")
    assert scheduler["autostart"] == "%(ENV_TASKS_SCHEDULER_SERVICE_AUTOSTART)s"
    # Gunicorn and statsd-exporter always start.
    assert conf["program:flask"]["autostart"] == "true"


def test_a_project_without_services_has_only_the_extension_programs():
    conf = render("hello")
    assert [section for section in conf.sections() if section.startswith("program:")] == [
        "program:statsd-exporter",
        "program:flask",
    ]
