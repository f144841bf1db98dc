"""Property-based tests: whatever the project files contain, the answer is a result or a clear message."""

import pathlib
import tempfile

from ansible_collections.flaskrock.paas.plugins.module_utils._flask_project import (
    FlaskProjectError,
    inspect_project,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALID_FILES = {
    "requirements.txt": b"flask\n",
    "app.py": b"from flask import Flask\napp = Flask(__name__)\n",
    "rockcraft.yaml": b"name: prop\nbase: ubuntu@24.04\nversion: '1'\nextensions: [flask-framework]\n",
}
# Fragments that steer generated text towards the syntax each parser cares about.
REQUIREMENT_FRAGMENTS = st.sampled_from(
    [
        "flask",
        "gevent",
        " ",
        "#",
        "\\\n",
        "\n",
        "-r ",
        "-c ",
        "-e ",
        "--hash=sha256:",
        "==",
        ">=",
        "[",
        "]",
        ";",
        "@",
        "git+https://x/y.git",
        "../",
        "/",
        "${VAR}",
        "'",
        '"',
        "--index-url",
        "\x00",
        "\ufeff",
    ]
)
TOML_FRAGMENTS = st.sampled_from(
    ["[project]\n", "dependencies = ", "[", "]", '"flask"', ",", "'", "\n", "=", "name", "3", "{", "}", "#"]
)
YAML_FRAGMENTS = st.sampled_from(
    [
        "name: ",
        "base: ",
        "bare",
        "ubuntu@22.04",
        "build-base: ",
        "version: ",
        "1.0",
        "parts:\n",
        "  ",
        "flask-framework/install-app:\n",
        "prime: ",
        "[",
        "]",
        "flask/app/",
        "..",
        "-",
        "\n",
        "services:",
        "flask:",
        "command: ",
        "{",
        "}",
        ":",
        "'",
        "&a",
        "*a",
        "!!python/object:os.system",
        "null",
        "- ",
    ]
)
PYTHON_FRAGMENTS = st.sampled_from(
    [
        "app",
        " = ",
        "application",
        "def create_app():\n    pass\n",
        "from x import ",
        " as ",
        ": int",
        "(",
        ")",
        "\n",
        "    ",
        "class ",
        "lambda",
        "async def make_app(): pass\n",
        "import ",
        "\x00",
        "'",
        '"""',
    ]
)


def composed(fragments):
    return st.lists(st.one_of(fragments, st.text(max_size=8)), max_size=25).map("".join)


def file_contents(fragments):
    return st.one_of(
        st.binary(max_size=200), composed(fragments).map(lambda text: text.encode("utf-8", "surrogatepass"))
    )


def check_answer(files):
    with tempfile.TemporaryDirectory(prefix="flaskrock-prop-") as tmp:
        root = pathlib.Path(tmp) / "prop"
        root.mkdir()
        for rel, content in files.items():
            (root / rel).write_bytes(content)
        try:
            result = inspect_project(str(root))
        except FlaskProjectError as err:
            assert err.problems
            assert all(isinstance(problem, str) and problem.strip() for problem in err.problems)
            assert str(err) == "\n".join("- " + problem for problem in err.problems)
            assert "Traceback" not in str(err)
        else:
            assert "flask" in result["requirements"]
            assert result["worker_class"] in ("sync", "gevent")
            assert isinstance(result["expanded"]["parts"], dict)


@BOUNDED
@given(content=file_contents(REQUIREMENT_FRAGMENTS))
def test_any_requirements_txt(content):
    check_answer(dict(VALID_FILES, **{"requirements.txt": content}))


@BOUNDED
@given(content=file_contents(TOML_FRAGMENTS))
def test_any_pyproject_toml(content):
    check_answer(dict(VALID_FILES, **{"pyproject.toml": content}))


@BOUNDED
@given(content=file_contents(YAML_FRAGMENTS))
def test_any_rockcraft_yaml(content):
    check_answer(dict(VALID_FILES, **{"rockcraft.yaml": content}))


@BOUNDED
@given(content=file_contents(PYTHON_FRAGMENTS))
def test_any_app_py(content):
    check_answer(dict(VALID_FILES, **{"app.py": content}))


@settings(max_examples=40, deadline=None)
@given(
    requirements=file_contents(REQUIREMENT_FRAGMENTS),
    rockcraft=file_contents(YAML_FRAGMENTS),
    app=file_contents(PYTHON_FRAGMENTS),
)
def test_any_combination(requirements, rockcraft, app):
    check_answer({"requirements.txt": requirements, "rockcraft.yaml": rockcraft, "app.py": app})
