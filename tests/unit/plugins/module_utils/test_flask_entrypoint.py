"""WSGI entrypoint detection."""

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_entrypoint import (
    MISSING_ENTRYPOINT,
    find_entrypoint,
    module_path,
    search_locations,
)


def entrypoint_of(make_project, files, rock_name="foo-bar"):
    report = find_entrypoint(str(make_project(files)), rock_name)
    assert report.problems == []
    return report.entrypoint


def test_search_order_matches_rockcraft():
    assert search_locations("foo-bar") == [
        "app.py",
        "main.py",
        "app/__init__.py",
        "app/app.py",
        "app/main.py",
        "src/__init__.py",
        "src/app.py",
        "src/main.py",
        "foo_bar/__init__.py",
        "foo_bar/app.py",
        "foo_bar/main.py",
    ]


@pytest.mark.parametrize(
    ("location", "module"),
    [
        ("app.py", "app"),
        ("main.py", "main"),
        ("app/__init__.py", "app"),
        ("app/app.py", "app.app"),
        ("app/main.py", "app.main"),
        ("src/__init__.py", "src"),
        ("src/app.py", "src.app"),
        ("src/main.py", "src.main"),
        ("foo_bar/__init__.py", "foo_bar"),
        ("foo_bar/app.py", "foo_bar.app"),
        ("foo_bar/main.py", "foo_bar.main"),
    ],
)
@pytest.mark.parametrize(
    ("source", "suffix"),
    [
        ("app = object()\n", "app"),
        ("application = object()\n", "application"),
        ("from .factory import app\n", "app"),
        ("from .factory import make as application\n", "application"),
        ("def create_app():\n    return object()\n", "create_app()"),
        ("def make_app():\n    return object()\n", "make_app()"),
    ],
)
def test_every_location_variable_and_factory(make_project, location, module, source, suffix):
    assert entrypoint_of(make_project, {location: source}) == f"{module}:{suffix}"
    assert module_path(location) == module


def test_variable_in_a_later_file_beats_a_factory_in_an_earlier_one(make_project):
    files = {"app.py": "def create_app():\n    pass\n", "src/main.py": "app = 1\n"}
    assert entrypoint_of(make_project, files) == "src.main:app"


def test_first_file_with_a_variable_wins(make_project):
    files = {"main.py": "application = 1\n", "app/__init__.py": "app = 1\n"}
    assert entrypoint_of(make_project, files) == "main:application"


def test_factory_pass_follows_file_order_and_prefers_create_app(make_project):
    files = {
        "main.py": "def make_app():\n    pass\ndef create_app():\n    pass\n",
        "src/app.py": "def create_app():\n    pass\n",
    }
    assert entrypoint_of(make_project, files) == "main:create_app()"


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    app = 1\n",  # not module level
        "import app\n",  # a module import does not bind a usable WSGI object
        "app, db = 1, 2\n",  # tuple targets are not recognised (as in Rockcraft)
        "app: object\n",  # annotation without value binds nothing
        "class create_app:\n    pass\n",
        "async def create_app():\n    pass\n",
        "web = 1\n",
    ],
)
def test_not_an_entrypoint(make_project, source):
    report = find_entrypoint(str(make_project({"app.py": source})), "demo")
    assert report.entrypoint is None
    assert report.problems == [MISSING_ENTRYPOINT]


def test_annotated_assignment_is_accepted_and_flagged(make_project):
    report = find_entrypoint(
        str(make_project({"app.py": "from flask import Flask\napp: Flask = Flask(__name__)\n"})), "demo"
    )
    assert report.entrypoint == "app:app"
    assert report.annotated_only is True


def test_plain_binding_preferred_over_annotated_in_same_file(make_project):
    report = find_entrypoint(str(make_project({"app.py": "app: int = 1\napplication = 2\n"})), "demo")
    assert report.entrypoint == "app:application"
    assert report.annotated_only is False


def test_rock_name_directory_uses_underscores_and_lower_case(make_project):
    assert (
        entrypoint_of(make_project, {"my_shop/__init__.py": "app = 1\n"}, rock_name="My-Shop")
        == "my_shop:app"
    )


def test_syntax_error_stops_the_search_with_rockcraft_wording(make_project):
    report = find_entrypoint(str(make_project({"app.py": "def broken(:\n", "main.py": "app = 1\n"})), "demo")
    assert report.entrypoint is None
    assert report.problems == ["error parsing app.py: invalid syntax"]


def test_syntax_error_in_nested_file_names_its_path(make_project):
    report = find_entrypoint(str(make_project({"src/app.py": "app = (\n"})), "demo")
    assert report.problems == ["error parsing src/app.py: '(' was never closed"]


def test_match_before_a_broken_file_is_returned(make_project):
    assert entrypoint_of(make_project, {"app.py": "app = 1\n", "main.py": "def broken(:\n"}) == "app:app"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"app = 1\x00\n", "app.py is not a text file: it contains NUL bytes at offset 7"),
        (b"app = '\xe9'\n", "app.py is not a UTF-8 text file: invalid byte 0xe9 at offset 7"),
    ],
)
def test_non_text_app_file_is_named(make_project, content, expected):
    report = find_entrypoint(str(make_project({"app.py": content})), "demo")
    assert report.problems == [expected]


def test_directory_named_like_a_candidate_is_skipped(make_project):
    assert entrypoint_of(make_project, {"app.py/x": "", "main.py": "app = 1\n"}) == "main:app"
