"""WSGI entrypoint detection."""

import ast
import sys

import pytest
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_entrypoint import (
    MISSING_ENTRYPOINT,
    ast_bindings,
    find_entrypoint,
    module_path,
    search_locations,
    token_bindings,
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
    assert report.problems == ["error parsing app.py: invalid syntax (line 1)"]


def test_syntax_error_in_nested_file_names_its_path(make_project):
    report = find_entrypoint(str(make_project({"src/app.py": "app = (\n"})), "demo")
    assert report.problems == ["error parsing src/app.py: '(' was never closed (line 1)"]


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


# ---------------------------------------------------------------- parsed for the rock's Python

HERE = sys.version_info[:2]
HERE_TEXT = "{}.{}".format(*HERE)
PEP_701 = 'from flask import Flask\n\nCONFIG = {"k": "v"}\nTITLE = f"{CONFIG["k"]}"\napp = Flask(__name__)\n'


def test_code_valid_for_the_rocks_newer_python_passes_on_any_python(make_project):
    """A PEP 701 f-string for a 3.12 rock: parsed directly on 3.12+, read from its tokens before."""
    report = find_entrypoint(str(make_project({"app.py": PEP_701})), "demo", "3.12")
    assert (report.entrypoint, report.problems) == ("app:app", [])
    if HERE < (3, 12):
        assert report.warnings == [
            f"app.py does not parse with Python {HERE_TEXT}, which runs this check (line 4: f-string: "
            "unmatched '['), but uses syntax of newer Pythons (f-strings (PEP 701)): its module-level "
            "names were read from its tokens, and the image build compiles it with the rock's Python 3.12"
        ]
    else:
        assert report.warnings == []


@pytest.mark.parametrize(
    ("source", "entrypoint"),
    [
        # A replacement field spanning lines (PEP 701): this tokenizer sees a stray quote.
        ('import os\nMSG = f"{\n    os.sep\n}"\napplication = object()\n', "app:application"),
        # Type parameters and the type statement (PEP 695).
        ("def first[T](items: list[T]) -> T:\n    return items[0]\n\ntype Id = int\n"
         "def create_app():\n    pass\n", "app:create_app()"),
        ("class Box[T]:\n    pass\n\napp: Box[int] = Box()\n", "app:app"),
    ],
)
def test_newer_syntax_of_the_rocks_python_passes(make_project, source, entrypoint):
    report = find_entrypoint(str(make_project({"app.py": source})), "demo", "3.12")
    assert (report.entrypoint, report.problems) == (entrypoint, [])
    assert len(report.warnings) == (1 if HERE < (3, 12) else 0)


def test_code_invalid_for_the_rocks_older_python_names_the_file_and_the_version(make_project):
    """except* is Python 3.11 syntax: a 3.10 rock (ubuntu@22.04) cannot run it, whatever Python
    checks it."""
    source = "try:\n    pass\nexcept* ValueError:\n    pass\napp = 1\n"
    report = find_entrypoint(str(make_project({"app.py": source})), "demo", "3.10")
    assert report.entrypoint is None
    assert report.problems == [
        "error parsing app.py: Exception groups are only supported in Python 3.11 and greater "
        "(line 5, checked against Python 3.10)"  # CPython's line: where the try statement ends
    ]


@pytest.mark.skipif(HERE >= (3, 12), reason="3.12's parser takes PEP 701 f-strings for any feature_version")
def test_pep_701_f_string_for_a_310_rock_is_an_error_here(make_project):
    report = find_entrypoint(str(make_project({"app.py": PEP_701})), "demo", "3.10")
    assert report.problems == [
        "error parsing app.py: f-string: unmatched '[' (line 4, checked against Python 3.10)"
    ]


@pytest.mark.parametrize("python_version", ["3.10", "3.12"])
def test_a_real_syntax_error_still_stops_the_search(make_project, python_version):
    """An f-string elsewhere in the file does not excuse an error that no Python accepts."""
    files = {"app.py": 'NAME = "x"\nHELLO = f"hi {NAME}"\ndef broken(:\n    pass\n', "main.py": "app = 1\n"}
    report = find_entrypoint(str(make_project(files)), "demo", python_version)
    checked = python_version if (3, int(python_version[2:])) <= HERE else HERE_TEXT
    assert report.entrypoint is None
    assert report.problems == [
        f"error parsing app.py: invalid syntax (line 3, checked against Python {checked})"
    ]
    assert report.warnings == []


VALID_EVERYWHERE = [
    "app = object()\n",
    "app = application = object()\n",
    "x = 1; app = 2\n",
    "import os\nif os.sep:\n    app = 1\n",
    "app.config = 1\napp[0] = 1\napp += 1\n",
    "app == 1\n(app := 1)\n",
    "from flask import (\n    Flask,\n    current_app as app,\n)\n",
    "from .factory import *\n",
    "from . import application\n",
    "@decorator\ndef create_app(config=None):\n    app = 1\n    return app\n",
    "async def make_app():\n    pass\n",
    "class create_app:\n    application = 1\n",
    "app: 'Flask' = make()\napplication: int\n",
    "def f(app=1, *, application=2):\n    pass\n",
    "handler = lambda app=1: app\n",
    "try:\n    app = 1\nexcept ImportError:\n    application = 2\nelse: make_app = 3\n",
    "x = {'app': 1, 'k': [1, 2]}\ny = f'{x[\"k\"]} {app!r:>{10}}'\n",
    "'''\napp = 1\n'''\n# app = 2\n",
    "if True: app = 1\nwith open(x) as application: pass\nfor app in []: pass\n",
]


@pytest.mark.parametrize("source", VALID_EVERYWHERE)
def test_tokens_read_the_same_bindings_as_the_syntax_tree(source):
    """The token reading used for newer syntax agrees with ast on code both can read."""
    from_tree = ast_bindings(ast.parse(source))
    from_tokens = token_bindings(source)
    assert (from_tokens.assigned, from_tokens.annotated, from_tokens.functions) == (
        from_tree.assigned,
        from_tree.annotated,
        from_tree.functions,
    )
