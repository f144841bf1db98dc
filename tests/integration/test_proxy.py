"""End-to-end tests of the proxy mode (roles/proxy and deploy_proxy: true) on this machine's Docker.

A real HAProxy from the Ubuntu archive (its image built by the proxy role), one image of examples/hello
built once for the module and deployed as two apps behind one proxy of this module (its own container,
directory and ports PORT_BASE+20..39). Pollers hit the proxy every ~20 ms from threads during the
releases: a release, a refused release and a rollback must not fail a single request.
"""

import hashlib
import http.client
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from certificates import certificate
from deploy_helpers import (
    PORT_BASE,
    REPO_ROOT,
    RUN_SUFFIX,
    base_vars,
    build_statsd_exporter_standin,
    copy_project,
    docker_inspect,
    recap_changed,
    remove_app,
    run_playbook,
)

pytestmark = pytest.mark.docker

APP, OTHER = f"ptest-a-{RUN_SUFFIX}", f"ptest-b-{RUN_SUFFIX}"
HTTP, HTTPS = PORT_BASE + 20, PORT_BASE + 21
METRICS, OTHER_METRICS = PORT_BASE + 22, PORT_BASE + 23
BACKEND, OTHER_BACKEND = PORT_BASE + 24, PORT_BASE + 28  # 4 loopback ports each
PROXY = f"ptest-proxy-{RUN_SUFFIX}"
PROXY_DIR = Path(f"/var/lib/flaskrock/{PROXY}")
DOMAIN = "b.flaskrock.test"
DEPLOY_ROLE_PLAYBOOK = """\
- name: Deploy an image that is already built
  hosts: all
  gather_facts: false
  roles:
    - role: flaskrock.paas.deploy
"""
# The example app, plus a route echoing what the proxy tells it (the copy only).
FORWARDED_ROUTE = """

@app.route("/forwarded")
def forwarded():
    from flask import request
    return {name: request.headers.get(name, "") for name in
            ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")}
"""


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    directory = tmp_path_factory.mktemp("proxy")
    cleanup()
    project = copy_project(REPO_ROOT / "examples" / "hello", directory / "hello", APP)
    with (project / "app.py").open("a") as app:
        app.write(FORWARDED_ROUTE)
    (project / "static" / "release.txt").write_text("A")
    standin = build_statsd_exporter_standin(directory)
    (directory / "deploy-role.yml").write_text(DEPLOY_ROLE_PLAYBOOK)
    state = {
        "dir": directory,
        "project": project,
        "vars": {
            **base_vars(standin),
            "deploy_proxy": True,
            "project_dir": str(project),
            "deploy_metrics_port": METRICS,
            "deploy_proxy_backend_port": BACKEND,
            "deploy_config": {"greeting": "Hi from app A"},
            "deploy_manage_docker": False,
            "deploy_graceful_timeout": 10,
            "proxy_http_port": HTTP,
            "proxy_https_port": HTTPS,
            "proxy_bind_addresses": ["127.0.0.1"],
            "proxy_name": PROXY,
            "proxy_dir": str(PROXY_DIR),
        },
    }
    yield state
    cleanup()


def cleanup():
    subprocess.run(["docker", "rm", "-f", PROXY], capture_output=True, check=False)
    shutil.rmtree(PROXY_DIR, ignore_errors=True)
    remove_app(OTHER, OTHER)
    remove_app(APP, APP)


def deploy(work, *args, playbook="playbooks/deploy.yml", **overrides):
    result = run_playbook(
        playbook,
        *args,
        local=True,
        extra_vars={**work["vars"], **overrides},
        vars_dir=work["dir"],
        timeout=1500,
    )
    return result.returncode, result.output


