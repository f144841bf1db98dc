"""The rock role's filters (plugins/filter/rock_build.py), on real inputs.

The build failures are messages community.docker 4.8.5's docker_image (classic builder) returned
for real builds, kept in fixtures/: a RUN step that prints to stdout and stderr with colours and
tabs then exits 3, the role's pip install failing on a missing package, and `pip install .` of a
project whose wheel cannot be built: a setup.py that raises (pip 22.0.2 of ubuntu@22.04) and a
pyproject.toml naming a build backend that does not exist (pip 24.0 of ubuntu@24.04).
"""

from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.filter.rock_build import FilterModule
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import inspect_project

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE_PROJECTS = Path(__file__).resolve().parents[4] / "examples"
FILTERS = FilterModule().filters()
BASE_IMAGES = {"ubuntu@22.04": "ubuntu:22.04", "ubuntu@24.04": "ubuntu:24.04"}


@pytest.fixture(scope="module")
def hello():
    return inspect_project(str(EXAMPLE_PROJECTS / "hello"))


def rock_build_failure(message):
    return FILTERS["rock_build_failure"](message)


def test_failing_run_step_is_the_last_step_with_its_output_only():
    message = (FIXTURES / "build-failure-run-exit-3.txt").read_text()
    failure = rock_build_failure(message)
    assert failure["error"] == (
        "Error building rockfail-test - code: 3, message: The command "
        "'/bin/sh -c printf 'line one\\n\\tindented"
        "\\n\\033[31mred\\033[0m\\n' && echo \"to stderr\" >&2 && exit 3' returned a non-zero code: 3"
    )
    assert failure["output"].splitlines() == [
        "Step 3/3 : RUN printf 'line one\\n\\tindented\\n\\033[31mred\\033[0m\\n' "
        '&& echo "to stderr" >&2 && exit 3',
        "line one",
        "    indented",
        "red",
        "to stderr",
    ]


def test_failing_pip_install_names_the_missing_package():
    message = (FIXTURES / "build-failure-pip.txt").read_text()
    failure = rock_build_failure(message)
    lines = failure["output"].splitlines()
    assert lines[0].startswith("Step ") and "pip install" in lines[0]
    assert (
        "No matching distribution found for flaskrock-no-such-package-for-tests==0.0.1" in failure["output"]
    )
    assert "FROM ubuntu" not in failure["output"]
    assert "\x1b" not in failure["output"] and "\\x1b" not in failure["output"]
    assert "', '" not in failure["output"]
    assert not any(line.startswith(" ---> ") or not line.strip() for line in lines)


def test_a_setup_py_that_raises_names_the_project_the_step_and_the_error():
    failure = rock_build_failure((FIXTURES / "build-failure-setup-py-jammy.txt").read_text())
    assert failure["summary"] == (
        "pip could not build the project itself (/project, `pip install .` of its pyproject.toml or "
        "setup.py): python setup.py egg_info failed: FileNotFoundError: [Errno 2] No such file or "
        "directory: 'VERSION'. Fix the project's build configuration (pyproject.toml [build-system], "
        "setup.py)."
    )
    assert failure["output"].splitlines()[0].endswith("/venv/bin/pip install --no-cache-dir .")


def test_a_build_backend_that_does_not_exist_is_named_with_the_step():
    failure = rock_build_failure((FIXTURES / "build-failure-backend-noble.txt").read_text())
    assert failure["summary"].startswith("pip could not build the project itself (/project, ")
    assert "loading the build backend named by [build-system] build-backend in pyproject.toml failed: " in (
        failure["summary"]
    )
    assert failure["summary"].endswith(
        "ModuleNotFoundError: No module named 'hatchling.builds'. Fix the project's build configuration "
        "(pyproject.toml [build-system], setup.py)."
    )


@pytest.mark.parametrize("fixture", ["build-failure-pip.txt", "build-failure-run-exit-3.txt"])
def test_other_failures_have_no_wheel_summary(fixture):
    assert rock_build_failure((FIXTURES / fixture).read_text())["summary"] == ""


