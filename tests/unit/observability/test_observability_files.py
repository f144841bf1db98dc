"""The shipped Grafana dashboard and Prometheus alert rules (observability/): they use the metric names
the rock's statsd mapping exports and the job label the deploy's file_sd targets carry, and Prometheus's
own promtool (Debian's prometheus package, scripts/prometheus.sh) accepts and unit-tests them. The
dashboard's queries against a real Prometheus scraping a deployed app:
tests/integration/test_deploy_gevent.py."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible_collections.flaskrock.paas.plugins.plugin_utils._prometheus import PROMETHEUS_JOB

REPO_ROOT = Path(__file__).resolve().parents[3]
OBSERVABILITY = REPO_ROOT / "observability"
DASHBOARD = OBSERVABILITY / "grafana" / "flaskrock-flask.json"
RULES = OBSERVABILITY / "prometheus" / "flaskrock-flask.rules.yml"
RULES_TEST = OBSERVABILITY / "prometheus" / "flaskrock-flask.rules.test.yml"
MAPPING = REPO_ROOT / "roles" / "rock" / "files" / "statsd-mapping.conf"
# Grafana's template variables, as "All" selects them.
VARIABLES = {"$app": ".*", "$host": ".*"}
METRIC = re.compile(r"\b(flask_[a-z_]+|up)\b(?=\s*[{\[])")


def dashboard_queries():
    """(panel title, refId, expr) of every query of the dashboard."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(panel["title"], target["refId"], target["expr"])
            for panel in panels for target in panel["targets"]]


def grafana_to_promql(expr):
    for variable, value in VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def exported_names():
    """The names statsd-exporter exports with the rock's mapping (a timer is a summary: _sum, _count)."""
    names = {mapping["name"] for mapping in yaml.safe_load(MAPPING.read_text())["mappings"]}
    return names | {f"{name}_{suffix}" for name in names for suffix in ("sum", "count")}


@pytest.fixture(scope="module")
def promtool():
    result = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "prometheus.sh")],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"Debian's prometheus package is not available here: {result.stderr.strip()}")
    return result.stdout.strip() + "/promtool"


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)


def test_promtool_accepts_the_rules(promtool):
    result = run([promtool, "check", "rules", str(RULES)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 3 rules found" in result.stdout


def test_the_alerts_fire_as_their_unit_tests_say(promtool):
    # Each alert fires after its 5 minutes and not before (FlaskTargetDown, FlaskTargetMissing,
    # FlaskHighServerErrorRate); rule_files is relative to the test file's directory.
    result = run([promtool, "test", "rules", RULES_TEST.name], cwd=RULES_TEST.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_refuses_a_broken_rule_and_a_wrong_expectation(promtool, tmp_path):
    broken = tmp_path / "broken.rules.yml"
    rules = yaml.safe_load(RULES.read_text())
    rules["groups"][0]["rules"][0]["expr"] = 'up{job="flaskrock"} <'
    broken.write_text(yaml.safe_dump(rules))
    result = run([promtool, "check", "rules", str(broken)])
    assert result.returncode != 0 and "parse error" in result.stdout + result.stderr
    # The unit test fails when the alert would fire before its 5 minutes.
    wrong = yaml.safe_load(RULES_TEST.read_text())
    wrong["rule_files"] = [str(RULES)]
    checks = wrong["tests"][0]["alert_rule_test"]
    checks[0]["exp_alerts"] = checks[1]["exp_alerts"]
    (tmp_path / "wrong.test.yml").write_text(yaml.safe_dump(wrong))
    result = run([promtool, "test", "rules", "wrong.test.yml"], cwd=tmp_path)
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr


def test_every_dashboard_query_parses(promtool, tmp_path):
    # promtool parses recording rules with Prometheus's own PromQL parser, without a server.
    queries = dashboard_queries()
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{index}", "expr": grafana_to_promql(expr)}
        for index, (_, _, expr) in enumerate(queries)
    ]}]}
    (tmp_path / "dashboard.rules.yml").write_text(yaml.safe_dump(rules))
    result = run([promtool, "check", "rules", str(tmp_path / "dashboard.rules.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_the_dashboard_has_the_charm_dashboards_panels():
    queries = dashboard_queries()
    exprs = [expr for _, _, expr in queries]
    assert any("rate(flask_requests{" in expr for expr in exprs)  # request rate
    assert any("sum by (status) (rate(flask_response_code{" in expr for expr in exprs)  # status codes
    for status_class in "2345":  # the charm's 2XX..5XX panels
        assert any(f'status=~"{status_class}.."' in expr for expr in exprs)
    quantiles = {re.search(r'quantile="([0-9.]+)"', expr).group(1) for expr in exprs if "quantile=" in expr}
    assert quantiles == {"0.5", "0.9", "0.99"}
    assert any("flask_request_duration_sum" in expr and "flask_request_duration_count" in expr
               for expr in exprs)
    assert any(expr.startswith("up{") for expr in exprs)  # the targets, down ones included
    assert len({(title, ref) for title, ref, _ in queries}) == len(queries)


def test_the_dashboard_and_the_rules_use_the_exported_names_and_the_deploys_job():
    names = exported_names() | {"up"}
    rules = [rule["expr"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    for expr in [expr for _, _, expr in dashboard_queries()] + rules:
        used = set(METRIC.findall(expr))
        assert used and used <= names, expr
        # Every selector of a flaskrock metric narrows to the deploy's targets.
        selectors = re.findall(r"\b(?:flask_[a-z_]+|up)\{", expr)
        assert expr.count(f'job="{PROMETHEUS_JOB}"') == len(selectors), expr


def test_the_dashboard_is_importable_as_it_is():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "flaskrock-flask"
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert f'job="{PROMETHEUS_JOB}"' in variables["app"]["query"]["query"]
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert all(target["datasource"]["uid"] == "${datasource}" for target in panel["targets"])
    # No variable the queries use is left undefined (Grafana would send "$name" to Prometheus).
    used = {name for _, _, expr in dashboard_queries() for name in re.findall(r"\$(\w+)", expr)}
    assert used <= set(variables)