def deploy_other(work, **overrides):
    """OTHER: the image of APP deployed under another name, on a domain (no second build)."""
    image = docker_inspect(APP)["Config"]["Image"]
    variables = {key: value for key, value in work["vars"].items() if key != "project_dir"}
    variables.update(
        deploy_image=image,
        deploy_app_name=OTHER,
        deploy_domains=[DOMAIN],
        deploy_metrics_port=OTHER_METRICS,
        deploy_proxy_backend_port=OTHER_BACKEND,
        deploy_config={"greeting": "Hi from app B"},
        deploy_https_redirect=True,
        deploy_hsts_max_age=31536000,
        **overrides,
    )
    result = run_playbook(
        work["dir"] / "deploy-role.yml", local=True, extra_vars=variables, vars_dir=work["dir"], timeout=600
    )
    return result.returncode, result.output


def request(path="/", host=None, https=False, server_name=None, context=None):
    """(status, headers, body) through the proxy; status 0 when it does not answer."""
    port = HTTPS if https else HTTP
    if https:
        context = context or ssl._create_unverified_context()  # the proxy's self-signed default
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=context)
        if server_name:
            connection = _sni_connection(port, server_name, context)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    except OSError:
        return 0, {}, ""
    finally:
        connection.close()


def _sni_connection(port, server_name, context):
    connection = http.client.HTTPSConnection(server_name, port, timeout=5, context=context)

    def connect():
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sock = context.wrap_socket(raw, server_hostname=server_name)

    connection.connect = connect
    return connection


class Poller:
    """Threads asking the proxy for / every ~20 ms (at most `limit` requests each) and counting what fails."""

    def __init__(self, threads=2, interval=0.02, limit=30000, host=None):
        self.interval, self.limit, self.host = interval, limit, host
        self.stop, self.lock = threading.Event(), threading.Lock()
        self.count, self.failures = 0, []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self):
        for _ in range(self.limit):
            if self.stop.is_set():
                return
            status, _headers, _body = request("/", host=self.host)
            with self.lock:
                self.count += 1
                if not 200 <= status < 400:
                    self.failures.append(status)
            self.stop.wait(self.interval)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def proxy_config_sha():
    return hashlib.sha256((PROXY_DIR / "haproxy.cfg").read_bytes()).hexdigest()


def container_id(name=APP):
    info = docker_inspect(name)
    return info and info["Id"]


def test_deploy_serves_http_https_and_metrics_through_the_proxy(work):
    rc, output = deploy(work)
    assert rc == 0, output
    assert f"App:     http://127.0.0.1:{HTTP}/" in output
    assert f"App:     https://127.0.0.1:{HTTPS}/" in output
    status, _headers, body = request("/")
    assert status == 200 and "Hi from app A" in body
    status, _headers, body = request("/", https=True)
    assert status == 200 and "Hi from app A" in body
    status, _headers, body = request("/forwarded", https=True, host="shop.example:8443")
    forwarded = json.loads(body)
    assert forwarded["X-Forwarded-Proto"] == "https" and forwarded["X-Forwarded-Host"] == "shop.example:8443"
    assert forwarded["X-Forwarded-For"] == "127.0.0.1"
    # The release publishes its slot on loopback and on the host's docker0 address (Docker's bridge
    # gateway, read from the engine), where HAProxy reaches it without docker-proxy; the proxy serves
    # the app's ports.
    gateway = docker0_address()
    bindings = docker_inspect(APP)["HostConfig"]["PortBindings"]
    assert {binding["HostIp"] for ports in bindings.values() for binding in ports} == {"127.0.0.1", gateway}
    record = json.loads((PROXY_DIR / "apps" / f"{APP}.json").read_text())
    assert record["address"] == gateway
    servers = re.findall(r"^\s*server release (\S+)", (PROXY_DIR / "haproxy.cfg").read_text(), re.MULTILINE)
    assert servers == [f"{gateway}:{record['port']}", f"{gateway}:{record['port'] + 1}"]  # app, metrics
    with socket.create_connection(("127.0.0.1", METRICS), timeout=5) as metrics:
        metrics.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        assert b"200" in metrics.recv(64)
    assert record["port"] in (BACKEND, BACKEND + 2) and record["domains"] == []
    assert oct((PROXY_DIR / "tls" / "default.pem").stat().st_mode & 0o777) == "0o600"

    # A second run changes nothing: no release, no reload.
    sha = proxy_config_sha()
    rc, output = deploy(work)
    assert rc == 0 and recap_changed(output) == 0, output
    assert proxy_config_sha() == sha