def test_a_requirement_whose_wheel_fails_is_named():
    """The lines pip prints when a requirement's sdist fails to build (pip 24 wording)."""
    lines = [
        "Step 11/14 : RUN pip install -r requirements.txt",
        "Collecting brokenpkg==1.0 (from -r requirements.txt (line 2))",
        "  Downloading brokenpkg-1.0.tar.gz (2 kB)",
        "  Building wheel for brokenpkg (pyproject.toml): started",
        "  error: subprocess-exited-with-error",
        "  \u00d7 Building wheel for brokenpkg (pyproject.toml) did not run successfully.",
        "  │ exit code: 1",
        "  ╰─> [2 lines of output]",
        "      running bdist_wheel",
        "      error: command 'gcc' failed: No such file or directory",
        "      [end of output]",
        "  ERROR: Failed building wheel for brokenpkg",
    ]
    failure = rock_build_failure("E, logs: %r" % ["\n".join(lines)])
    assert failure["summary"] == (
        "pip could not build the wheel of the package brokenpkg: Building wheel for brokenpkg "
        "(pyproject.toml) failed: error: command 'gcc' failed: No such file or directory. Pin a version "
        "that has a wheel for this Python, or add what its build needs (build-packages in rockcraft.yaml)."
    )


def test_the_app_check_says_which_file_line_and_python():
    """A real classic-builder failure of the app check (the plan's last build step), on ubuntu:22.04
    for a PEP 701 f-string in pkg/views.py."""
    message = (FIXTURES / "build-failure-app-check.txt").read_text()
    failure = rock_build_failure(message)
    assert failure == {
        "error": "the rock's Python 3.10 cannot compile 1 file of the app (the last build step compiles "
        "every .py file of the app with the image's own interpreter). Fix the code for Python 3.10, "
        "choose a base whose Python accepts it, or leave files that are not part of the app out of "
        "the rock (a prime entry starting with '-').",
        "output": "pkg/views.py: line 2: f-string: unmatched '[' (checked against Python 3.10)",
        "summary": "",
    }


def test_the_app_check_counts_every_file_it_reports():
    lines = [
        "Step 9/9 : RUN check",
        "flaskrock app check: a.py: line 1: invalid syntax (checked against Python 3.12)",
        "flaskrock app check: b/c.py: line 3: invalid syntax (checked against Python 3.12)",
    ]
    failure = rock_build_failure(f"Error building x - code: 1, message: m, logs: {lines!r}")
    assert failure["error"].startswith("the rock's Python 3.12 cannot compile 2 files of the app")
    assert failure["output"].splitlines() == [line[len("flaskrock app check: ") :] for line in lines[1:]]


def test_a_message_without_log_keeps_the_error_and_has_no_output():
    failure = rock_build_failure("Error building x - code: None, message: context canceled")
    assert failure == {
        "error": "Error building x - code: None, message: context canceled",
        "output": "",
        "summary": "",
    }


def test_the_logs_marker_inside_the_command_does_not_split_the_error():
    message = (
        "Error building x - code: 1, message: The command 'echo a, logs: b' failed, "
        "logs: ['Step 1/1 : RUN x', 'boom']"
    )
    failure = rock_build_failure(message)
    assert failure["error"] == "Error building x - code: 1, message: The command 'echo a, logs: b' failed"
    assert failure["output"] == "Step 1/1 : RUN x\nboom"


def test_a_truncated_log_is_read_chunk_by_chunk():
    failure = rock_build_failure(
        "Error building x - code: 1, message: m, "
        "logs: ['Step 1/2 : FROM a', 'Step 2/2 : RUN b', 'it\\'s \\x1b[31mred"
    )
    assert failure["output"] == "Step 2/2 : RUN b"


def test_log_without_steps_keeps_every_line():
    assert rock_build_failure("E, logs: ['a\\nb', '', ' ---> 123']")["output"] == "a\nb"


