"""Helpers shared by the integration tests: run ansible-playbook, clean up after a test deploy."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PLAYBOOKS = REPO_ROOT / "playbooks"
# A play that runs the rock role on every host of the inventory (the tests' variables do the rest).
ROCK_PLAYBOOK = """\
- name: Build a rock
  hosts: all
  gather_facts: false
  roles:
    - role: flaskrock.paas.rock
"""
# Containers, volumes and host state a deploy of <app> may leave behind.
HOST_STATE_DIR = Path("/var/lib/flaskrock")
AUDIT_LOG_DIR = Path("/var/log/flaskrock")
# The deploy role's default deploy_prometheus_file_sd_dir (the tests deploy with the default).
PROMETHEUS_FILE_SD_DIR = Path("/etc/prometheus/file_sd")
# remove_app keeps the layers of the images it removes under this repository until the end of the
# test run (scripts/test.sh sets FLASKROCK_TEST_CACHE_ID; a bare pytest run uses its own id and
# drops them when the session ends): the next test building the same project on the same base
# then takes the apt/pip layers from Docker's build cache instead of rebuilding them.
CACHE_REPOSITORY = "flaskrock-test-cache"


def run_playbook(
    playbook,
    *args,
    inventory=None,
    local=False,
    extra_vars=None,
    vars_dir=None,
    cwd=REPO_ROOT,
    json_output=False,
    merge_stderr=None,
    env=None,
    timeout=1800,
):
    """Run ``ansible-playbook playbook *args`` with the collection's ansible.cfg and this venv.

    - ``inventory``: ``-i`` argument (a path or a host list such as ``"localhost,"``); ``local=True``
      runs on localhost through the local connection (``-i localhost, -c local``).
    - ``extra_vars``: a dict passed as ``-e @file``, the JSON file written in ``vars_dir``
      (a temporary directory when None), so values keep their types.
    - ``cwd``: working directory (relative ``project_dir`` values resolve against it); the
      collection still resolves through REPO_ROOT/ansible.cfg.
    - ``json_output``: use the ansible.posix.json stdout callback (parse ``result.stdout``).
    - ``merge_stderr``: stderr goes into stdout (in order); otherwise it is kept in ``result.stderr``.
      Default: merged, except with ``json_output`` (stdout must stay parseable).
    - ``env``: more environment variables (they win over the ones set here).

    Returns the CompletedProcess; ``result.output`` is stdout (+ stderr when merged).
    """
    command = [str(VENV_BIN / "ansible-playbook")]
    if local:
        command += ["-i", "localhost,", "-c", "local"]
    elif inventory is not None:
        command += ["-i", str(inventory)]
    command += [str(playbook), *args]
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}",
    )
    if json_output:
        environment["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    environment.update(env or {})
    if merge_stderr is None:
        merge_stderr = not json_output
    with tempfile.TemporaryDirectory() as scratch:
        if extra_vars:
            vars_file = Path(vars_dir or scratch) / f"extra-vars-{os.getpid()}.json"
            vars_file.write_text(json.dumps(extra_vars))
            command += ["-e", f"@{vars_file}"]
        result = subprocess.run(
            command,
            cwd=cwd,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
    result.output = result.stdout if merge_stderr else result.stdout + result.stderr
    return result


def local_inventory(path, host="builder"):
    """Write an inventory with one host reached through the local connection."""
    path = Path(path)
    path.write_text(f"{host} ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    return path


def _docker_lines(*args):
    listing = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    return listing.stdout.split()


def _belongs_to(name, app):
    return name == app or name.startswith(f"{app}-")


def build_cache_id():
    return os.environ.get("FLASKROCK_TEST_CACHE_ID") or f"pytest-{os.getpid()}"


def keep_layers(tags):
    """Tag the images behind ``tags`` as CACHE_REPOSITORY:<cache id>-<image id> (layers stay cached)."""
    image_ids = set(_docker_lines("image", "inspect", "--format", "{{.Id}}", *tags)) if tags else set()
    for image_id in image_ids:
        short = image_id.removeprefix("sha256:")[:12]
        subprocess.run(["docker", "tag", image_id, f"{CACHE_REPOSITORY}:{build_cache_id()}-{short}"],
                       capture_output=True, check=False)


def drop_kept_layers(cache_id=None):
    """Remove the CACHE_REPOSITORY tags of ``cache_id`` (default: this run's)."""
    pattern = f"reference={CACHE_REPOSITORY}:{cache_id or build_cache_id()}-*"
    tags = _docker_lines("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", pattern)
    if tags:
        subprocess.run(["docker", "rmi", *tags], capture_output=True, check=False)


def remove_app(app, repository=None):
    """Remove what a test deploy of ``app`` created on this machine.

    Containers and volumes named <app> or <app>-* (the release, <app>-previous, -migrate,
    -check-config, -volume-owner, <app>-data), the images <repository>:* and
    <repository>-build-stage:* (``repository`` defaults to ``app``), and the host state
    /var/lib/flaskrock/<app>, audit log /var/log/flaskrock/<app>.log and Prometheus target file
    /etc/prometheus/file_sd/flaskrock-<app>.yml. The removed images' layers
    stay in Docker's build cache until the end of the test run (``keep_layers``).
    """
    repository = repository or app
    listed = _docker_lines("ps", "-a", "--format", "{{.Names}}", "--filter", f"name={app}")
    containers = [name for name in listed if _belongs_to(name, app)]
    if containers:
        subprocess.run(["docker", "rm", "-f", *containers], capture_output=True, check=False)
    volumes = [name for name in _docker_lines("volume", "ls", "-q", "--filter", f"name={app}")
               if _belongs_to(name, app)]
    if volumes:
        subprocess.run(["docker", "volume", "rm", "-f", *volumes], capture_output=True, check=False)
    for repo in (repository, f"{repository}-build-stage"):
        tags = _docker_lines(
            "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", f"reference={repo}:*"
        )
        if tags:
            keep_layers(tags)
            subprocess.run(["docker", "rmi", "-f", *tags], capture_output=True, check=False)
    shutil.rmtree(HOST_STATE_DIR / app, ignore_errors=True)
    (AUDIT_LOG_DIR / f"{app}.log").unlink(missing_ok=True)
    (PROMETHEUS_FILE_SD_DIR / f"flaskrock-{app}.yml").unlink(missing_ok=True)


def image_tags(repository):
    """The ``repository:tag`` names the local engine has for ``repository``."""
    listing = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}", repository],
        capture_output=True,
        text=True,
        check=True,
    )
    return listing.stdout.split()
