"""flaskrock.paas.flask_project and playbooks/validate.yml exercised through ansible-playbook."""

import json
from functools import partial

import pytest
import yaml
from helpers import PLAYBOOKS
from helpers import run_playbook as run_any_playbook

VALIDATE = PLAYBOOKS / "validate.yml"
# Validation is quick: a hang fails in 5 minutes. JSON output keeps stderr apart (stdout must parse).
run_playbook = partial(run_any_playbook, timeout=300)
VALID_PROJECT = {
    "requirements.txt": "Flask>=3  # web framework\ngevent\n",
    "app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    "migrate.py": "print('migrated')\n",
    "static/site.css": "body {}\n",
    "notes.txt": "not shipped\n",
    "rockcraft.yaml": "name: shop\nbase: ubuntu@22.04\nversion: '2.1'\nextensions: [flask-framework]\n",
}
INVALID_PROJECT = {
    "requirements.txt": "requests\n-r ../outside.txt\n",
    "app.py": "app = (\n",
    "rockcraft.yaml": "name: shop\nbase: ubuntu@20.04\nextensions: [flask-framework]\n",
}
MODULE_PLAYBOOK = """
- name: Run flask_project
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Inspect the project
      flaskrock.paas.flask_project:
        src: "{{ src }}"
"""


def write(root, files):
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def task_results(completed):
    """Per-task results on localhost from the ansible.posix.json callback."""
    report = json.loads(completed.stdout)
    return [task["hosts"]["localhost"] for play in report["plays"] for task in play["tasks"]]


@pytest.fixture(scope="module")
def module_playbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("playbook") / "inspect.yml"
    path.write_text(MODULE_PLAYBOOK)
    return path


@pytest.mark.parametrize("check_mode", [False, True], ids=["normal", "check"])
def test_module_returns_the_contract_for_a_valid_project(tmp_path, module_playbook, check_mode):
    src = write(tmp_path / "shop", VALID_PROJECT)
    args = ["-e", f"src={src}"] + (["--check"] if check_mode else [])
    completed = run_playbook(module_playbook, *args, json_output=True)
    assert completed.returncode == 0, completed.output
    (result,) = task_results(completed)
    assert result["changed"] is False
    assert result["name"] == "shop"
    assert result["version"] == "2.1"
    assert result["python_version"] == "3.10"
    assert result["entrypoint"] == "app:app"
    assert result["worker_class"] == "gevent"
    assert result["requirements"] == ["flask", "gevent"]
    assert result["requirements_files"] == ["requirements.txt"]
    assert result["app_files"] == ["app.py", "migrate.py", "static/site.css"]
    assert result["migration"] == ["python3", "migrate.py"]
    assert result["expanded"]["services"]["flask"]["command"] == (
        "/bin/python3 -m gunicorn -c /flask/gunicorn.conf.py 'app:app' -k [ gevent ]"
    )
    # The inline comment is fine for pip but Rockcraft would drop the line: reported as a warning.
    assert any("Rockcraft 1.20 does not read" in warning for warning in result["warnings"])
    assert result["project_warnings"] == result["warnings"]


def test_module_fails_listing_every_problem(tmp_path, module_playbook):
    src = write(tmp_path / "shop", INVALID_PROJECT)
    completed = run_playbook(module_playbook, "-e", f"src={src}", json_output=True)
    assert completed.returncode != 0
    (result,) = task_results(completed)
    assert result["failed"] is True
    assert result["msg"].splitlines() == [
        "- Extension 'flask-framework' does not support base: 'ubuntu@20.04'",
        "- requirements.txt line 2: the included requirements file ../outside.txt is outside the project; "
        "only files inside the project directory reach the build",
        "- missing flask package dependency in requirements file.",
        "- error parsing app.py: '(' was never closed (line 1)",
    ]
    assert "Traceback" not in completed.stdout


def test_validate_prints_the_expansion(tmp_path):
    src = write(tmp_path / "shop", VALID_PROJECT)
    completed = run_playbook(VALIDATE, "-e", f"project_dir={src}")
    assert completed.returncode == 0, completed.output
    assert "flask-framework/install-app:" in completed.stdout
    assert "run-user: _daemon_" in completed.stdout

    as_json = run_playbook(VALIDATE, "-e", f"project_dir={src}", json_output=True)
    printed = yaml.safe_load(task_results(as_json)[-1]["msg"])
    assert printed["name"] == "shop"
    assert printed["parts"]["flask-framework/install-app"]["prime"] == [
        "flask/app/app.py",
        "flask/app/migrate.py",
        "flask/app/static",
    ]
    assert "extensions" not in printed


def test_validate_resolves_a_relative_project_dir_against_the_working_directory(tmp_path):
    write(tmp_path / "shop", VALID_PROJECT)
    completed = run_playbook(VALIDATE, "-e", "project_dir=shop", cwd=tmp_path)
    assert completed.returncode == 0, completed.output
    assert "name: shop" in completed.stdout


def test_validate_fails_with_the_errors(tmp_path):
    src = write(tmp_path / "shop", INVALID_PROJECT)
    completed = run_playbook(VALIDATE, "-e", f"project_dir={src}")
    assert completed.returncode != 0
    assert f"{src} is not a valid flask-framework project:" in completed.stdout
    for line in (
        "- Extension 'flask-framework' does not support base: 'ubuntu@20.04'",
        "- missing flask package dependency in requirements file.",
        "- error parsing app.py: '(' was never closed",
    ):
        assert line in completed.stdout
    assert "Traceback" not in completed.output


def test_validate_without_project_dir_explains_how_to_call_it():
    completed = run_playbook(VALIDATE)
    assert completed.returncode != 0
    assert "Set the project directory: ansible-playbook playbooks/validate.yml -e project_dir=PATH" in (
        completed.stdout
    )