def docker0_address():
    """The host's IPv4 address on docker0, as the kernel has it (not through the engine's API)."""
    output = subprocess.run(
        ["ip", "-o", "-4", "addr", "show", "dev", "docker0"], capture_output=True, text=True, check=True
    ).stdout
    return re.search(r"\binet (\d+\.\d+\.\d+\.\d+)/", output).group(1)


def leave_next_release(app):
    """<app>-next as a deploy interrupted during its health gate leaves it: the running release's image,
    labels, command and environment file, on the slot the proxy does not route to."""
    info = docker_inspect(app)
    record = json.loads((PROXY_DIR / "apps" / f"{app}.json").read_text())
    port = record["slot_base"] + (2 if record["port"] == record["slot_base"] else 0)
    labels = [
        arg for name, value in info["Config"]["Labels"].items() for arg in ("--label", f"{name}={value}")
    ]
    ports = ["-p", f"127.0.0.1:{port}:8000", "-p", f"127.0.0.1:{port + 1}:9102"]
    env_file = ["--env-file", f"/var/lib/flaskrock/{app}/app.env"]
    command = [*labels, *env_file, *ports, info["Config"]["Image"], *info["Config"]["Cmd"]]
    subprocess.run(
        ["docker", "run", "-d", "--name", f"{app}-next", *command], capture_output=True, check=True
    )
    return container_id(f"{app}-next")


def test_code_change_release_fails_no_request(work):
    before = container_id()
    leftover = leave_next_release(APP)  # an interrupted deploy's <app>-next holds the next slot
    (work["project"] / "static" / "release.txt").write_text("B")
    with Poller() as poller:
        rc, output = deploy(work)
    assert rc == 0, output
    assert "TASK [flaskrock.paas.deploy : Remove the next release an interrupted deploy left]" in output
    assert leftover not in (container_id(), container_id(f"{APP}-previous"))
    assert poller.count > 100 and poller.failures == [], (poller.count, poller.failures[:20])
    assert request("/static/release.txt")[2] == "B"
    assert docker_inspect(f"{APP}-previous")["Id"] == before
    assert docker_inspect(f"{APP}-next") is None


def test_unhealthy_release_keeps_the_old_one_serving(work):
    before, sha = container_id(), proxy_config_sha()
    never_on_8000 = {"GUNICORN_CMD_ARGS": "--bind 127.0.0.1:8001"}
    with Poller() as poller:
        rc, output = deploy(work, deploy_health_check_timeout=5, deploy_env=never_on_8000)
    assert rc != 0, output
    assert "Traffic was not switched: the running release keeps serving." in output
    assert "Listening at: http://127.0.0.1:8001" in output
    assert poller.count > 50 and poller.failures == [], (poller.count, poller.failures[:20])
    assert container_id() == before and proxy_config_sha() == sha
    assert docker_inspect(f"{APP}-next") is None
    assert request("/static/release.txt")[2] == "B"


def test_rollback_switches_back_without_failing_a_request(work):
    with Poller() as poller:
        rc, output = deploy(work, playbook="playbooks/rollback.yml", deploy_app_name=APP)
    assert rc == 0, output
    assert poller.count > 50 and poller.failures == [], (poller.count, poller.failures[:20])
    assert request("/static/release.txt")[2] == "A"


def test_second_app_on_a_domain_with_its_certificate_redirect_and_hsts(work):
    cert, key = certificate([DOMAIN])
    work["other_cert"] = cert
    rc, output = deploy_other(work, deploy_tls_certificate=cert, deploy_tls_key=key)
    assert rc == 0, output
    assert key.splitlines()[1] not in output
    stored = PROXY_DIR / "certs" / f"{OTHER}.pem"
    assert (
        oct(stored.stat().st_mode & 0o777) == "0o600" and oct(stored.parent.stat().st_mode & 0o777) == "0o700"
    )
    # Routed by Host: the domain to OTHER, any other name to APP (the default app).
    assert "Hi from app A" in request("/", host="unknown.example")[2]
    status, headers, _body = request("/", host=DOMAIN)
    assert status == 301 and headers["location"] == f"https://{DOMAIN}/"
    trusting = ssl.create_default_context(cadata=cert)
    status, headers, body = request("/", host=DOMAIN, https=True, server_name=DOMAIN, context=trusting)
    assert status == 200 and "Hi from app B" in body  # served with OTHER's own certificate (verified)
    assert headers["strict-transport-security"] == "max-age=31536000"
    status, headers, body = request("/", https=True)
    assert "Hi from app A" in body and "strict-transport-security" not in headers


