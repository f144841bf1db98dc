"""Bad inputs of issue 11 through playbooks/deploy.yml, each a clear error and nothing deployed:
a bare base without build-base, an unknown build-base, app code invalid for the rock's Python
(found on the controller, then by the image's own interpreter at build time)."""


import pytest
from deploy_helpers import (
    PORT_BASE,
    RUN_SUFFIX,
    base_vars,
    build_statsd_exporter_standin,
    docker_inspect,
    remove_app,
    run_playbook,
)
from helpers import image_tags

pytestmark = pytest.mark.docker

FLASK_APP = "from flask import Flask\n\nfrom src.views import title\n\napp = Flask(__name__)\n\n\n" \
    "@app.route('/')\ndef index():\n    return title()\n"
# Valid for Python 3.12 (PEP 701), not for 3.10; src/views.py is shipped (src is in the default
# prime) but is no entrypoint candidate, so only the image's own interpreter reads it.
PEP_701_VIEWS = 'CONFIG = {"title": "syntax"}\n\n\ndef title():\n    return f"{CONFIG["title"]}"\n'


def write_project(directory, name, rockcraft, files):
    directory.mkdir(parents=True)
    (directory / "rockcraft.yaml").write_text(
        f"name: {name}\nversion: '0.1'\n{rockcraft}extensions: [flask-framework]\n"
    )
    (directory / "requirements.txt").write_text("Flask>=3.0,<4\n")
    for rel, content in files.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(content)
    return directory




def deploy(tmp_path, project, standin=None):
    variables = {
        **base_vars(standin or tmp_path / "no-standin-needed"),
        "project_dir": str(project),
        "deploy_http_port": PORT_BASE + 12,
        "deploy_metrics_port": PORT_BASE + 13,
        "deploy_manage_docker": False,
    }
    result = run_playbook("playbooks/deploy.yml", local=True, extra_vars=variables, vars_dir=tmp_path,
                          timeout=1500)
    return result.returncode, " ".join(result.output.split())


@pytest.mark.parametrize(
    ("rockcraft", "files", "expected"),
    [
        (
            "base: bare\n",
            {"app.py": "from flask import Flask\napp = Flask(__name__)\n"},
            'When "base" is bare, a build-base must be specified. Set build-base in rockcraft.yaml to '
            "ubuntu@24.04 (Python 3.12) or ubuntu@22.04 (Python 3.10)",
        ),
        (
            "base: bare\nbuild-base: ubuntu@26.04\n",
            {"app.py": "from flask import Flask\napp = Flask(__name__)\n"},
            "Unable to determine the Python version for the build-base ubuntu@26.04. Set build-base",
        ),
        (
            "base: ubuntu@22.04\n",
            {"app.py": FLASK_APP.replace("from src.views import title\n", PEP_701_VIEWS)},
            "error parsing app.py: f-string: unmatched '[' (line 7, checked against Python 3.10)",
        ),
    ],
    ids=["bare-without-build-base", "unknown-build-base", "pep701-app-for-python-3.10"],
)
def test_bad_input_stops_the_deploy_before_any_build(tmp_path, rockcraft, files, expected):
    name = f"syntax-bad-{RUN_SUFFIX}"
    project = write_project(tmp_path / "project", name, rockcraft, files)
    rc, output = deploy(tmp_path, project)
    assert rc != 0
    assert f"- {expected}" in output
    assert "Traceback" not in output
    assert "Build the rock" not in output
    assert image_tags(name) == [] and docker_inspect(name) is None


def test_code_invalid_for_the_rocks_python_stops_the_build_and_nothing_is_deployed(tmp_path):
    """The controller never parses src/views.py; the rock's Python 3.10 cannot compile it."""
    name = f"syntax-py310-{RUN_SUFFIX}"
    project = write_project(
        tmp_path / "project",
        name,
        "base: ubuntu@22.04\n",
        {"app.py": FLASK_APP, "src/views.py": PEP_701_VIEWS},
    )
    remove_app(name)
    try:
        rc, output = deploy(tmp_path, project, build_statsd_exporter_standin(tmp_path))
        assert rc != 0
        message = output[output.find(f"Building {name}:") :]
        assert (
            "failed: the rock's Python 3.10 cannot compile 1 file of the app (the last build step compiles "
            "every .py file of the app with the image's own interpreter)."
        ) in message, output[-4000:]
        assert (
            "Failing step and its output: src/views.py: line 5: f-string: unmatched '[' "
            "(checked against Python 3.10)"
        ) in message
        assert "Traceback" not in output
        assert image_tags(name) == [] and docker_inspect(name) is None
    finally:
        remove_app(name)
