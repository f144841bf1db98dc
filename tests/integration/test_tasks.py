"""examples/tasks deployed for real: Flask, an RQ worker and a scheduler in the app container (supervisord
programs), with PostgreSQL and Redis from Ubuntu's packages (playbooks/backing_services.yml) on a Docker
network the app joins through deploy_networks.

A job submitted over HTTP is computed by the worker, which writes its result into PostgreSQL (read back
there with psql); the worker, killed inside the container, is restarted by supervisord; its output and
the scheduler's reach ``docker logs``; the scheduler queues heartbeats the worker stores. Bad inputs
(a network that does not exist, a scheduler host outside the play, a worker that cannot start) fail
with their reason and leave the running release serving. The host choice of the scheduler over
several hosts is unit-tested (tests/unit/plugins/filter/test_deploy_services.py).
"""

import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

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

APP = f"dtest-tasks-{RUN_SUFFIX}"
PREFIX = f"dtest-tasks-{RUN_SUFFIX}-db"
NETWORK = f"{PREFIX}-backing"
HTTP, METRICS = PORT_BASE + 45, PORT_BASE + 46
PASSWORD = f"pw-{RUN_SUFFIX}-tasks"
SUPERVISORCTL = ["supervisorctl", "-c", "/etc/supervisor/supervisord.conf"]
# Bounded polling (no timed assertion): a job, a restart or a heartbeat is waited for at most this long.
WAIT_SECONDS = 60


