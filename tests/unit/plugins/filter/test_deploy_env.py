"""Unit tests of the deploy role's environment and Gunicorn settings (module_utils/deploy_env.py)."""

import re
import shlex

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.filter.deploy_env import FilterModule
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_env import (
    DeployConfigError,
    app_environment,
    database_env,
    default_workers,
    env_file_content,
    gunicorn_cmd_args,
    resolve_worker_class,
)
from hypothesis import given
from hypothesis import strategies as st

FILTERS = FilterModule().filters()


def test_user_options_become_flask_variables_json_encoded():
    env = app_environment(config={"greeting": "hi", "max-items": 5, "beta-on": True, "ratio": 0.5})
    assert env == {
        "FLASK_GREETING": "hi",
        "FLASK_MAX_ITEMS": "5",
        "FLASK_BETA_ON": "true",
        "FLASK_RATIO": "0.5",
    }


def test_framework_options_win_over_user_options():
    env = app_environment(
        config={"secret-key": "from-user", "env": "dev"},
        framework={"secret_key": "from-framework", "env": "production", "debug": False,
                   "preferred_url_scheme": "https", "application_root": None, "base_url": ""},
    )
    assert env["FLASK_SECRET_KEY"] == "from-framework"
    assert env["FLASK_ENV"] == "production"
    assert env["FLASK_DEBUG"] == "false"
    assert env["FLASK_PREFERRED_URL_SCHEME"] == "HTTPS"
    assert "FLASK_APPLICATION_ROOT" not in env
    assert "FLASK_BASE_URL" not in env


def test_bad_url_scheme_is_refused():
    with pytest.raises(DeployConfigError, match="HTTP or HTTPS"):
        app_environment(framework={"preferred_url_scheme": "ftp"})


def test_raw_env_passes_as_is_and_wins():
    env = app_environment(config={"a": "1"}, env={"FLASK_A": "2", "HELLO_DATA_DIR": "/data", "N": 3})
    assert env["FLASK_A"] == "2"
    assert env["HELLO_DATA_DIR"] == "/data"
    assert env["N"] == "3"


def test_postgresql_url_parts_like_the_charm():
    env = database_env({"postgresql": "postgresql://user:p%40ss@db.example:5432/app?sslmode=require"})
    assert env == {
        "POSTGRESQL_DB_CONNECT_STRING": "postgresql://user:p%40ss@db.example:5432/app?sslmode=require",
        "POSTGRESQL_DB_SCHEME": "postgresql",
        "POSTGRESQL_DB_NETLOC": "user:p%40ss@db.example:5432",
        "POSTGRESQL_DB_PATH": "/app",
        "POSTGRESQL_DB_PARAMS": "",
        "POSTGRESQL_DB_QUERY": "sslmode=require",
        "POSTGRESQL_DB_FRAGMENT": "",
        "POSTGRESQL_DB_USERNAME": "user",
        "POSTGRESQL_DB_PASSWORD": "p%40ss",
        "POSTGRESQL_DB_HOSTNAME": "db.example",
        "POSTGRESQL_DB_PORT": "5432",
        "POSTGRESQL_DB_NAME": "app",
    }


def test_missing_url_parts_are_left_out_like_the_charm():
    env = database_env({"redis": "redis://cache"})
    assert "REDIS_DB_USERNAME" not in env
    assert "REDIS_DB_PASSWORD" not in env
    assert "REDIS_DB_PORT" not in env
    assert "REDIS_DB_NAME" not in env  # empty path: no database name
    assert env["REDIS_DB_PATH"] == ""
    assert env["REDIS_DB_HOSTNAME"] == "cache"
    assert database_env({"mysql": "mysql://h/"})["MYSQL_DB_NAME"] == ""


def test_unknown_database_and_bad_port_are_refused():
    with pytest.raises(DeployConfigError, match="unsupported database 'oracle'"):
        database_env({"oracle": "oracle://x"})
    with pytest.raises(DeployConfigError, match="invalid port"):
        database_env({"postgresql": "postgresql://h:99999/x"})


def test_invalid_names_and_multiline_values_are_refused():
    with pytest.raises(DeployConfigError, match="not a valid environment variable name"):
        app_environment(config={"has space": "x"})
    with pytest.raises(DeployConfigError, match="line break"):
        app_environment(env={"CERT": "a\nb"})


def test_env_file_is_sorted_key_value_lines():
    assert env_file_content({"B": "2", "A": "x=y"}) == "A=x=y\nB=2\n"


@given(st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True),
                       st.one_of(st.text(alphabet=st.characters(blacklist_characters="\r\n\0",
                                                                blacklist_categories=("Cs",))),
                                 st.integers(), st.booleans())))
def test_env_file_round_trips(config):
    env = app_environment(config=config)
    parsed = dict(line.split("=", 1) for line in env_file_content(env).split("\n") if line)
    assert parsed == env


def test_default_workers():
    assert default_workers(1, 8) == 3
    assert default_workers(2, 8) == 5
    assert default_workers(16, 8) == 8
    assert default_workers(0, 8) == 3


def test_gunicorn_cmd_args():
    settings = {"workers": 5, "threads": 2, "timeout": 60, "keepalive": 2, "graceful_timeout": 30,
                "worker_connections": 1000}
    args = gunicorn_cmd_args(settings)
    assert shlex.split(args) == ["--workers", "5", "--threads", "2", "--timeout", "60", "--keep-alive", "2",
                                 "--graceful-timeout", "30", "--worker-connections", "1000"]
    with pytest.raises(DeployConfigError, match="workers must be at least 1"):
        gunicorn_cmd_args({**settings, "workers": "0"})


def test_worker_class_resolution():
    assert resolve_worker_class("auto", "gevent", "true") == "gevent"
    assert resolve_worker_class("auto", "sync", "false") == "sync"
    assert resolve_worker_class("sync", "gevent", "true") == "sync"
    with pytest.raises(DeployConfigError, match=re.escape("Only 'gevent' and 'sync' are allowed.")):
        resolve_worker_class("turbo", "sync", "false")
    with pytest.raises(DeployConfigError, match="has no gevent"):
        resolve_worker_class("gevent", "sync", "false")


def test_filters_raise_ansible_errors():
    with pytest.raises(AnsibleFilterError, match=re.escape("Only 'gevent' and 'sync' are allowed.")):
        FILTERS["deploy_worker_class"]("eventlet", {})
    labels = {"io.flaskrock.paas.worker-class": "gevent", "io.flaskrock.paas.gevent": "true"}
    assert FILTERS["deploy_worker_class"]("auto", labels) == "gevent"
    env = FILTERS["deploy_app_env"]({"x": 1}, {"env": "prod"}, {}, {})
    assert env == {"FLASK_X": "1", "FLASK_ENV": "prod"}
