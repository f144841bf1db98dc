"""Whole-project validation: identity, every error message (alone and combined), migration, warnings."""

import os

import pytest
import yaml
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import (
    BARE_BUILD_BASE_CHOICES,
    MISSING_FLASK,
    MISSING_REQUIREMENTS,
    FlaskProjectError,
    entrypoint_from_command,
    format_problems,
    inspect_project,
)

ROCK = {"name": "foo-bar", "base": "ubuntu@24.04", "version": "1.2", "extensions": ["flask-framework"]}
MISSING_ENTRYPOINT = "Missing WSGI entrypoint in default search locations"


def problems_of(src, **options):
    with pytest.raises(FlaskProjectError) as raised:
        inspect_project(str(src), **options)
    assert str(raised.value) == format_problems(raised.value.problems)
    return raised.value.problems


def test_project_without_rockcraft_yaml_uses_defaults(make_project):
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n"}, name="hello")
    result = inspect_project(str(src))
    assert (result["name"], result["base"], result["build_base"], result["version"]) == (
        "hello",
        "ubuntu@24.04",
        None,
        "0.1",
    )
    assert result["python_version"] == "3.12"
    assert result["warnings"] == []
    assert list(result["expanded"])[:3] == ["name", "base", "version"]
    assert result["expanded"]["run-user"] == "_daemon_"


def test_options_override_the_file(make_project):
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n", "rockcraft.yaml": ROCK})
    result = inspect_project(str(src), name="other", base="bare", build_base="ubuntu@22.04", version="2.0")
    assert (result["name"], result["base"], result["build_base"], result["version"]) == (
        "other",
        "bare",
        "ubuntu@22.04",
        "2.0",
    )
    assert result["expanded"]["name"] == "other"
    assert result["expanded"]["build-base"] == "ubuntu@22.04"
    assert result["python_version"] == "3.10"


def test_explicit_rockcraft_yaml_outside_the_project(make_project, tmp_path):
    (tmp_path / "custom.yaml").write_text("name: custom\nbase: ubuntu@22.04\nversion: '3'\n")
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n"})
    result = inspect_project(str(src), rockcraft_yaml=str(tmp_path / "custom.yaml"))
    assert (result["name"], result["base"], result["version"]) == ("custom", "ubuntu@22.04", "3")


def test_result_for_a_typical_project(make_project):
    src = make_project(
        {
            "requirements.txt": "Flask>=3\ngevent\n-r requirements-extra.txt\n",
            "requirements-extra.txt": "requests\n",
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
            "migrate.sh": "#!/bin/bash\n",
            "templates/index.html": "",
            "rockcraft.yaml": ROCK,
            "tests/test_app.py": "",
        }
    )
    result = inspect_project(str(src))
    assert result["entrypoint"] == "app:app"
    assert result["worker_class"] == "gevent"
    assert result["requirements"] == ["flask", "gevent", "requests"]
    assert result["requirements_files"] == ["requirements-extra.txt", "requirements.txt"]
    assert result["install_project"] is False
    assert result["app_files"] == ["app.py", "migrate.sh", "templates/index.html"]
    assert result["migration"] == ["bash", "-eo", "pipefail", "migrate.sh"]
    assert (
        result["service_command"]
        == "/bin/python3 -m gunicorn -c /flask/gunicorn.conf.py 'app:app' -k [ gevent ]"
    )


@pytest.mark.parametrize(
    ("requirements", "worker"),
    [
        ("flask\ngevent\n", "gevent"),
        ("flask\ngunicorn[gevent]\n", "sync"),
        ("flask\ngevent-websocket\n", "sync"),
    ],
)
def test_gevent_detection(make_project, requirements, worker):
    src = make_project({"requirements.txt": requirements, "app.py": "app = 1\n"})
    assert inspect_project(str(src))["worker_class"] == worker


# ---------------------------------------------------------------- migration


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([], None),
        (["migrate"], ["./migrate"]),
        (["migrate", "migrate.sh"], ["bash", "-eo", "pipefail", "migrate.sh"]),
        (["migrate.sh", "migrate.py"], ["python3", "migrate.py"]),
        (["migrate", "migrate.sh", "migrate.py"], ["python3", "migrate.py"]),
    ],
)
def test_migration_precedence_with_default_prime(make_project, files, expected):
    project = {"requirements.txt": "flask\n", "app.py": "app = 1\n"}
    project.update({name: "#!/bin/sh\n" for name in files})
    src = make_project(project)
    for name in files:
        os.chmod(src / name, 0o755)
    assert inspect_project(str(src))["migration"] == expected


