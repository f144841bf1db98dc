"""Hygiene of roles/rock: its argument specs are its defaults, its README documents them, it
renders the plan (no Jinja expression with more than 4 filters, no runtime constant written out)
and follows the collection's naming of internal variables."""

import re
from pathlib import Path

import jinja2
import pytest
import yaml

ROLE = Path(__file__).resolve().parents[4] / "roles" / "rock"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
SPECS = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"][
    "options"
]
PYTHON_TYPES = {"str": str, "path": str, "dict": dict, "list": list, "bool": bool}
ROLE_FILES = sorted(
    path
    for path in ROLE.rglob("*")
    if path.is_file() and path.name != "README.md" and "files" not in path.parts
)
# Bare Jinja expressions in YAML (no braces).
CONDITION_KEYS = {"when", "that", "changed_when", "failed_when", "until"}


def test_every_default_is_specified_with_its_default_and_nothing_else():
    assert set(SPECS) == set(DEFAULTS)
    for name, default in DEFAULTS.items():
        assert SPECS[name].get("default") == default, name
        assert isinstance(default, PYTHON_TYPES[SPECS[name]["type"]]), name
        assert not SPECS[name].get("required", False), name
        assert SPECS[name]["description"], name


def test_every_variable_is_documented_in_the_readme():
    readme = (ROLE / "README.md").read_text()
    assert [name for name in DEFAULTS if f"| `{name}` |" not in readme] == []


def _expressions(text):
    """Yield (expression source, number of filters) for each {{ }} and {% %} of a template text."""
    environment = jinja2.Environment()
    filters, source = 0, []
    for _, token, value in environment.lex(text):
        if token in ("variable_begin", "block_begin"):
            filters, source = 0, []
        elif token in ("variable_end", "block_end"):
            yield " ".join(source), filters
        else:
            source.append(value)
            filters += token == "operator" and value == "|"


def _conditions(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CONDITION_KEYS:
                for condition in value if isinstance(value, list) else [value]:
                    if isinstance(condition, str):
                        yield condition
            else:
                yield from _conditions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _conditions(item)


@pytest.mark.parametrize("path", ROLE_FILES, ids=lambda path: str(path.relative_to(ROLE)))
def test_no_jinja_expression_has_more_than_4_filters(path):
    text = path.read_text()
    expressions = list(_expressions(text))
    if path.suffix == ".yml":
        for condition in _conditions(yaml.safe_load(text)):
            expressions.extend(_expressions("{{ " + condition + " }}"))
    assert [source for source, filters in expressions if filters > 4] == []


def test_the_filter_counter_counts_filters():
    assert [count for _, count in _expressions("{{ a | b | c('|') }} {% if x | d %}{% endif %}")] == [2, 1, 0]


FORBIDDEN = re.compile(r"584792|/flask(?![\w-])|\b8000\b|\b9102\b|io\.flaskrock\.paas\.")


@pytest.mark.parametrize(
    "path",
    sorted(path for path in ROLE.rglob("*") if path.is_file() and path.name != "README.md"),
    ids=lambda path: str(path.relative_to(ROLE)),
)
def test_runtime_constants_come_from_the_plan_only(path):
    assert FORBIDDEN.findall(path.read_text()) == []


def _task_files():
    return sorted((ROLE / "tasks").glob("*.yml"))


def _walk_tasks(tasks):
    for task in tasks or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from _walk_tasks(task.get(key))


def test_internal_variable_names():
    registers, task_vars = set(), set()
    for path in _task_files():
        for task in _walk_tasks(yaml.safe_load(path.read_text())):
            if "register" in task:
                registers.add(task["register"])
            task_vars.update(task.get("vars", {}))
            for action in ("ansible.builtin.set_fact",):
                task_vars.update(name for name in task.get(action, {}) if name != "rock_image")
    role_vars = set(yaml.safe_load((ROLE / "vars" / "main.yml").read_text()))
    assert registers and all(name.startswith("__rock_") for name in registers), registers
    assert all(name.startswith("_rock_") and not name.startswith("__") for name in task_vars | role_vars)


def test_every_register_is_used():
    texts = "\n".join(path.read_text() for path in [*_task_files(), *(ROLE / "vars").glob("*.yml")])
    templates = "\n".join(path.read_text() for path in (ROLE / "templates").glob("*"))
    for path in _task_files():
        for task in _walk_tasks(yaml.safe_load(path.read_text())):
            name = task.get("register")
            if name:
                uses = len(re.findall(rf"\b{name}\b", texts + templates))
                assert uses > 1, f"{name} registered in {path.name} but never read"


def test_every_task_file_is_used():
    texts = "\n".join(path.read_text() for path in _task_files())
    unused = [path.name for path in _task_files() if path.name != "main.yml" and path.name not in texts]
    assert unused == []
