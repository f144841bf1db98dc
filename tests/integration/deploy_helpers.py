"""Helpers of the deploy tests: run the deploy/rollback playbooks against this machine's Docker."""

import glob
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from helpers import REPO_ROOT, remove_app, run_playbook  # noqa: F401  (re-exported to the deploy tests)

STANDIN_BUILDER = REPO_ROOT / "tests" / "standins" / "statsd_exporter" / "build.py"
CA_CERTIFICATES = sorted(glob.glob("/usr/local/share/ca-certificates/*.crt"))
# Names unique to this test process and ports unique to this test run, so two runs at once (a
# developer's and CI's) do not deploy over each other. Under pytest-xdist the run is the parent
# process and every module keeps its own offsets below PORT_SPAN: test_deploy 0-9, test_deploy_gevent
# 10-11, test_app_syntax 12-13, test_corpus 14-15, test_rock_bare 16-18, proxy tests 20-39,
# more proxy tests 40-44, workers/backing services 45-49, observability 50-54, env families 55-59.
# Ports stay in 28300-29319, above the Molecule scenarios' fixed ports (28200-28299).
RUN_SUFFIX = str(os.getpid())
PORT_SPAN = 60
_RUN_PID = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
PORT_BASE = 28300 + (_RUN_PID % 17) * PORT_SPAN


def build_statsd_exporter_standin(directory):
    """The test stand-in of statsd_exporter (the real binary cannot be fetched here)."""
    target = Path(directory) / "statsd_exporter-standin"
    subprocess.run([sys.executable, str(STANDIN_BUILDER), str(target)], check=True, capture_output=True)
    return target


def base_vars(standin):
    return {
        "ansible_python_interpreter": sys.executable,
        "rock_statsd_exporter_src": str(standin),
        "rock_build_ca_certificates": CA_CERTIFICATES,
        # The existing deploy tests test the direct mode; tests/integration/test_proxy.py the proxy.
        "deploy_proxy": False,
        "deploy_http_bind_address": "127.0.0.1",
        "deploy_metrics_bind_address": "127.0.0.1",
    }


def recap_changed(output, host="localhost"):
    """Sum of changed=N over the PLAY RECAP lines of host."""
    total = 0
    for line in output.splitlines():
        if line.startswith(host) and "changed=" in line and "ok=" in line:
            total += int(line.split("changed=")[1].split()[0])
    return total


def http_get(url, timeout=5):
    """(status, body) of a GET; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def docker_inspect(name):
    result = subprocess.run(["docker", "inspect", name], capture_output=True, text=True, check=False)
    return json.loads(result.stdout)[0] if result.returncode == 0 else None


def copy_project(source, target, name):
    """Copy an example project and rename its rock (isolates images and containers from others)."""
    shutil.copytree(source, target)
    rockcraft = Path(target) / "rockcraft.yaml"
    text = rockcraft.read_text()
    rockcraft.write_text(text.replace(f"name: {Path(source).name}\n", f"name: {name}\n", 1))
    return Path(target)
