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

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
STANDIN_BUILDER = REPO_ROOT / "tests" / "standins" / "statsd_exporter" / "build.py"
CA_CERTIFICATES = sorted(glob.glob("/usr/local/share/ca-certificates/*.crt"))
# Names and ports unique to this test process, so two runs at once (a developer's and CI's) do not
# deploy over each other: ports stay in the deploy range 28100-28999.
RUN_SUFFIX = str(os.getpid())
PORT_BASE = 28100 + (os.getpid() % 45) * 20


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
        "deploy_http_bind_address": "127.0.0.1",
        "deploy_metrics_bind_address": "127.0.0.1",
    }


def run_playbook(name, extra_vars, *args, work_dir, timeout=1500):
    """Run playbooks/<name>.yml on localhost (local connection); output = stdout + stderr."""
    vars_file = Path(work_dir) / f"vars-{os.getpid()}.json"
    vars_file.write_text(json.dumps(extra_vars))
    command = [
        str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
        str(REPO_ROOT / "playbooks" / f"{name}.yml"), "-e", f"@{vars_file}", *args,
    ]
    environment = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
                       PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
    result = subprocess.run(command, cwd=REPO_ROOT, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
    return result.returncode, result.stdout


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


def remove_app(app, repository):
    """Remove what a test deploy of app created: containers, volume, images, host state."""
    for suffix in ("", "-previous", "-migrate", "-check-config", "-volume-owner"):
        subprocess.run(["docker", "rm", "-f", app + suffix], capture_output=True, check=False)
    subprocess.run(["docker", "volume", "rm", "-f", f"{app}-data"], capture_output=True, check=False)
    for repo in (repository, f"{repository}-build-stage"):
        images = subprocess.run(["docker", "images", "-q", "--filter", f"reference={repo}:*"],
                                capture_output=True, text=True, check=False).stdout.split()
        tags = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}",
                               "--filter", f"reference={repo}:*"],
                              capture_output=True, text=True, check=False).stdout.split()
        if images:
            subprocess.run(["docker", "rmi", "-f", *tags], capture_output=True, check=False)
    shutil.rmtree(f"/var/lib/flaskrock/{app}", ignore_errors=True)
    Path(f"/var/log/flaskrock/{app}.log").unlink(missing_ok=True)


def copy_project(source, target, name):
    """Copy an example project and rename its rock (isolates images and containers from others)."""
    shutil.copytree(source, target)
    rockcraft = Path(target) / "rockcraft.yaml"
    text = rockcraft.read_text()
    rockcraft.write_text(text.replace(f"name: {Path(source).name}\n", f"name: {name}\n", 1))
    return Path(target)