def test_rock_plan_takes_the_images_from_the_base_images_given(hello):
    plan = FILTERS["rock_plan"](hello, {"ubuntu@24.04": "mirror.example/ubuntu:24.04"})
    assert plan["images"] == {
        "build": "mirror.example/ubuntu:24.04",
        "runtime": "mirror.example/ubuntu:24.04",
    }
    assert hello["plan"]["images"]["runtime"] == "ubuntu:24.04"  # the result is not modified
    assert {key: value for key, value in plan.items() if key != "images"} == {
        key: value for key, value in hello["plan"].items() if key != "images"
    }


@pytest.mark.parametrize("project", [{}, {"changed": False, "skipped": True}, {"name": "x"}])
def test_rock_plan_refuses_anything_but_a_flask_project_result(project):
    with pytest.raises(
        AnsibleFilterError,
        match=r"rock_project must be the registered result of flaskrock\.paas\.flask_project",
    ):
        FILTERS["rock_plan"](project, BASE_IMAGES)


def problems(project, base_images=BASE_IMAGES, builder="web1", hosts=("web1", "web2"), project_dir="/srv/p"):
    return FILTERS["rock_plan_problems"](project, base_images, builder, list(hosts), project_dir)


def test_a_buildable_project_has_no_problem(hello):
    assert problems(hello) == []


def test_no_project_at_all_asks_for_the_project_dir():
    assert problems({"skipped": True}, project_dir="") == [
        "rock_project_dir must name the Flask project directory on the controller "
        "(or rock_project hold its flaskrock.paas.flask_project result)."
    ]
    assert problems({}, project_dir="")[0].startswith("rock_project_dir must name")
    assert problems({"skipped": True})[0].startswith("rock_project must be the registered result")
    # rock_project given but not a flask_project result: that is the problem, whatever the directory.
    assert problems({"name": "hello"}, project_dir="")[0].startswith("rock_project must be the registered")


def test_bare_base_is_buildable_and_needs_its_build_base_image(make_project):
    project = make_project(
        {"requirements.txt": "flask\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n"}
    )
    bare = inspect_project(str(project), base="bare", build_base="ubuntu@24.04")
    assert problems(bare) == []
    assert problems(bare, base_images={"ubuntu@22.04": "ubuntu:22.04"}) == [
        "No Docker image is configured for the build-base ubuntu@24.04 of base bare: set build-base to one "
        "of ubuntu@22.04 in rockcraft.yaml or rock_build_base, or add it to rock_base_images."
    ]


def test_a_base_without_image_says_how_to_add_one(hello):
    assert problems(hello, base_images={"ubuntu@22.04": "ubuntu:22.04"}) == [
        "No Docker image is configured for base ubuntu@24.04: set base to one of ubuntu@22.04 in "
        "rockcraft.yaml or rock_base, or add the base to rock_base_images."
    ]


def test_a_custom_service_command_without_entrypoint_is_refused(make_project):
    project = make_project(
        {
            "requirements.txt": "flask\n",
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
            "rockcraft.yaml": {"name": "demo", "services": {"flask": {"command": "./run.sh"}}},
        }
    )
    result = inspect_project(str(project))
    assert result["entrypoint"] is None
    assert problems(result) == [
        "The project defines no WSGI entrypoint that flaskrock.paas.rock can serve (a custom "
        "services.flask.command is not supported yet): define a module-level `app` in app.py or main.py."
    ]


def test_a_builder_outside_the_play_is_named_with_the_hosts(hello):
    assert problems(hello, builder="web9") == [
        "rock_builder_host 'web9' is not a host of this play (web1, web2): choose one of them or leave it "
        "empty."
    ]


def test_hosts_missing_image_leaves_out_the_builder_and_hosts_without_result():
    found = {"images": [{"Id": "sha256:1"}]}
    hostvars = {
        "web1": {"info": {"images": []}},  # the builder, before it built
        "web2": {"info": found},
        "web3": {"info": {"images": []}},
        "web4": {"other": 1},
        "web5": {"info": {"skipped": True}},
    }
    hosts = ["web1", "web2", "web3", "web4", "web5", "web6"]
    assert FILTERS["rock_hosts_missing_image"](hosts, hostvars, "info", "web1") == ["web3"]
