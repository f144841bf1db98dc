"""A real Prometheus for the integration tests: Debian's prometheus 2.42 (unpacked by
scripts/prometheus.sh), on a loopback port, with its own data directory, scraping the file_sd target
files the deploy role writes, every second."""

import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml
from helpers import REPO_ROOT

RULES = REPO_ROOT / "observability" / "prometheus" / "flaskrock-flask.rules.yml"
DASHBOARD = REPO_ROOT / "observability" / "grafana" / "flaskrock-flask.json"


def prometheus_bin():
    """The directory holding prometheus and promtool; skips the test when apt cannot provide them."""
    result = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "prometheus.sh")],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"Debian's prometheus package is not available here: {result.stderr.strip()}")
    return result.stdout.strip()


class Prometheus:
    """``prometheus`` started on 127.0.0.1:<port>; ``stop()`` ends it (the process this object started)."""

    def __init__(self, directory, port, file_sd_files, job_name="flaskrock-apps"):
        self.url = f"http://127.0.0.1:{port}"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES)],
            "scrape_configs": [{
                "job_name": job_name,
                "file_sd_configs": [
                    {"files": [str(path) for path in file_sd_files], "refresh_interval": "1s"},
                ],
            }],
        }
        (directory / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = directory / "prometheus.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [f"{prometheus_bin()}/prometheus", f"--config.file={directory / 'prometheus.yml'}",
                 f"--storage.tsdb.path={directory / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            self.wait_for(self.ready, "Prometheus to be ready")
        except BaseException:
            self.stop()
            raise

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def ready(self):
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def query(self, expr):
        """The /api/v1/query answer for ``expr`` (an error answer included: status, errorType, error)."""
        return self.api("query", query=expr)

    def api(self, endpoint, **params):
        url = f"{self.url}/api/v1/{endpoint}?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.loads(response.read().decode())
        except urllib.error.HTTPError as error:
            return json.loads(error.read().decode())

    def targets(self):
        return self.api("targets")["data"]["activeTargets"]

    def rules(self):
        return [rule for group in self.api("rules")["data"]["groups"] for rule in group["rules"]]

    def wait_for(self, condition, what, deadline=90):
        """Poll ``condition`` every 0.5 s; fail naming ``what`` and Prometheus's log after ``deadline`` s."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.process.poll() is not None:
                break
            value = condition()
            if value:
                return value
            time.sleep(0.5)
        pytest.fail(f"waited in vain for {what}; Prometheus log:\n{self.log.read_text()[-3000:]}")
        return None


def dashboard_queries():
    """(panel title, expr) of every query of the shipped dashboard."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(panel["title"], target["expr"]) for panel in panels for target in panel["targets"]]
