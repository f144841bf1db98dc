"""End-to-end tests of playbooks/deploy.yml and playbooks/rollback.yml on this machine's Docker.

Real images (built by the rock role), real containers, real HTTP requests to ports published on
127.0.0.1 (a per-run block in 28300-29319, see deploy_helpers.PORT_BASE). The tests of a module
run in order and share one app.
"""

import json
import os
import re
import stat
import subprocess
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
    recap_changed,
    remove_app,
    run_playbook,
)

pytestmark = pytest.mark.docker

APP = f"dtest-hello-{RUN_SUFFIX}"
HTTP, METRICS = PORT_BASE, PORT_BASE + 1
AUDIT_LOG = Path(f"/var/log/flaskrock/{APP}.log")
ENV_FILE = Path(f"/var/lib/flaskrock/{APP}/app.env")
SECRET_FILE = Path(f"/var/lib/flaskrock/{APP}/secret_key")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    directory = tmp_path_factory.mktemp("deploy")
    remove_app(APP, APP)
    project = copy_project(REPO_ROOT / "examples" / "hello", directory / "hello", APP)
    standin = build_statsd_exporter_standin(directory)
    state = {"dir": directory, "project": project, "vars": {
        **base_vars(standin),
        "project_dir": str(project),
        "deploy_http_port": HTTP,
        "deploy_metrics_port": METRICS,
        "deploy_config": {"greeting": "Hi from the deploy test"},
        "deploy_data_volume": f"{APP}-data",
        "deploy_env": {"HELLO_DATA_DIR": "/flask/data"},
        "deploy_manage_docker": False,
    }}
    yield state
    remove_app(APP, APP)


def deploy(work, *args, playbook="deploy", **overrides):
    variables = {**work["vars"], **overrides}
    result = run_playbook(f"playbooks/{playbook}.yml", *args, local=True, extra_vars=variables,
                          vars_dir=work["dir"], timeout=1500)
    return result.returncode, result.output


def container_id():
    info = docker_inspect(APP)
    return info and (info["Id"], info["State"]["StartedAt"])


def last_audit_result():
    return re.search(r"result=(\S+)", AUDIT_LOG.read_text().splitlines()[-1]).group(1)


def test_deploy_serves_the_app_and_its_metrics(work):
    rc, output = deploy(work, deploy_manage_docker=True)  # the whole path, flaskrock.paas.docker_engine too
    assert rc == 0, output
    assert f"App:     http://127.0.0.1:{HTTP}/" in output
    assert f"Metrics: http://127.0.0.1:{METRICS}/metrics" in output
    status, body = http_get(f"http://127.0.0.1:{HTTP}/")
    assert status == 200 and "Hi from the deploy test" in body
    status, body = http_get(f"http://127.0.0.1:{HTTP}/visits")  # table made by the migration gate
    assert status == 200 and json.loads(body)["visits"] >= 1
    status, body = http_get(f"http://127.0.0.1:{METRICS}/metrics")
    assert status == 200 and re.search(r"^flask_requests \d+", body, re.MULTILINE)
    info = docker_inspect(APP)
    host = info["HostConfig"]
    assert info["Config"]["User"] == "584792:584792"
    assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-file": "3", "max-size": "10m"}}
    assert stat.S_IMODE(ENV_FILE.stat().st_mode) == 0o600
    assert stat.S_IMODE(SECRET_FILE.stat().st_mode) == 0o600
    environment = dict(item.split("=", 1) for item in info["Config"]["Env"])
    assert environment["FLASK_SECRET_KEY"] == SECRET_FILE.read_text()
    assert len(SECRET_FILE.read_text()) == 86
    assert environment["FLASK_GREETING"] == "Hi from the deploy test"
    assert "--workers" in environment["GUNICORN_CMD_ARGS"]
    assert last_audit_result() == "success"


def test_second_run_changes_and_restarts_nothing(work):
    before = container_id()
    audit_lines = len(AUDIT_LOG.read_text().splitlines())
    # The same project named relative to the directory ansible-playbook runs in (the repo root).
    relative_project = os.path.relpath(work["project"], REPO_ROOT)
    rc, output = deploy(work, project_dir=relative_project)
    assert rc == 0, output
    assert recap_changed(output) == 0, output
    assert container_id() == before
    assert len(AUDIT_LOG.read_text().splitlines()) == audit_lines