def backing(state, directory):
    return run_playbook(
        "playbooks/backing_services.yml",
        local=True,
        extra_vars={
            "ansible_python_interpreter": base_vars("")["ansible_python_interpreter"],
            "backing_state": state,
            "backing_prefix": PREFIX,
            "backing_network": NETWORK,
            "backing_postgresql_user": "tasks",
            "backing_postgresql_db": "tasks",
            "backing_postgresql_password": PASSWORD,
        },
        vars_dir=directory,
        timeout=900,
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tasks")
    remove_app(APP, APP)
    started = backing("present", directory)
    assert started.returncode == 0, started.output
    project = copy_project(REPO_ROOT / "examples" / "tasks", directory / "tasks", APP)
    standin = build_statsd_exporter_standin(directory)
    state = {
        "dir": directory,
        "project": project,
        "vars": {
            **base_vars(standin),
            "project_dir": str(project),
            "deploy_http_port": HTTP,
            "deploy_metrics_port": METRICS,
            "deploy_manage_docker": False,
            "deploy_networks": [NETWORK],
            "deploy_databases": {
                "postgresql": f"postgresql://tasks:{PASSWORD}@{PREFIX}-postgresql:5432/tasks",
                "redis": f"redis://{PREFIX}-redis:6379/0",
            },
        },
    }
    yield state
    remove_app(APP, APP)
    backing("absent", directory)


def deploy(work, **overrides):
    result = run_playbook(
        "playbooks/deploy.yml",
        local=True,
        extra_vars={**work["vars"], **overrides},
        vars_dir=work["dir"],
        timeout=1500,
    )
    return result.returncode, result.output


def post_task(n):
    request = urllib.request.Request(
        f"http://127.0.0.1:{HTTP}/tasks",
        data=json.dumps({"n": n}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        return json.loads(response.read())["id"]


def psql(query):
    result = subprocess.run(
        [
            "docker",
            "exec",
            f"{PREFIX}-postgresql",
            "psql",
            "-h",
            "/tmp",
            "-U",
            "tasks",
            "-d",
            "tasks",
            "-tAc",
            query,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def poll(check, what):
    """check() until it returns a true value, at most WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"{what} did not happen within {WAIT_SECONDS} s"
            return value
        time.sleep(0.5)


def supervisorctl(*args):
    return subprocess.run(
        ["docker", "exec", APP, *SUPERVISORCTL, *args], capture_output=True, text=True, check=False
    ).stdout


def worker_result(task_id):
    row = psql(f"SELECT status, result FROM tasks WHERE id = {int(task_id)}")
    return row if row.startswith("done|") else None


def test_a_job_runs_in_the_worker_and_its_result_is_in_postgresql(work):
    rc, output = deploy(work)
    assert rc == 0, output
    container = docker_inspect(APP)
    assert list(container["NetworkSettings"]["Networks"]) == [NETWORK]
    assert "FLASKROCK_SCHEDULER=enabled" in container["Config"]["Env"]  # the play's only host

    task_id = post_task(10)
    # The worker (an RQ worker run by /bin/python3, the rock's interpreter) wrote the result.
    assert poll(lambda: worker_result(task_id), "the job") == "done|385"  # 1² + ... + 10²
    status, body = http_get(f"http://127.0.0.1:{HTTP}/tasks/{task_id}")
    assert status == 200 and json.loads(body)["result"] == 385

    status = supervisorctl("status")
    assert "tasks-worker" in status and "tasks-scheduler" in status
    # The scheduler runs here and queues heartbeats that the worker stores.
    poll(lambda: int(psql("SELECT count(*) FROM heartbeats")) > 0, "a heartbeat")


def test_a_killed_worker_is_restarted_and_works_again(work):
    old_pid = int(supervisorctl("pid", "tasks-worker").strip())
    assert old_pid > 0
    subprocess.run(
        ["docker", "exec", APP, "python3", "-c", f"import os, signal; os.kill({old_pid}, signal.SIGKILL)"],
        check=True,
    )

    def restarted():
        line = supervisorctl("status", "tasks-worker")
        pid = supervisorctl("pid", "tasks-worker").strip()
        return "RUNNING" in line and pid.isdigit() and int(pid) not in (0, old_pid)

    poll(restarted, "the restart of the killed worker")
    task_id = post_task(3)
    assert poll(lambda: worker_result(task_id), "a job after the restart") == "done|14"


def test_worker_and_scheduler_logs_reach_docker_logs(work):
    def worker_logged():
        result = subprocess.run(["docker", "logs", APP], capture_output=True, text=True, check=True)
        text = result.stdout + result.stderr
        return text if "app.jobs.sum_of_squares" in text else None

    text = poll(worker_logged, "the worker's log")
    assert "tasks-scheduler: heartbeat queued (every 3 s)" in text
    assert "exited: tasks-worker (terminated by SIGKILL" in text  # supervisord saw the kill


def test_a_network_that_does_not_exist_changes_nothing(work):
    before = docker_inspect(APP)["Id"]
    rc, output = deploy(work, deploy_networks=[NETWORK, f"no-such-network-{RUN_SUFFIX}"])
    assert rc != 0, output[-6000:]
    assert (
        f"deploy_networks names no-such-network-{RUN_SUFFIX}, which does not exist on localhost: create it "
        "first (docker network create NAME, or community.docker.docker_network) or remove it from "
        "deploy_networks. Nothing was changed."
    ) in " ".join(output.split())
    assert docker_inspect(APP)["Id"] == before


def test_a_scheduler_host_outside_the_play_is_refused(work):
    before = docker_inspect(APP)["Id"]
    rc, output = deploy(work, deploy_scheduler_host="db9")
    assert rc != 0, output[-6000:]
    assert "deploy_scheduler_host 'db9' is not a host of this play (localhost)" in output
    assert docker_inspect(APP)["Id"] == before


def test_a_worker_that_cannot_start_fails_the_release_and_the_old_one_keeps_serving(work):
    before = docker_inspect(APP)
    rockcraft = Path(work["project"]) / "rockcraft.yaml"
    good = rockcraft.read_text()
    rockcraft.write_text(good.replace("--config app.rq_settings", "--config app.no_such_settings"))
    try:
        rc, output = deploy(work, deploy_services_check_timeout=20)
    finally:
        rockcraft.write_text(good)
    assert rc != 0, output[-6000:]
    flat = " ".join(output.split())
    expected = (
        "answered its health check but its services did not all run for 5 s without a restart within 20 s"
    )
    assert expected in flat
    # The message names the failing service and its last state: crashing for good (BACKOFF, FATAL,
    # EXITED), caught restarting, or still starting over again when the check's time ran out.
    assert re.search(
        r"within 20 s \((?:[^()]*; )?tasks-worker (?:BACKOFF|FATAL|EXITED|STARTING|RUNNING|restarted)", flat
    ), flat[-3000:]
    assert "The previous release was brought back and serves again." in flat
    after = docker_inspect(APP)
    assert after["Id"] == before["Id"] and after["State"]["Running"]
    assert http_get(f"http://127.0.0.1:{HTTP}/")[0] == 200
    task_id = post_task(2)
    assert poll(lambda: worker_result(task_id), "a job on the restored release") == "done|5"