def test_manage_py_wins_when_it_reaches_flask_app(make_project):
    rock = dict(ROCK, parts={"flask-framework/install-app": {"prime": ["-flask/app/tests"]}})
    src = make_project(
        {
            "requirements.txt": "flask\n",
            "app.py": "app = 1\n",
            "migrate.py": "",
            "manage.py": "",
            "rockcraft.yaml": rock,
        }
    )
    assert inspect_project(str(src))["migration"] == ["python3", "manage.py", "migrate"]


def test_manage_py_is_ignored_when_not_shipped(make_project):
    src = make_project(
        {"requirements.txt": "flask\n", "app.py": "app = 1\n", "migrate.py": "", "manage.py": ""}
    )
    assert inspect_project(str(src))["migration"] == ["python3", "migrate.py"]


def test_migration_excluded_from_prime_is_not_run(make_project):
    rock = dict(ROCK, parts={"flask-framework/install-app": {"prime": ["flask/app/app.py"]}})
    src = make_project(
        {"requirements.txt": "flask\n", "app.py": "app = 1\n", "migrate.sh": "", "rockcraft.yaml": rock}
    )
    assert inspect_project(str(src))["migration"] is None


def test_non_executable_migrate_is_warned_about(make_project):
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n", "migrate": "#!/bin/sh\n"})
    result = inspect_project(str(src))
    assert result["migration"] == ["./migrate"]
    assert result["warnings"] == [
        "migrate is not executable: the migration ./migrate will fail (chmod +x migrate)"
    ]


# ---------------------------------------------------------------- errors, alone and combined


def test_missing_requirements_file(make_project):
    assert problems_of(make_project({"app.py": "app = 1\n"})) == [MISSING_REQUIREMENTS]


def test_missing_flask(make_project):
    assert problems_of(make_project({"requirements.txt": "requests\n", "app.py": "app = 1\n"})) == [
        MISSING_FLASK
    ]


def test_missing_entrypoint(make_project):
    assert problems_of(make_project({"requirements.txt": "flask\n", "wsgi.py": "app = 1\n"})) == [
        MISSING_ENTRYPOINT
    ]


def test_rockcraft_combination_requirements_and_entrypoint(make_project):
    assert problems_of(make_project({"README": ""})) == [MISSING_REQUIREMENTS, MISSING_ENTRYPOINT]


def test_every_kind_of_problem_together(make_project, tmp_path):
    rock = {
        "name": "Bad_Name",
        "base": "ubuntu@20.04",
        "version": "1.0+local",
        "extensions": ["flask-framework"],
        "parts": {"flask-framework/install-app": {"prime": ["flask/app/app.py", "flask/app/../../etc"]}},
    }
    src = make_project(
        {
            "requirements.txt": b"requests\n-r ../../x.txt\n\xff\n",
            "pyproject.toml": "[project\n",
            "app.py": "app = (\n",
            "rockcraft.yaml": rock,
        }
    )
    problems = problems_of(src)
    assert problems[0].startswith("invalid name 'Bad_Name': ")
    assert problems[1].startswith("invalid version '1.0+local': ")
    assert problems[2] == "Extension 'flask-framework' does not support base: 'ubuntu@20.04'"
    assert problems[3] == "requirements.txt is not a UTF-8 text file: invalid byte 0xff at offset 24"
    assert problems[4].startswith("pyproject.toml is not valid TOML: ")
    assert problems[5] == MISSING_FLASK
    # No Python for an unsupported base: parsed for this one, no version claimed.
    assert problems[6] == "error parsing app.py: '(' was never closed (line 1)"
    assert problems[7].startswith(
        "prime entry 'flask/app/../../etc' of the flask-framework/install-app part escapes"
    )
    assert len(problems) == 8


@pytest.mark.parametrize(
    ("rock", "expected"),
    [
        (
            dict(ROCK, base="ubuntu@20.04"),
            "Extension 'flask-framework' does not support base: 'ubuntu@20.04'",
        ),
        (
            dict(ROCK, base="bare"),
            'When "base" is bare, a build-base must be specified. ' + BARE_BUILD_BASE_CHOICES,
        ),
        (
            dict(ROCK, base="bare", **{"build-base": "ubuntu@20.04"}),
            "Unable to determine the Python version for the build-base ubuntu@20.04. "
            + BARE_BUILD_BASE_CHOICES,
        ),
        (
            dict(ROCK, base="bare", **{"build-base": "ubuntu@26.04"}),
            "Unable to determine the Python version for the build-base ubuntu@26.04. "
            + BARE_BUILD_BASE_CHOICES,
        ),
        (
            dict(ROCK, **{"build-base": "devel"}),
            "unsupported build-base 'devel': use ubuntu@22.04 or ubuntu@24.04",
        ),
        (dict(ROCK, extensions=["flask-framework", "go-framework"]), None),
        (dict(ROCK, parts=["x"]), "rockcraft.yaml: parts must be a mapping, not a list"),
        (dict(ROCK, services="x"), "rockcraft.yaml: services must be a mapping, not a str"),
        (dict(ROCK, services={"flask": "x"}), "rockcraft.yaml: services.flask must be a mapping, not a str"),
        (
            dict(ROCK, parts={"flask-framework/install-app": {"prime": "flask/app/app.py"}}),
            "rockcraft.yaml: parts.flask-framework/install-app.prime must be a list of strings, not a str",
        ),
    ],
)
def test_rockcraft_yaml_problems(make_project, rock, expected):
    problems = problems_of(
        make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n", "rockcraft.yaml": rock})
    )
    if expected is None:
        assert problems == [
            "rockcraft.yaml: only the flask-framework extension is supported, remove: go-framework"
        ]
    else:
        assert problems == [expected]