def test_check_mode_reports_the_change_and_changes_nothing(work):
    before, env_before = container_id(), ENV_FILE.read_bytes()
    rc, output = deploy(work, "--check", "--diff", deploy_workers=2)
    assert rc == 0, output
    assert "environment changed" in output
    assert f"Would release {APP}:" in output
    assert container_id() == before
    assert ENV_FILE.read_bytes() == env_before


# Every environment family of the Flask charm (issue 14), each with a secret-looking value.
SECRETS = {name: f"{name}-Zq81-never-printed" for name in (
    "pg", "mysql", "mongo", "redis", "valkey", "rabbit", "s3key", "s3secret", "smtp", "fga", "oidc", "proxy",
    "token",
)}
FAMILIES = {
    "deploy_databases": {
        "postgresql": f"postgresql://app:{SECRETS['pg']}@db.invalid:5432/hello",
        "mysql": f"mysql://app:{SECRETS['mysql']}@mysql.invalid:3306/hello",
        "mongodb": f"mongodb://app:{SECRETS['mongo']}@mongo.invalid:27017/hello",
        "redis": f"redis://app:{SECRETS['redis']}@redis.invalid:6379",
        "valkey": {"url": f"valkey://app:{SECRETS['valkey']}@valkey.invalid:6379", "mode": "sentinel"},
    },
    "deploy_rabbitmq": f"amqp://app:{SECRETS['rabbit']}@rabbit.invalid:5672/shop",
    "deploy_s3": {"access_key": SECRETS["s3key"], "secret_key": SECRETS["s3secret"], "bucket": "media",
                  "endpoint": "https://s3.invalid", "uri_style": "host", "attributes": ["x-a:1"]},
    "deploy_smtp": {"host": "mail.invalid", "port": 587, "user": "app", "password": SECRETS["smtp"],
                    "transport_security": "starttls"},
    "deploy_saml": {"entity_id": "https://sp.invalid", "metadata_url": "https://idp.invalid/metadata"},
    "deploy_openfga": {"store_id": "store-1", "token": SECRETS["fga"], "http_api_url": "http://fga.invalid:8080"},
    "deploy_tracing": {"endpoint": "http://tempo.invalid:4318"},
    "deploy_oidc": {"google": {
        "client_id": "client-1", "client_secret": SECRETS["oidc"], "api_base_url": "https://idp.invalid",
        "authorize_url": "https://idp.invalid/auth", "access_token_url": "https://idp.invalid/token",
        "user_url": "https://idp.invalid/userinfo", "jwks_url": "https://idp.invalid/jwks",
        "scopes": "openid profile",
    }},
    "deploy_http_proxy": {"http_proxy": f"http://app:{SECRETS['proxy']}@proxy.invalid:3128",
                          "no_proxy": ["localhost", "127.0.0.1"]},
}


