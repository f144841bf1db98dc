"""The build plan flaskrock.paas.flask_project returns (module_utils/_rock_plan.py)."""

import json
from pathlib import Path

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils import _runtime as runtime
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import inspect_project
from ansible_collections.flaskrock.paas.plugins.module_utils._rock_plan import (
    APP_CHECK_MARKER,
    resolve_images,
)

EXAMPLE_PROJECTS = Path(__file__).resolve().parents[4] / "examples"
APP = "from flask import Flask\napp = Flask(__name__)\n"


@pytest.fixture(scope="module")
def hello():
    return inspect_project(str(EXAMPLE_PROJECTS / "hello"))["plan"]


def test_plan_of_examples_hello(hello):
    contract = runtime.contract("flask")
    assert hello["framework"] == "flask"
    assert hello["project_dir"] == str((EXAMPLE_PROJECTS / "hello").resolve())
    assert (hello["name"], hello["version"], hello["base"]) == ("hello", "0.1", "ubuntu@24.04")
    assert hello["images"] == {"build": "ubuntu:24.04", "runtime": "ubuntu:24.04"}
    assert hello["build_stage_repository"] == "hello-build-stage"
    assert hello["build_packages"] == ["ca-certificates", "python3-venv"]
    assert hello["runtime_packages"] == ["python3", "supervisor", "ca-certificates"]
    assert hello["python_packages"] == ["gunicorn~=23.0"]
    assert hello["python_requirements"] == ["requirements.txt"]
    assert hello["requirements_files"] == ["requirements.txt"]
    assert hello["app_files"] == ["app.py", "migrate.sh", "static/style.css", "templates/index.html"]
    assert hello["owned_dirs"] == ["/flask", "/flask/app", "/var/log/flask", "/opt/promtail", "/etc/promtail"]
    assert hello["owned_files"] == ["/var/log/flask/access.log", "/var/log/flask/error.log"]
    assert hello["expose"] == [8000, 9102]
    assert hello["env"] == {"PATH": "/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
    assert hello["contract"] == contract
    assert [(item["src"], item["dest"], item["owned"]) for item in hello["files"]] == [
        ("statsd_exporter", "/bin/statsd_exporter", False),
        ("config/statsd-mapping.conf", "/statsd-mapping.conf", False),
        ("config/supervisord.conf", "/etc/supervisor/supervisord.conf", False),
        ("config/flaskrock-launcher", "/usr/local/bin/flaskrock-launcher", False),
        ("config/launcher.json", "/etc/flaskrock/launcher.json", False),
        ("config/gunicorn.conf.py", "/flask/gunicorn.conf.py", True),
        ("config/flaskrock-app-check", "/usr/local/bin/flaskrock-app-check", False),
    ]


def test_services_are_the_gunicorn_and_statsd_exporter_commands_of_the_rock(hello):
    statsd, flask = hello["services"]
    assert statsd == {
        "name": "statsd-exporter",
        "command": [
            "/bin/statsd_exporter",
            "--statsd.mapping-config=/statsd-mapping.conf",
            "--statsd.listen-udp=localhost:9125",
            "--statsd.listen-tcp=localhost:9125",
        ],
        "default_args": [],
        "args_env": "STATSD_EXPORTER_SERVICE_ARGS",
        "args_required": None,
        "working_dir": None,
        "stop_timeout": 10,
        "autostart_env": None,  # always started (the project's own services are started by the launcher)
    }
    assert flask["name"] == "flask"
    assert flask["command"] == ["python3", "-m", "gunicorn", "-c", "/flask/gunicorn.conf.py", "app:app", "-k"]
    assert flask["default_args"] == ["sync"]
    assert flask["args_env"] == "FLASK_SERVICE_ARGS"
    assert flask["working_dir"] == "/flask/app"
    assert flask["stop_timeout"] == 35
    # The same command Rockcraft's expansion gives Pebble, and supervisord runs.
    expanded = inspect_project(str(EXAMPLE_PROJECTS / "hello"))["expanded"]["services"]["statsd-exporter"][
        "command"
    ]
    assert expanded == " ".join(statsd["command"])


def test_labels_are_what_the_deploy_role_reads(hello):
    assert hello["labels"] == {
        "org.opencontainers.image.title": "hello",
        "org.opencontainers.image.version": "0.1",
        "org.opencontainers.image.description": "A small Flask app for flaskrock.paas",
        "io.flaskrock.paas.framework": "flask",
        "io.flaskrock.paas.entrypoint": "app:app",
        "io.flaskrock.paas.worker-class": "sync",
        "io.flaskrock.paas.migration": '["bash", "-eo", "pipefail", "migrate.sh"]',
        "io.flaskrock.paas.gunicorn-command": json.dumps(hello["gunicorn_command"]),
        "io.flaskrock.paas.services": "[]",
    }
    assert hello["gunicorn_command"] == [
        "python3",
        "-m",
        "gunicorn",
        "-c",
        "/flask/gunicorn.conf.py",
        "app:app",
    ]
    assert set(hello["labels"]) <= set(runtime.LABELS.values())


def test_gunicorn_settings_and_launcher_come_from_the_contract(hello):
    assert hello["gunicorn"] == {
        "bind": ["0.0.0.0:8000"],
        "chdir": "/flask/app",
        "statsd_host": "localhost:9125",
        "access_log": "/var/log/flask/access.log",
        "error_log": "/var/log/flask/error.log",
    }
    assert hello["launcher"] == {
        "command": ["/usr/bin/python3", "/usr/local/bin/flaskrock-launcher"],
        "config_path": "/etc/flaskrock/launcher.json",
        "config": {
            "supervisord": ["/usr/bin/supervisord", "-c", "/etc/supervisor/supervisord.conf"],
            "services": {
                "statsd-exporter": {
                    "default_args": [],
                    "args_env": "STATSD_EXPORTER_SERVICE_ARGS",
                    "args_required": None,
                },
                "flask": {
                    "default_args": ["sync"],
                    "args_env": "FLASK_SERVICE_ARGS",
                    "args_required": "the worker class (sync or gevent)",
                },
            },
            "scheduler_env": "FLASKROCK_SCHEDULER",
        },
    }
    assert hello["healthcheck"]["command"][:2] == ["python3", "-c"]
    assert "HTTPConnection('127.0.0.1', 8000, timeout=4)" in hello["healthcheck"]["command"][2]
    assert "c.request('GET', '/')" in hello["healthcheck"]["command"][2]


def test_gevent_is_the_default_worker_class_of_hello_async():
    plan = inspect_project(str(EXAMPLE_PROJECTS / "hello-async"))["plan"]
    assert plan["services"][1]["default_args"] == ["gevent"]
    assert plan["labels"]["io.flaskrock.paas.worker-class"] == "gevent"


def test_user_packages_go_to_their_stage_and_slices_become_packages(make_project):
    project = make_project(
        {
            "requirements.txt": "flask\n",
            "app.py": APP,
            "rockcraft.yaml": {
                "name": "demo",
                "base": "ubuntu@22.04",
                "version": "1",
                "parts": {
                    "flask-framework/dependencies": {
                        "stage-packages": ["libpq5_libs", "libxml2"],
                        "build-packages": ["libpq-dev", "ca-certificates"],
                        "python-packages": ["gunicorn~=23.0", "psycopg2"],
                    },
                    "extra": {
                        "plugin": "nil",
                        "stage-packages": ["libpq5", "tzdata_zoneinfo"],
                        "build-packages": ["gcc"],
                    },
                },
            },
        }
    )
    plan = inspect_project(str(project))["plan"]
    # The extension's own (python3-venv, ca-certificates_data) are provided by the layout.
    assert plan["runtime_packages"] == [
        "python3",
        "supervisor",
        "ca-certificates",
        "libpq5",
        "libxml2",
        "tzdata",
    ]
    assert plan["build_packages"] == ["ca-certificates", "python3-venv", "gcc", "libpq-dev"]
    assert plan["python_packages"] == ["gunicorn~=23.0", "psycopg2"]
    assert plan["images"] == {"build": "ubuntu:22.04", "runtime": "ubuntu:22.04"}


def test_local_requirement_paths_are_kept_at_their_project_path(make_project):
    project = make_project(
        {
            "requirements.txt": "flask\n-e ./lib\n-e .\n",
            "app.py": APP,
            "lib/setup.py": "",
            "setup.py": "",
        }
    )
    plan = inspect_project(str(project))["plan"]
    assert plan["requirements_paths"] == [".", "lib"]
    assert plan["kept_paths"] == ["/project", "/project/lib"]
    assert plan["install_project"] is True


def test_base_images_option_chooses_the_stage_images(make_project):
    project = make_project({"requirements.txt": "flask\n", "app.py": APP})
    plan = inspect_project(str(project), base_images={"ubuntu@24.04": "mirror/ubuntu:noble"})["plan"]
    assert plan["images"] == {"build": "mirror/ubuntu:noble", "runtime": "mirror/ubuntu:noble"}


@pytest.mark.parametrize(
    ("base", "build_base", "images"),
    [
        ("ubuntu@22.04", None, {"build": "ubuntu:22.04", "runtime": "ubuntu:22.04"}),
        ("ubuntu:22.04", None, {"build": "ubuntu:22.04", "runtime": "ubuntu:22.04"}),
        ("ubuntu@24.04", "ubuntu@22.04", {"build": "ubuntu:24.04", "runtime": "ubuntu:24.04"}),
        # bare: the build-base's image builds the venv and the root filesystem, the rock starts from scratch
        ("bare", "ubuntu@24.04", {"build": "ubuntu:24.04", "rootfs": "ubuntu:24.04", "runtime": "scratch"}),
        ("bare", "ubuntu:22.04", {"build": "ubuntu:22.04", "rootfs": "ubuntu:22.04", "runtime": "scratch"}),
        ("bare", None, {"build": None, "rootfs": None, "runtime": None}),
        ("ubuntu@26.04", None, {"build": None, "runtime": None}),
    ],
)
def test_resolve_images(base, build_base, images):
    assert resolve_images(base, build_base) == images



def test_the_app_check_runs_the_images_own_python_on_the_app_directory(hello):
    assert hello["app_check"] == {
        "command": ["/usr/bin/python3", "-I", "-B", "/usr/local/bin/flaskrock-app-check", "/flask/app"],
        "marker": APP_CHECK_MARKER,
    }
    assert hello["files"][-1] == {
        "src": "config/flaskrock-app-check",
        "dest": "/usr/local/bin/flaskrock-app-check",
        "owned": False,
    }


def test_bare_plan_has_its_root_filesystem_and_the_user_stage_packages(make_project):
    project = make_project(
        {
            "requirements.txt": "flask\n",
            "app.py": APP,
            "rockcraft.yaml": {
                "name": "demo",
                "base": "bare",
                "build-base": "ubuntu@22.04",
                "version": "1",
                "parts": {"runtime-debs": {"plugin": "nil", "stage-packages": ["libpq5", "libc6"]}},
            },
        }
    )
    plan = inspect_project(str(project))["plan"]
    assert plan["images"] == {"build": "ubuntu:22.04", "rootfs": "ubuntu:22.04", "runtime": "scratch"}
    rootfs = plan["rootfs"]
    assert rootfs["python_version"] == "3.10"
    assert "python3.10-minimal" in rootfs["config"]["packages"] and "libssl3" in rootfs["config"]["packages"]
    # libc6 is in the allow-list already; the extension's own (bash_bins...) are the layout's.
    assert rootfs["user_packages"] == ["libpq5"]
    passwd = rootfs["config"]["files"]["/etc/passwd"]
    assert passwd[1] == "_daemon_:x:584792:584792::/nonexistent:/usr/bin/false"


def test_ubuntu_plans_have_no_root_filesystem(hello):
    assert hello["rootfs"] is None


PYPROJECT = '[project]\nname = "demo"\nversion = "1"\n'


@pytest.mark.parametrize(
    ("project_table", "expected"),
    [
        ('dependencies = ["Flask>=3.0", "requests[socks]; python_version >= \'3.10\'"]\n',
         ["Flask>=3.0", "requests[socks]; python_version >= '3.10'"]),
        # Dynamic dependencies are known only to the build backend (flask is in requirements.txt).
        ('dynamic = ["dependencies"]\n', []),
        # A direct reference may point into the project, which is not copied yet at that layer.
        ('dependencies = ["flask", "lib @ file:///project/lib"]\n', []),
    ],
)
def test_pyproject_dependencies_get_their_own_layer_when_static(make_project, project_table, expected):
    files = {"pyproject.toml": PYPROJECT + project_table, "app.py": APP}
    if "dynamic" in project_table:
        files["requirements.txt"] = "flask\n"
    project = make_project(files)
    plan = inspect_project(str(project))["plan"]
    assert plan["install_project"] is True
    assert plan["project_dependencies"] == expected


def test_no_dependency_layer_without_a_project_install(make_project):
    plan = inspect_project(str(make_project({"requirements.txt": "flask\n", "app.py": APP})))["plan"]
    assert plan["install_project"] is False
    assert plan["project_dependencies"] == []
