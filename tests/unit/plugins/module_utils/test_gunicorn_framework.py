"""The framework seam: a Gunicorn base (module_utils/_gunicorn_framework.py) and Flask on it
(_flask_framework.py). A second framework is one subclass: the one here is a test double."""

import os

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_expansion as expansion
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_entrypoint import EntrypointReport
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_framework import FLASK
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import (
    FlaskProjectError,
    inspect_project,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._gunicorn_framework import GunicornFramework


class Bottle(GunicornFramework):
    """A made-up framework: application in wsgi.py, package "bottle" required."""

    name = "bottle"
    required_package = "bottle"
    missing_requirements_message = "no requirements file"
    missing_package_message = "bottle is not a dependency"
    default_prime_files = ("wsgi.py", "views")

    def find_entrypoint(self, root, rock_name, python_version=None):
        report = EntrypointReport()
        if os.path.isfile(os.path.join(root, "wsgi.py")):
            report.entrypoint = "wsgi:application"
        else:
            report.problems.append("no wsgi.py")
        return report


def test_flask_names_paths_and_messages():
    assert (FLASK.name, FLASK.extension, FLASK.service, FLASK.env_prefix) == (
        "flask",
        "flask-framework",
        "flask",
        "FLASK_",
    )
    assert FLASK.app_dir == "flask/app"
    assert FLASK.part("install-app") == "flask-framework/install-app"
    assert FLASK.prime_prefix_error == (
        "flask-framework extension requires the 'prime' entry in the flask-framework/install-app part "
        "to start with flask/app"
    )
    assert FLASK.prime_prefix_error == expansion.PRIME_PREFIX_ERROR
    assert FLASK.gunicorn_command("app:app") == [
        "python3",
        "-m",
        "gunicorn",
        "-c",
        "/flask/gunicorn.conf.py",
        "app:app",
    ]
    assert FLASK.pebble_gunicorn_command("app:app", "sync") == (
        "/bin/python3 -m gunicorn -c /flask/gunicorn.conf.py 'app:app' -k [ sync ]"
    )
    assert FLASK.service_args_variable("statsd-exporter") == "STATSD_EXPORTER_SERVICE_ARGS"


def test_the_gunicorn_base_needs_a_framework():
    with pytest.raises(NotImplementedError):
        GunicornFramework().find_entrypoint("/", "x")


def test_a_second_framework_gets_the_gunicorn_layout_under_its_own_name(make_project):
    project = make_project(
        {"requirements.txt": "bottle\n", "wsgi.py": "application = None\n", "views/a.tpl": "x"}
    )
    result = inspect_project(str(project), framework=Bottle())
    assert result["entrypoint"] == "wsgi:application"
    assert result["app_files"] == ["views/a.tpl", "wsgi.py"]
    expanded = result["expanded"]
    assert set(expanded["services"]) == {"bottle", "statsd-exporter"}
    assert expanded["services"]["bottle"]["command"] == (
        "/bin/python3 -m gunicorn -c /bottle/gunicorn.conf.py 'wsgi:application' -k [ sync ]"
    )
    assert "bottle-framework/install-app" in expanded["parts"]
    assert expanded["parts"]["bottle-framework/config-files"]["organize"] == {
        "gunicorn.conf.py": "bottle/gunicorn.conf.py"
    }
    assert expanded["parts"]["bottle-framework/logging"]["permissions"][-1]["path"] == "var/log/bottle"
    plan = result["plan"]
    assert plan["framework"] == "bottle"
    assert plan["owned_dirs"][:3] == ["/bottle", "/bottle/app", "/var/log/bottle"]
    assert plan["services"][1]["name"] == "bottle"
    assert plan["services"][1]["args_env"] == "BOTTLE_SERVICE_ARGS"
    assert plan["gunicorn"]["chdir"] == "/bottle/app"
    assert plan["labels"]["io.flaskrock.paas.framework"] == "bottle"
    assert plan["contract"]["app_dir"] == "/bottle/app"


def test_a_second_framework_brings_its_own_checks(make_project):
    project = make_project(
        {
            "requirements.txt": "flask\n",
            "rockcraft.yaml": {"parts": {"bottle-framework/install-app": {"prime": ["flask/app/x"]}}},
        }
    )
    with pytest.raises(FlaskProjectError) as error:
        inspect_project(str(project), framework=Bottle())
    assert error.value.problems == [
        "bottle is not a dependency",
        "no wsgi.py",
        "bottle-framework extension requires the 'prime' entry in the bottle-framework/install-app part to "
        "start with bottle/app: 'flask/app/x'",
    ]