def test_no_secret_in_verbose_output(work):
    rc, output = deploy(
        work, "-vvv", **FAMILIES,
        deploy_env={**work["vars"]["deploy_env"], "HELLO_API_TOKEN": SECRETS["token"]},
    )
    assert rc == 0, output
    info = docker_inspect(APP)
    environment = dict(item.split("=", 1) for item in info["Config"]["Env"])
    # It was really deployed: every family is in the container's environment, with the charm's names.
    assert environment["POSTGRESQL_DB_PASSWORD"] == SECRETS["pg"]
    assert environment["POSTGRESQL_DB_NAME"] == "hello"
    assert environment["MYSQL_DB_PASSWORD"] == SECRETS["mysql"] and environment["MONGODB_DB_NAME"] == "hello"
    assert environment["REDIS_DB_PATH"] == "" and environment["VALKEY_MODE"] == "sentinel"
    assert environment["VALKEY_DB_PASSWORD"] == SECRETS["valkey"]
    assert environment["RABBITMQ_PASSWORD"] == SECRETS["rabbit"] and environment["RABBITMQ_VHOST"] == "shop"
    assert environment["S3_SECRET_KEY"] == SECRETS["s3secret"]
    assert environment["S3_ADDRESSING_STYLE"] == "virtual"
    assert environment["S3_ATTRIBUTES"] == '["x-a:1"]'
    assert environment["SMTP_PASSWORD"] == SECRETS["smtp"] and environment["SMTP_SKIP_SSL_VERIFY"] == "False"
    assert environment["SAML_METADATA_URL"] == "https://idp.invalid/metadata"
    assert environment["FGA_TOKEN"] == SECRETS["fga"]
    assert environment["OTEL_SERVICE_NAME"] == APP
    assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://tempo.invalid:4318"
    assert environment["FLASK_GOOGLE_CLIENT_SECRET"] == SECRETS["oidc"]
    assert environment["FLASK_GOOGLE_CLIENT_KWARGS"] == '{"scope": "openid profile"}'
    proxy = FAMILIES["deploy_http_proxy"]["http_proxy"]
    assert environment["http_proxy"] == environment["HTTP_PROXY"] == proxy
    assert "https_proxy" not in environment
    assert environment["NO_PROXY"] == environment["no_proxy"] == "localhost,127.0.0.1"
    assert environment["HELLO_API_TOKEN"] == SECRETS["token"]
    assert http_get(f"http://127.0.0.1:{HTTP}/")[0] == 200
    secrets = [SECRET_FILE.read_text(), *SECRETS.values()]
    assert [secret for secret in secrets if secret in output] == []
    # Secrets are the container's, never the image's: not in a layer's command nor in its config.
    image = info["Config"]["Image"]
    history = subprocess.run(["docker", "history", "--no-trunc", image], capture_output=True, text=True,
                             check=True).stdout
    image_config = subprocess.run(["docker", "image", "inspect", image], capture_output=True, text=True,
                                  check=True).stdout
    assert [secret for secret in secrets if secret in history or secret in image_config] == []


def test_failed_migration_keeps_the_previous_release_serving(work):
    before = container_id()
    migrate = work["project"] / "migrate.sh"
    original = migrate.read_text()
    # An app that prints its configuration when it fails: the play shows the output, not the secret.
    broken = original.replace(
        "set -eo pipefail\n", 'set -eo pipefail\necho migration-marker-7f3 "key=$FLASK_SECRET_KEY"\nexit 3\n'
    )
    migrate.write_text(broken)
    try:
        rc, output = deploy(work)
    finally:
        migrate.write_text(original)
    assert rc != 0
    assert 'database migration command ["bash", "-eo", "pipefail", "migrate.sh"]' in output
    assert "failed with exit code 3" in output
    assert "migration-marker-7f3 key=[hidden]" in output
    assert SECRET_FILE.read_text() not in output
    assert container_id() == before
    assert http_get(f"http://127.0.0.1:{HTTP}/")[0] == 200
    assert docker_inspect(f"{APP}-migrate") is None
    assert last_audit_result() == "failed-migration"

    # The fixed release (with a marker file) deploys.
    (work["project"] / "static" / "release.txt").write_text("B")
    rc, output = deploy(work)
    assert rc == 0, output
    assert http_get(f"http://127.0.0.1:{HTTP}/static/release.txt") == (200, "B")
    assert docker_inspect(f"{APP}-previous")["State"]["Running"] is False


def test_unhealthy_release_is_rolled_back(work):
    before, env_before = container_id(), ENV_FILE.read_bytes()
    # Gunicorn honours GUNICORN_CMD_ARGS: this release never listens on port 8000.
    never_on_8000 = {"HELLO_DATA_DIR": "/flask/data", "GUNICORN_CMD_ARGS": "--bind 127.0.0.1:8001"}
    rc, output = deploy(work, deploy_health_check_timeout=6, deploy_env=never_on_8000)
    assert rc != 0, output
    assert f"did not answer http://127.0.0.1:{HTTP}/" in output
    assert "The previous release was brought back and serves again." in output
    assert "Listening at: http://127.0.0.1:8001" in output  # the new release's log
    assert container_id()[0] == before[0]
    assert http_get(f"http://127.0.0.1:{HTTP}/static/release.txt") == (200, "B")
    assert ENV_FILE.read_bytes() == env_before
    assert last_audit_result() == "failed-health"