@pytest.mark.parametrize(
    ("content", "expected_start"),
    [
        ("name: [unclosed\n", "rockcraft.yaml is not valid YAML: "),
        ("- a\n- b\n", "rockcraft.yaml must be a mapping of keys to values, not a list"),
        (b"name: x\x00\n", "rockcraft.yaml is not a text file: it contains NUL bytes"),
    ],
)
def test_unreadable_rockcraft_yaml(make_project, content, expected_start):
    problems = problems_of(
        make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n", "rockcraft.yaml": content})
    )
    assert len(problems) == 1
    assert problems[0].startswith(expected_start)


@pytest.mark.parametrize("name", ["Hello", "hello_world", "-x", "x-", "a--b", "123", "a" * 41])
def test_invalid_names(make_project, name):
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n"})
    problems = problems_of(src, name=name)
    assert problems == [
        f"invalid name {name!r}: use at most 40 lowercase letters, digits and hyphens, with at least "
        "one letter, no leading, trailing or doubled hyphen (set name in rockcraft.yaml or the module's "
        "name option)"
    ]


@pytest.mark.parametrize("name", ["hello", "my-app-2", "1st-app", "abc"])
def test_valid_names(make_project, name):
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n"})
    assert inspect_project(str(src), name=name)["name"] == name


def test_directory_name_that_is_not_a_valid_name_points_to_the_option(make_project):
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n"}, name="My_Project")
    assert problems_of(src)[0].startswith("invalid name 'My_Project': ")
    assert inspect_project(str(src), name="my-project")["name"] == "my-project"


def test_missing_project_directory(tmp_path):
    assert problems_of(tmp_path / "nope") == ["project directory %s does not exist" % (tmp_path / "nope")]
    (tmp_path / "file").write_text("")
    assert problems_of(tmp_path / "file") == ["project directory %s is not a directory" % (tmp_path / "file")]


def test_explicit_rockcraft_yaml_must_exist(make_project, tmp_path):
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n"})
    missing = str(tmp_path / "missing.yaml")
    assert problems_of(src, rockcraft_yaml=missing) == [f"rockcraft.yaml not found at {missing}"]


# ---------------------------------------------------------------- warnings


def test_things_rockcraft_would_reject_are_warned_about(make_project):
    src = make_project(
        {
            "requirements.txt": "flask  # the web framework\ngevent  # async\n",
            "app.py": "from flask import Flask\napp: Flask = Flask(__name__)\n",
            "rockcraft.yaml": {"summary": "no name, base, version or extensions", "version": 1.5},
        },
        name="warned",
    )
    result = inspect_project(str(src))
    assert result["worker_class"] == "gevent"
    assert result["version"] == "1.5"
    warnings = "\n".join(result["warnings"])
    for fragment in (
        "does not list the flask-framework extension",
        "sets no name; using the directory name 'warned'",
        "sets no base; using ubuntu@24.04",
        "version 1.5 is a YAML number",
        "flask is declared in a form Rockcraft 1.20 does not read",
        "gevent is declared in a form Rockcraft 1.20 does not read",
        "annotated assignment",
    ):
        assert fragment in warnings


@pytest.mark.parametrize(
    ("command", "entrypoint"),
    [
        ("/bin/python3 -m gunicorn -c /flask/gunicorn.conf.py webapp:app", "webapp:app"),
        (
            "gunicorn --bind=0.0.0.0:8000 --preload 'pkg.wsgi:create_app()' -k [ sync ]",
            "pkg.wsgi:create_app()",
        ),
        ("/venv/bin/gunicorn -w 4 -k gevent main:application", "main:application"),
        ("/bin/python3 -m gunicorn -c conf.py -k [ sync ]", None),
        ("/bin/uwsgi --http :8000", None),
        ("gunicorn 'unclosed", None),
    ],
)
def test_entrypoint_from_user_command(command, entrypoint):
    assert entrypoint_from_command(command) == entrypoint


