"""Gunicorn worker class of a deployed rock: gevent by default for hello-async, switchable to sync; a real
Prometheus scraping it through the file_sd target the deploy wrote."""

import json
import re
import subprocess

import pytest
import yaml
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
from helpers import PROMETHEUS_FILE_SD_DIR
from prometheus_helpers import Prometheus, dashboard_queries

pytestmark = pytest.mark.docker

APP = f"dtest-async-{RUN_SUFFIX}"
HTTP, METRICS = PORT_BASE + 10, PORT_BASE + 11
PROMETHEUS_PORT = PORT_BASE + 50  # the observability block (50-54)


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


def test_a_real_prometheus_scrapes_the_app_through_the_deploys_file_sd_target(work, tmp_path):
    """Issue 14: the file_sd target the deploy wrote, read by Debian's Prometheus 2.42; the target is up
    with the deploy's labels, the shipped alert rules load, and every dashboard query returns data."""
    target_file = PROMETHEUS_FILE_SD_DIR / f"flaskrock-{APP}.yml"
    release = docker_inspect(APP)["Config"]["Labels"]["io.flaskrock.paas.release"]
    assert yaml.safe_load(target_file.read_text()) == [{
        "targets": [f"127.0.0.1:{METRICS}"],
        "labels": {"app": APP, "host": "localhost", "job": "flaskrock", "release": release},
    }]
    prometheus = Prometheus(tmp_path, PROMETHEUS_PORT, [target_file])
    try:
        up = prometheus.wait_for(
            lambda: [target for target in prometheus.targets()
                     if target["labels"].get("app") == APP and target["health"] == "up"],
            "the app's target to be up",
        )
        # The target's own job label wins over the scrape job's name: the shipped rules match it.
        assert up[0]["labels"] == {"app": APP, "host": "localhost", "job": "flaskrock", "release": release,
                                   "instance": f"127.0.0.1:{METRICS}"}
        assert up[0]["scrapePool"] == "flaskrock-apps"
        before = _exported_requests()
        for path in ["/"] * 10 + ["/io"] * 5 + ["/no-such-page"] * 3:
            http_get(f"http://127.0.0.1:{HTTP}{path}")
        # Two scrapes after the requests reached the exporter: rate() has its two samples.
        exported = prometheus.wait_for(lambda: _exported_requests(at_least=before + 18),
                                       "the exporter to count the 18 requests")
        prometheus.wait_for(
            lambda: prometheus.query(f'count_over_time(flask_requests{{app="{APP}"}}[1m]) >= 2 '
                                     f'and flask_requests{{app="{APP}"}} >= {exported}')["data"]["result"],
            "two scrapes of the requests")
        prometheus.wait_for(lambda: prometheus.query(f'flask_request_duration_count{{app="{APP}"}} > 0 '
                                                     f'and changes(flask_requests{{app="{APP}"}}[1m]) > 0')
                            ["data"]["result"], "the request counter to change between two scrapes")
        answers = {}
        for title, expr in dashboard_queries():
            answer = prometheus.query(expr.replace("$app", APP).replace("$host", ".*"))
            assert answer["status"] == "success", (title, expr, answer)
            answers[expr] = answer["data"]["result"]
        assert [expr for expr, result in answers.items() if not result] == []
        codes = prometheus.query(f'sum by (status) (flask_response_code{{app="{APP}"}})')["data"]["result"]
        assert {"200", "404"} <= {series["metric"]["status"] for series in codes}
        rules = {rule["name"]: rule for rule in prometheus.rules()}
        assert set(rules) == {"FlaskTargetDown", "FlaskTargetMissing", "FlaskHighServerErrorRate"}
        assert {rule["health"] for rule in rules.values()} == {"ok"}
        assert rules["FlaskTargetDown"]["state"] == "inactive"
        assert rules["FlaskTargetMissing"]["state"] == "inactive"
    finally:
        prometheus.stop()


def _exported_requests(at_least=0):
    """flask_requests as the app's statsd-exporter exports it; 0 while it is below ``at_least``."""
    status, body = http_get(f"http://127.0.0.1:{METRICS}/metrics")
    found = re.search(r"^flask_requests (\d+)", body, re.MULTILINE) if status == 200 else None
    value = int(found.group(1)) if found else 0
    return value if value >= at_least else 0