def test_rollback_to_previous_and_to_a_named_release(work):
    current_image = docker_inspect(APP)["Config"]["Image"]
    rc, output = deploy(work, playbook="rollback", deploy_app_name=APP)
    assert rc == 0, output
    assert f"Releases of {APP} (newest first): " in output
    assert http_get(f"http://127.0.0.1:{HTTP}/static/release.txt")[0] == 404  # release A
    assert http_get(f"http://127.0.0.1:{HTTP}/")[0] == 200
    assert last_audit_result() == "rolled-back"

    tag = current_image.split(":", 1)[1]
    rc, output = deploy(work, playbook="rollback", deploy_app_name=APP, release=tag)
    assert rc == 0, output
    assert http_get(f"http://127.0.0.1:{HTTP}/static/release.txt") == (200, "B")

    rc, output = deploy(work, playbook="rollback", deploy_app_name=APP, release="0.0-nosuchrelease")
    assert rc != 0
    assert f"Release {APP}:0.0-nosuchrelease is not on localhost" in output
    assert current_image in output  # the known releases are listed


@pytest.mark.parametrize(("name", "value", "message"), [
    ("deploy_worker_class", "turbo", "deploy_worker_class"),
    ("deploy_workers", "many", "deploy_workers"),
    ("deploy_migrate_on", "some", "deploy_migrate_on"),
])
def test_bad_inputs_fail_before_any_host_is_touched(work, name, value, message):
    before = container_id()
    rc, output = deploy(work, **{name: value})
    assert rc != 0
    assert "Validation of arguments failed" in output and message in output and value in output
    assert "PLAY [Build the rock]" not in output
    assert container_id() == before


@pytest.mark.parametrize(("name", "value", "message"), [
    ("deploy_s3", {"acess_key": "k", "bucket": "b"},
     "deploy_s3: unknown key 'acess_key'; known keys: access_key, secret_key, region"),
    ("deploy_rabbitmq", f"guest:{SECRETS['rabbit']}@rabbit.invalid:5672/",
     "deploy_rabbitmq must be a URL with a scheme, like amqp://USER:PASSWORD@HOST:5672/VHOST"),
    ("deploy_smtp", "mail.invalid:25", "argument 'deploy_smtp' is of type str and we were unable to convert"),
])
def test_bad_environment_families_fail_before_any_host_is_touched(work, name, value, message):
    before = container_id()
    rc, output = deploy(work, **{name: value})
    assert rc != 0
    assert message in output
    assert SECRETS["rabbit"] not in output
    assert "PLAY [Make sure each host runs Docker]" not in output
    assert container_id() == before


def test_survey_strings_are_converted(work):
    rc, output = deploy(work, deploy_workers="3", deploy_read_only="true", deploy_http_port=str(HTTP),
                        deploy_migrate="false")
    assert rc == 0, output
    environment = dict(item.split("=", 1) for item in docker_inspect(APP)["Config"]["Env"])
    assert environment["GUNICORN_CMD_ARGS"].startswith("--workers 3 ")
    assert http_get(f"http://127.0.0.1:{HTTP}/")[0] == 200


def test_gevent_without_gevent_in_the_image_is_refused(work):
    before = container_id()
    rc, output = deploy(work, deploy_worker_class="gevent")
    assert rc != 0
    assert "deploy_worker_class is gevent but the image has no gevent" in output
    assert container_id() == before


def test_deploy_lock_blocks_and_can_be_broken(work):
    lock = Path(f"/var/lib/flaskrock/{APP}/deploy.lock")
    lock.write_text(json.dumps({"holder": "tester@elsewhere", "since": "2026-01-01T00:00:00+00:00",
                                "version": "x", "run_id": "someone-else"}))
    rc, output = deploy(work, deploy_workers=2)
    assert rc != 0
    assert "locked by tester@elsewhere since 2026-01-01T00:00:00+00:00" in output
    assert "deploy_break_lock=true" in output
    assert lock.exists()
    rc, output = deploy(work, deploy_workers=2, deploy_break_lock=True)
    assert rc == 0, output
    assert not lock.exists()