def test_expanded_yaml_round_trips_and_uses_block_style(make_project):
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n", "rockcraft.yaml": ROCK})
    result = inspect_project(str(src))
    text = result["expanded_yaml"]
    assert yaml.safe_load(text) == result["expanded"]
    assert "    override-build: |-\n      craftctl default\n" in text
    assert "command: /bin/python3 -m gunicorn -c /flask/gunicorn.conf.py 'app:app' -k [ sync ]\n" in text
    assert text.index("name:") < text.index("run-user:") < text.index("services:") < text.index("parts:")


def test_unlistable_project_directory_is_reported(make_project, monkeypatch):
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n"})

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "listdir", denied)
    assert problems_of(src) == [f"cannot list the project directory {src}: Permission denied"]


def test_unreadable_shipped_directory_is_reported(make_project, monkeypatch):
    # Root ignores file modes, so the refusal is simulated where os.walk lists directories.
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n", "static/css/a.css": ""})
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("css"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert problems_of(src) == ["cannot read the directory static/css: Permission denied"]


@pytest.mark.parametrize(
    ("app", "prime"),
    [
        # No default prime file: Rockcraft ships the whole project, .env included.
        ("demo/__init__.py", None),
        ("app.py", ["flask/app/app.py", "flask/app/.env", "flask/app/.flaskenv"]),
    ],
)
def test_dotenv_files_are_left_out_of_the_app_with_a_warning(make_project, app, prime):
    """Beyond Rockcraft (which ships them): secrets stay out, the warning says where values go."""
    rock = {"name": "demo", "base": "ubuntu@24.04", "extensions": ["flask-framework"]}
    if prime:
        rock["parts"] = {"flask-framework/install-app": {"prime": prime}}
    src = make_project(
        {
            "requirements.txt": "flask\n",
            app: "def create_app():\n    pass\n",
            ".env": "SECRET_TOKEN=1\n",
            ".flaskenv": "FLASK_DEBUG=1\n",
            "rockcraft.yaml": rock,
        }
    )
    result = inspect_project(str(src))
    assert ".env" not in result["app_files"] and ".flaskenv" not in result["app_files"]
    assert app in result["app_files"]
    [warning] = [text for text in result["warnings"] if "dotenv" in text]
    assert warning.startswith(".env, .flaskenv left out of the image: dotenv files hold local settings")
    assert "deploy_env" in warning and "deploy_config" in warning and "deploy_flask_secret_key" in warning


def test_no_dotenv_warning_without_dotenv_files(make_project):
    src = make_project({"requirements.txt": "flask\n", "app.py": "app = 1\n", "settings.env": "A=1\n"})
    assert not any("dotenv" in text for text in inspect_project(str(src))["warnings"])


TUTORIAL_FILES = {
    "pyproject.toml": '[project]\nname = "flaskr"\nversion = "1"\ndependencies = ["flask"]\n',
    "flaskr/__init__.py": "def create_app(test_config=None):\n    pass\n",
    "flaskr/templates/base.html": "",
    "migrate.sh": "flask --app flaskr init-db\n",
}


def test_an_entrypoint_the_default_prime_leaves_out_is_warned_about(make_project):
    """The tutorial plus a migrate.sh: Rockcraft's default prime is migrate.sh alone."""
    result = inspect_project(str(make_project(TUTORIAL_FILES, name="flaskr")))
    assert result["entrypoint"] == "flaskr:create_app()"
    assert result["app_files"] == ["migrate.sh"]
    assert (
        "the WSGI entrypoint flaskr:create_app() is left out of /flask/app by the prime: Gunicorn imports "
        "it from the project's wheel (pip install .), so its Flask instance folder is in the virtual "
        "environment, not in /flask/app/instance; add flask/app/flaskr to the prime, or use an exclude "
        "prime (such as '- flask/app/tests') to ship the whole project"
    ) in result["warnings"]


def test_an_entrypoint_nothing_ships_or_installs_is_warned_about(make_project):
    files = {**TUTORIAL_FILES, "requirements.txt": "flask\n"}
    del files["pyproject.toml"]
    [warning] = inspect_project(str(make_project(files, name="flaskr")))["warnings"]
    assert "nothing installs it (no pyproject.toml or setup.py): the app will not start" in warning


def test_an_exclude_prime_ships_the_entrypoint_without_warning(make_project):
    rock = {"name": "flaskr", "parts": {"flask-framework/install-app": {"prime": ["- flask/app/tests"]}}}
    result = inspect_project(str(make_project({**TUTORIAL_FILES, "rockcraft.yaml": rock}, name="flaskr")))
    assert "flaskr/__init__.py" in result["app_files"] and "migrate.sh" in result["app_files"]
    assert not any("WSGI entrypoint" in warning for warning in result["warnings"])