def test_duplicate_domain_and_bad_certificates_change_nothing(work):
    sha, ids = proxy_config_sha(), (container_id(APP), container_id(OTHER))
    # A container named <app>-next that no deploy started is never removed: the deploy stops instead.
    image = docker_inspect(OTHER)["Config"]["Image"]
    foreign = f"{OTHER}-next"
    subprocess.run(["docker", "run", "-d", "--name", foreign, "--entrypoint", "sleep", image, "600"],
                   capture_output=True, check=True)  # fmt: skip
    try:
        rc, output = deploy_other(work)
        assert rc != 0
        assert f"A container named {foreign} exists that no deploy of {OTHER} started" in output
        assert docker_inspect(foreign)["State"]["Running"]
    finally:
        subprocess.run(["docker", "rm", "-f", foreign], capture_output=True, check=False)
    rc, output = deploy(work, deploy_domains=[DOMAIN])
    assert rc != 0
    assert f"Domain {DOMAIN} is already served by app {OTHER} on this host" in output
    cert, _key = certificate([DOMAIN])
    _other_cert, other_key = certificate([DOMAIN])
    expired_cert, expired_key = certificate([DOMAIN], expired=True)
    wrong_cert, wrong_key = certificate(["other.flaskrock.test"])
    for (bad_cert, bad_key), message in (
        ((cert, other_key), "does not match its certificate"),
        ((expired_cert, expired_key), "expired on"),
        ((wrong_cert, wrong_key), f"does not cover {DOMAIN}"),
    ):
        rc, output = deploy_other(work, deploy_tls_certificate=bad_cert, deploy_tls_key=bad_key)
        assert rc != 0 and message in output, output
        assert bad_key.splitlines()[1] not in output
    assert proxy_config_sha() == sha and (container_id(APP), container_id(OTHER)) == ids
    assert "Hi from app B" in request("/", host=DOMAIN, https=True)[2]


def test_maintenance_page_on_and_off_without_a_release(work):
    before, sha = container_id(), proxy_config_sha()
    # Another run (a deploy of another app) holds the host's proxy lock: the change waits, then fails clearly.
    lock = PROXY_DIR / "apply.lock"
    holder = {"holder": "app-x (tester@elsewhere)", "since": "2026-11-28T00:00:00+00:00", "version": "app-x",
              "run_id": "another-run"}  # fmt: skip
    lock.write_text(json.dumps(holder))
    try:
        rc, output = deploy(
            work,
            playbook="playbooks/maintenance.yml",
            deploy_app_name=APP,
            maintenance="on",
            proxy_lock_timeout=2,
        )
    finally:
        lock.unlink()
    assert rc != 0
    assert "The proxy on localhost is being changed by app-x (tester@elsewhere) (for app-x)" in output
    assert "Nothing was changed on the proxy." in output
    assert proxy_config_sha() == sha and request("/")[0] == 200
    rc, output = deploy(
        work, playbook="playbooks/maintenance.yml", deploy_app_name=APP, maintenance="on", retry_after=120
    )
    assert rc == 0, output
    status, headers, body = request("/")
    assert status == 503 and headers["retry-after"] == "120" and "maintenance" in body
    assert "Hi from app B" in request("/", host=DOMAIN, https=True)[2]  # the other app is not affected
    rc, output = deploy(work, playbook="playbooks/maintenance.yml", deploy_app_name=APP, maintenance="off")
    assert rc == 0, output
    assert request("/")[0] == 200 and container_id() == before
