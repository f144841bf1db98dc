"""Gunicorn worker class of a deployed rock: gevent by default for hello-async, switchable to sync."""

import json
import subprocess

import pytest
from deploy_helpers import (
    PORT_BASE,
    REPO_ROOT,
    RUN_SUFFIX,
    base_vars,
    build_statsd_exporter_standin,
    copy_project,
    docker_inspect,
    http_get,
    remove_app,
    run_playbook,
)

pytestmark = pytest.mark.docker

APP = f"dtest-async-{RUN_SUFFIX}"
HTTP, METRICS = PORT_BASE + 10, PORT_BASE + 11


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    directory = tmp_path_factory.mktemp("deploy-gevent")
    remove_app(APP, APP)
    project = copy_project(REPO_ROOT / "examples" / "hello-async", directory / "hello-async", APP)
    standin = build_statsd_exporter_standin(directory)
    state = {"dir": directory, "vars": {**base_vars(standin), "project_dir": str(project),
                                        "deploy_http_port": HTTP, "deploy_metrics_port": METRICS,
                                        "deploy_manage_docker": False}}
    yield state
    remove_app(APP, APP)


def deploy(work, **overrides):
    result = run_playbook("playbooks/deploy.yml", local=True, extra_vars={**work["vars"], **overrides},
                          vars_dir=work["dir"], timeout=1500)
    return result.returncode, result.output


def gunicorn_worker_class():
    processes = subprocess.run(["docker", "top", APP], capture_output=True, text=True, check=True).stdout
    command = next(line for line in processes.splitlines() if "gunicorn" in line)
    return command.split(" -k ")[1].split()[0]


def test_gevent_by_default_then_sync_on_request(work):
    rc, output = deploy(work)
    assert rc == 0, output
    assert docker_inspect(APP)["Config"]["Cmd"] == ["--args", "flask", "gevent"]
    assert gunicorn_worker_class() == "gevent"
    status, body = http_get(f"http://127.0.0.1:{HTTP}/io")
    assert status == 200 and json.loads(body) == {"slept_ms": 50}

    rc, output = deploy(work, deploy_worker_class="sync")
    assert rc == 0, output
    assert docker_inspect(APP)["Config"]["Cmd"] == ["--args", "flask", "sync"]
    assert gunicorn_worker_class() == "sync"
    assert http_get(f"http://127.0.0.1:{HTTP}/io")[0] == 200
