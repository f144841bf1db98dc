"""deploy.yml run the way AWX runs a job template: ansible-runner with a private data dir
(project checkout, inventory, env), survey answers as string extra vars and the secrets
injected by AWX credentials, against this machine's Docker (localhost, connection local).
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
from pathlib import Path

import ansible_runner
import docker
import pytest
import requests
import yaml
from helpers import remove_app

ROOT = Path(__file__).resolve().parents[2]
AWX_PROJECT = ROOT / "examples" / "awx-project"
HELLO = ROOT / "examples" / "hello"
CA_DIR = Path("/usr/local/share/ca-certificates")

APP = "awxtest-hello"
REFUSED_APP = "awxtest-refused"
HTTP_PORT = 38080
METRICS_PORT = 38081
SECRET_KEY = f"awx-secret-key-{secrets.token_hex(16)}"
DB_PASSWORD = f"awx-db-password-{secrets.token_hex(16)}"

pytestmark = pytest.mark.docker


def make_private_data_dir(root: Path, app: str, collections_path: str, python: str) -> Path:
    """What AWX lays out for a job: project/ (the repository), inventory/, env/."""
    project = root / "project"
    shutil.copytree(AWX_PROJECT, project)
    for item in HELLO.iterdir():
        copy = shutil.copytree if item.is_dir() else shutil.copy2
        copy(item, project / item.name)
    rockcraft = yaml.safe_load((project / "rockcraft.yaml").read_text())
    rockcraft["name"] = app  # images and containers named after the app belong to this test
    (project / "rockcraft.yaml").write_text(yaml.safe_dump(rockcraft, sort_keys=False))

    (root / "inventory").mkdir()
    (root / "inventory" / "hosts").write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={python}\n"
    )
    (root / "env").mkdir()
    # In AWX the collections come from the execution environment; here from the checkout.
    (root / "env" / "envvars").write_text(yaml.safe_dump({"ANSIBLE_COLLECTIONS_PATH": collections_path}))
    return root


def statsd_exporter_standin(dest: Path) -> Path:
    """statsd_exporter cannot be downloaded here: package the test stand-in (tests/standins)."""
    sys.path.insert(0, str(ROOT / "tests" / "standins" / "statsd_exporter"))
    try:
        import build as standin_build  # noqa: PLC0415

        standin_build.build(dest)
    finally:
        sys.path.pop(0)
    return dest


def awx_extravars(
    app: str,
    state_dir: Path,
    standin: Path,
    ports: tuple[int, int] = (HTTP_PORT, METRICS_PORT),
    ca_files: list[str] | None = None,
    **survey_answers: str,
) -> dict:
    """Extra vars as AWX sends them: survey answers (strings), launch-time extra vars and
    the credential-injected secrets."""
    http_port, metrics_port = ports
    survey = {
        "deploy_worker_class": "sync",
        "deploy_workers": "2",
        "deploy_threads": "1",
        "deploy_timeout": "30",
        "deploy_migrate": "true",
        "deploy_http_port": str(http_port),
        "deploy_health_check_path": "/",
        "deploy_health_check_timeout": "60",
        "deploy_break_lock": "false",
    }
    survey.update(survey_answers)
    launch = {
        "deploy_manage_docker": "false",
        "deploy_proxy": "false",
        "deploy_http_bind_address": "127.0.0.1",
        "deploy_metrics_port": metrics_port,
        "deploy_base_dir": str(state_dir / "app"),
        "deploy_audit_log_dir": str(state_dir / "audit"),
        "deploy_data_volume": f"{app}-data",
        "deploy_env": {"HELLO_DATA_DIR": "/flask/data"},
        "rock_build_dir": str(state_dir / "rock"),
        "rock_statsd_exporter_src": str(standin),
        # pip in the rock's build stage goes through this machine's intercepting proxy.
        "rock_build_ca_certificates": ca_files if ca_files is not None else host_ca_files(),
    }
    credentials = {
        "deploy_flask_secret_key": SECRET_KEY,
        "deploy_databases": {"postgresql": f"postgresql://flask:{DB_PASSWORD}@db.invalid:5432/hello"},
    }
    # AWX hands extra vars over as JSON: make sure nothing here is not JSON.
    return json.loads(json.dumps({**survey, **launch, **credentials}))


def host_ca_files() -> list[str]:
    return sorted(str(p) for p in CA_DIR.glob("*.crt"))


def app_containers(app: str) -> list:
    client = docker.from_env()
    return [c for c in client.containers.list(all=True) if c.name == app or c.name.startswith(f"{app}-")]


def job_events(runner) -> list[dict]:
    events_dir = Path(runner.config.artifact_dir) / "job_events"
    return [json.loads(p.read_text()) for p in sorted(events_dir.glob("*.json"))]


def all_job_output(runner) -> str:
    """Everything AWX would store and show for the job: stdout and every event."""
    artifact_dir = Path(runner.config.artifact_dir)
    parts = [(artifact_dir / "stdout").read_text()]
    parts += [p.read_text() for p in sorted((artifact_dir / "job_events").glob("*.json"))]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Path:
    return statsd_exporter_standin(tmp_path_factory.mktemp("standin") / "statsd_exporter")


def _run_job(tmp_path: Path, app: str, standin: Path, **survey_answers: str):
    data_dir = make_private_data_dir(
        tmp_path / "runner", app, str(ROOT / ".venv" / "collections"), sys.executable
    )
    return ansible_runner.run(
        private_data_dir=str(data_dir),
        playbook="deploy.yml",
        inventory=str(data_dir / "inventory" / "hosts"),
        extravars=awx_extravars(app, tmp_path / "state", standin, **survey_answers),
        quiet=True,
    )


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            {"deploy_worker_class": "turbo"},
            "value of deploy_worker_class must be one of: auto, sync, gevent, got: turbo",
        ),
        (
            {"deploy_workers": "many"},
            "argument 'deploy_workers' is of type str and we were unable to convert to int",
        ),
    ],
    ids=["worker-class-out-of-choices", "workers-not-an-integer"],
)
def test_wrong_survey_answer_fails_before_any_host_is_touched(tmp_path, standin, answers, message):
    remove_app(REFUSED_APP)
    try:
        runner = _run_job(tmp_path, REFUSED_APP, standin, **answers)
        assert runner.status == "failed", runner.status
        assert runner.rc != 0
        output = all_job_output(runner)
        assert message in output
        # Only the controller-side validation ran: no task of the rock or deploy role.
        events = job_events(runner)
        # Verbose events (a Python warning on the job's stderr) carry no event_data.
        data = [e.get("event_data", {}) for e in events]
        hosts = {d["host"] for d in data if d.get("host")}
        assert hosts == {"localhost"}
        roles = {d["role"] for d in data if d.get("role")}
        assert not roles & {"rock", "deploy", "docker_engine"}, roles
        assert not app_containers(REFUSED_APP)
        assert not [i for i in docker.from_env().images.list() if any(REFUSED_APP in t for t in i.tags)]
        assert SECRET_KEY not in output and DB_PASSWORD not in output
    finally:
        remove_app(REFUSED_APP)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, standin):
    remove_app(APP)
    runner = _run_job(tmp_path_factory.mktemp("deploy"), APP, standin)
    yield runner
    remove_app(APP)


def test_deploy_job_succeeds_and_the_app_answers(deployed):
    assert deployed.status == "successful", all_job_output(deployed)[-6000:]
    assert deployed.rc == 0
    page = requests.get(f"http://127.0.0.1:{HTTP_PORT}/", timeout=10)
    assert page.status_code == 200
    # The migration ran against the data volume before the app started.
    visits = requests.get(f"http://127.0.0.1:{HTTP_PORT}/visits", timeout=10)
    assert visits.status_code == 200, visits.text
    metrics = requests.get(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=10).text
    assert "flask_requests" in metrics


def test_survey_strings_reached_the_container_as_typed_settings(deployed):
    container = docker.from_env().containers.get(APP)
    env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
    gunicorn_args = env.get("GUNICORN_CMD_ARGS", "")
    assert "--workers 2" in gunicorn_args or "--workers=2" in gunicorn_args, gunicorn_args
    # The credential-injected secrets were used, so their absence from the job output means something.
    assert env["FLASK_SECRET_KEY"] == SECRET_KEY
    assert env["POSTGRESQL_DB_PASSWORD"] == DB_PASSWORD


def test_runner_artifacts_hold_the_job_events(deployed):
    events = job_events(deployed)
    kinds = {e["event"] for e in events}
    assert {"playbook_on_start", "runner_on_ok", "playbook_on_stats"} <= kinds
    stats = next(e for e in events if e["event"] == "playbook_on_stats")["event_data"]
    assert stats["failures"] == {} and stats["dark"] == {}
    assert "localhost" in stats["ok"]


def test_no_secret_in_any_event_or_stdout(deployed):
    output = all_job_output(deployed)
    assert SECRET_KEY not in output
    assert DB_PASSWORD not in output
    assert (Path(deployed.config.artifact_dir) / "stdout").stat().st_size > 0


def _run_validate(tmp_path: Path, project_dir: str):
    data_dir = make_private_data_dir(
        tmp_path / "runner", "awxtest-validate", str(ROOT / ".venv" / "collections"), sys.executable
    )
    return ansible_runner.run(
        private_data_dir=str(data_dir),
        playbook="validate.yml",
        inventory=str(data_dir / "inventory" / "hosts"),
        extravars={"project_dir": project_dir},  # the Validate survey's answer
        quiet=True,
    )


def test_validate_job_resolves_project_dir_against_the_checkout(tmp_path):
    runner = _run_validate(tmp_path, ".")
    assert runner.status == "successful", all_job_output(runner)[-4000:]
    results = [
        e["event_data"]["res"]
        for e in job_events(runner)
        if e["event"] == "runner_on_ok"
        and e["event_data"].get("task_action") == "flaskrock.paas.flask_project"
    ]
    assert results and results[0]["name"] == "awxtest-validate"
    assert results[0]["entrypoint"] == "app:app"


def test_validate_job_fails_listing_every_problem(tmp_path):
    runner = _run_validate(tmp_path, "inventory")  # a directory of the checkout that is no Flask project
    assert runner.status == "failed"
    output = all_job_output(runner)
    assert "- missing a requirements file (requirements.txt or pyproject.toml)" in output
    assert "- Missing WSGI entrypoint in default search locations" in output
