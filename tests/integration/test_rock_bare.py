"""The ``bare`` base for real: rocks assembled from the build-base's own packages serve real apps.

tests/corpus/bare-probe is built on build-base ubuntu@24.04 by the rock role (bare on 22.04 is
built and served by test_corpus.py's notes project, and every bare build checks that each ELF file
finds its libraries); the image runs, and its /probe endpoint exercises what a bare root filesystem must hold
(sqlite3, ssl with the CA bundle, hashlib, zlib/bz2/lzma, json, ctypes, uuid, decimal, zoneinfo,
gevent's C extension, psycopg2-binary, markupsafe's speedups, a user stage package, bash and
coreutils). tests/corpus/rockcraft-init, the project `rockcraft init --profile flask-framework`
writes, is deployed with `scripts/deploy.sh` (the deploy role: check-config, data volume owned
by the app user through bare's own chown, health gate).
"""

import json
import os
import subprocess

import pytest
from deploy_helpers import (
    CA_CERTIFICATES,
    PORT_BASE,
    REPO_ROOT,
    RUN_SUFFIX,
    build_statsd_exporter_standin,
    copy_project,
    docker_inspect,
    http_get,
)
from helpers import ROCK_PLAYBOOK, image_tags, local_inventory, remove_app, run_playbook

pytestmark = pytest.mark.docker

PROBE = f"btest-probe-{RUN_SUFFIX}"
INIT = f"btest-init-{RUN_SUFFIX}"
# Ports of this module: its offsets in deploy_helpers.PORT_BASE.
PROBE_PORTS = {"ubuntu@24.04": PORT_BASE + 16}
INIT_HTTP, INIT_METRICS = PORT_BASE + 17, PORT_BASE + 18
# One build-base: the probe's pip layers are its own, and 22.04's root filesystem is built and
# served by test_corpus.py (notes) already.
PYTHONS = {"ubuntu@24.04": "3.12"}




@pytest.fixture(scope="module")
def work(tmp_path_factory, docker_available):
    directory = tmp_path_factory.mktemp("bare")
    remove_app(PROBE)
    remove_app(INIT)
    yield {"dir": directory, "standin": build_statsd_exporter_standin(directory)}
    remove_app(PROBE)
    remove_app(INIT)


@pytest.fixture(scope="module")
def probe_images(work):
    """bare-probe built once on each build-base: {build_base: image}."""
    project = copy_project(REPO_ROOT / "tests" / "corpus" / "bare-probe", work["dir"] / "bare-probe", PROBE)
    playbook = work["dir"] / "play.yml"
    playbook.write_text(ROCK_PLAYBOOK)
    inventory = local_inventory(work["dir"] / "inventory.ini")
    images = {}
    for build_base in PYTHONS:
        before = set(image_tags(PROBE))
        result = run_playbook(
            playbook,
            inventory=inventory,
            vars_dir=work["dir"],
            extra_vars={
                "rock_project_dir": str(project),
                "rock_build_base": build_base,
                "rock_build_dir": str(work["dir"] / "build"),
                "rock_statsd_exporter_src": str(work["standin"]),
                "rock_build_ca_certificates": CA_CERTIFICATES,
            },
        )
        assert result.returncode == 0, result.output
        (images[build_base],) = set(image_tags(PROBE)) - before
    return images


def run_container(name, image, port):
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    subprocess.run(
        ["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000", image],
        capture_output=True,
        check=True,
    )


def wait_for(url, attempts=60):
    """(status, body) of the first answer, polling by count (each try waits at most 5 s)."""
    for _ in range(attempts):
        status, body = http_get(url)
        if status:
            return status, body
        subprocess.run(["sleep", "1"], check=True)
    return 0, ""


@pytest.mark.parametrize("build_base", list(PYTHONS))
def test_bare_rock_serves_every_capability_the_probe_checks(probe_images, build_base):
    image = probe_images[build_base]
    name = f"{PROBE}-{build_base.replace('@', '-')}"
    run_container(name, image, PROBE_PORTS[build_base])
    status, body = wait_for(f"http://127.0.0.1:{PROBE_PORTS[build_base]}/probe")
    logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True, check=False)
    assert status == 200, logs.stdout + logs.stderr
    results = json.loads(body)
    failed = {name: result["error"] for name, result in results.items() if not result["ok"]}
    assert failed == {}
    values = {name: result["value"] for name, result in results.items()}
    assert values["python"] == PYTHONS[build_base]
    assert values["shell"] == ["5", "_daemon_", "drwxrwxrwt"]  # sh is bash, coreutils, the user, /tmp
    assert values["ssl_handshake"][0] == "VERIFIED"
    assert values["ssl_default_paths"]["x509_ca"] > 50  # the archive's CA bundle, found by default
    assert values["sqlite3"][0] == "stored"
    assert values["compression"] == [True, True, True]
    assert values["gevent"][1] is True and values["markupsafe_speedups"][0] is True
    assert values["psycopg2"] > 0 and values["stage_package"] > 0  # the wheel's libpq, the deb's
    # The image contract: the app user, and nothing of Ubuntu's package management or perl.
    assert docker_inspect(name)["Config"]["User"] == "584792:584792"
    leftovers = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "bash", image, "-c",
         "for p in /usr/bin/apt /usr/bin/apt-get /usr/bin/dpkg /var/lib/dpkg /usr/bin/perl /etc/apt; do "
         '[ -e "$p" ] && echo "$p"; done; true'],
        capture_output=True, text=True, check=True,
    )
    assert leftovers.stdout.split() == []
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def test_rockcraft_init_project_deploys_with_deploy_sh(work):
    """The project `rockcraft init --profile flask-framework` writes (base bare, build-base
    ubuntu@24.04), deployed by the one command a user runs, with a fresh data volume in its
    instance folder. The test adds a migrate.sh to its copy: the migration gate runs on bare too
    (bash, coreutils) and writes to the volume as the app user."""
    project = copy_project(REPO_ROOT / "tests" / "corpus" / "rockcraft-init", work["dir"] / "init", INIT)
    (project / "migrate.sh").write_text('set -eu\nid -u > instance/migrated-by\n')
    environment = dict(
        os.environ,
        DEPLOY_PROXY="false",  # the direct mode: HTTP_PORT is the app's published port
        HTTP_PORT=str(INIT_HTTP),
        METRICS_PORT=str(INIT_METRICS),
        STATSD_EXPORTER_SRC=str(work["standin"]),
    )
    result = subprocess.run(
        ["bash", "scripts/deploy.sh", str(project),
         "-e", "deploy_http_bind_address=127.0.0.1", "-e", "deploy_metrics_bind_address=127.0.0.1",
         "-e", "deploy_manage_docker=false",
         "-e", f"deploy_data_volume={INIT}-data", "-e", "deploy_data_path=/flask/app/instance"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False, timeout=1500,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert http_get(f"http://127.0.0.1:{INIT_HTTP}/") == (200, "Hello, world!\n")
    assert http_get(f"http://127.0.0.1:{INIT_METRICS}/metrics")[0] == 200
    # bare's chown gave the fresh volume to the app user: the app can write its instance folder.
    command = "touch instance/probe && stat -c %u instance && cat instance/migrated-by"
    written = subprocess.run(
        ["docker", "exec", INIT, "bash", "-c", command],
        capture_output=True, text=True, check=False,
    )
    assert (written.returncode, written.stdout.split()) == (0, ["584792", "584792"]), written.stderr
