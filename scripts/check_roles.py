#!/usr/bin/env python3
"""Repository-wide checks of the roles that ansible-lint cannot express (issue 10's rules).

  filters   no Jinja expression in roles/ has more than MAX_FILTERS filters. Every ``{{ }}`` and
            every ``{% %}`` tag of the role's templates and YAML values (tasks, handlers, defaults,
            vars, meta) is parsed with Jinja2's own parser and its Filter nodes are counted; bare
            expressions (``when:``, ``changed_when:``, ``failed_when:``, ``until:``, ``that:`` in
            tasks and handlers) are parsed as expressions.
  contract  the runtime contract (plugins/module_utils/_runtime.py) is the only place that spells
            its values: the run-as uid/gid 584792, /flask paths, the container ports 8000 and 9102
            and the io.flaskrock.paas. label names appear nowhere in roles/*/{tasks,handlers,
            templates,files,defaults,vars} (README prose may mention them).

Usage: scripts/check_roles.py [--roles-dir DIR] [CHECK...]   (default: every check)
Prints one line per problem (path:line: message) and exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.parser import Parser

MAX_FILTERS = 4
YAML_DIRS = ("tasks", "handlers", "defaults", "vars", "meta")
TEMPLATE_DIRS = ("templates",)
CONTRACT_DIRS = ("tasks", "handlers", "templates", "files", "defaults", "vars")
# Task keywords whose string values Ansible evaluates as bare Jinja expressions.
BARE_EXPRESSION_KEYS = frozenset({"when", "changed_when", "failed_when", "until", "that"})
BARE_EXPRESSION_DIRS = frozenset({"tasks", "handlers"})
YAML_SUFFIXES = (".yml", ".yaml")
STR_TAG = "tag:yaml.org,2002:str"
# Literals owned by the runtime contract, with why each is flagged.
CONTRACT_LITERALS = (
    (re.compile(r"(?<!\d)584792(?!\d)"), "the run-as uid/gid 584792"),
    (re.compile(r"(?<![\w.-])/flask(?![\w.-])"), "a /flask path"),
    (re.compile(r"(?<![\w.])(?:8000|9102)(?![\w])"), "a container port (8000/9102)"),
    (re.compile(r"io\.flaskrock\.paas\."), "an io.flaskrock.paas. label name"),
)
CONTRACT_HINT = "read it from lookup('flaskrock.paas.runtime_contract')"

# Ansible's Jinja environment enables these extensions; their tags must parse.
JINJA = Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Expression:
    """One ``{{ }}``/``{% %}``/bare expression: the line it starts on and its filters in order."""

    line: int
    filters: tuple[str, ...]


# --- counting filters -------------------------------------------------------------------------


def filter_names(node):
    """Names of every filter applied in expression ``node``, in the order they apply."""
    names = []
    for child in node.iter_child_nodes():
        names += filter_names(child)
    if isinstance(node, nodes.Filter) and node.name:
        names.append(node.name)
    return tuple(names)


def _expression_fields(node):
    """Expressions a statement tag holds itself (not those of its body)."""
    for _field, value in node.iter_fields():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, nodes.Expr):
                yield item


def _statement_children(node):
    for _field, value in node.iter_fields():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, nodes.Node) and not isinstance(item, nodes.Expr):
                yield item


def template_expressions(tree):
    """Every ``{{ }}`` (one Expression each) and ``{% %}`` tag (one for the whole tag) of a template."""
    found = []
    if isinstance(tree, nodes.Output):
        for child in tree.nodes:
            if not isinstance(child, nodes.TemplateData):
                found.append(Expression(child.lineno, filter_names(child)))
        return found
    if isinstance(tree, nodes.Stmt):
        names = tuple(name for expr in _expression_fields(tree) for name in filter_names(expr))
        found.append(Expression(tree.lineno, names))
    for child in _statement_children(tree):
        found += template_expressions(child)
    return found


def parse_template(source):
    """Expressions of a Jinja template source; raises TemplateSyntaxError."""
    return template_expressions(JINJA.parse(source))


def parse_bare_expression(source):
    """The expression of a ``when:``-style value; raises TemplateSyntaxError."""
    parser = Parser(JINJA, source, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("unexpected text after the expression", parser.stream.current.lineno)
    return [Expression(1, filter_names(expr))]


def is_template(text):
    return "{{" in text or "{%" in text


# --- YAML values ------------------------------------------------------------------------------


def yaml_strings(path, bare_keys=frozenset()):
    """(line, text, is_bare) of every string value of a YAML file (keys are not Jinja)."""
    with open(path, encoding="utf-8") as stream:
        documents = list(yaml.compose_all(stream, Loader=yaml.SafeLoader))
    found = []

    def walk(node, bare):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, isinstance(key, yaml.ScalarNode) and key.value in bare_keys)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, bare)
        elif isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG:
            # Block scalars (| and >) start on the line after their indicator.
            first_line = node.start_mark.line + 1 + (1 if node.style in ("|", ">") else 0)
            found.append((first_line, node.value, bare))

    for document in documents:
        if document is not None:
            walk(document, False)
    return found


def check_expressions(path, expressions, line_offset, max_filters):
    problems = []
    for expression in expressions:
        if len(expression.filters) > max_filters:
            problems.append(
                Problem(
                    path,
                    line_offset + expression.line - 1,
                    f"{len(expression.filters)} filters in one expression (max {max_filters}): "
                    + " | ".join(expression.filters),
                )
            )
    return problems


def check_yaml_filters(path, bare_expressions, max_filters=MAX_FILTERS):
    problems = []
    try:
        strings = yaml_strings(path, BARE_EXPRESSION_KEYS if bare_expressions else frozenset())
    except yaml.YAMLError as error:
        return [Problem(path, 1, f"not YAML: {error}")]
    for line, text, bare in strings:
        try:
            if is_template(text):
                expressions = parse_template(text)
            elif bare:
                expressions = parse_bare_expression(text)
            else:
                continue
        except TemplateSyntaxError as error:
            error_line = line + (error.lineno or 1) - 1
            problems.append(Problem(path, error_line, f"Jinja syntax error: {error.message}"))
            continue
        problems += check_expressions(path, expressions, line, max_filters)
    return problems


def check_template_filters(path, max_filters=MAX_FILTERS):
    try:
        expressions = parse_template(Path(path).read_text(encoding="utf-8"))
    except TemplateSyntaxError as error:
        return [Problem(path, error.lineno or 1, f"Jinja syntax error: {error.message}")]
    return check_expressions(path, expressions, 1, max_filters)


def role_files(roles_dir, subdirs, suffixes=None):
    for role in sorted(p for p in Path(roles_dir).iterdir() if p.is_dir()):
        for subdir in subdirs:
            for path in sorted((role / subdir).rglob("*")):
                if path.is_file() and (suffixes is None or path.suffix in suffixes):
                    yield subdir, path


def check_filters(roles_dir, max_filters=MAX_FILTERS):
    problems = []
    for subdir, path in role_files(roles_dir, YAML_DIRS, YAML_SUFFIXES):
        problems += check_yaml_filters(path, subdir in BARE_EXPRESSION_DIRS, max_filters)
    for _subdir, path in role_files(roles_dir, TEMPLATE_DIRS):
        problems += check_template_filters(path, max_filters)
    return sorted(problems, key=lambda p: (str(p.path), p.line))


# --- runtime contract literals ----------------------------------------------------------------


def contract_literals(path, text):
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern, what in CONTRACT_LITERALS:
            match = pattern.search(line)
            if match:
                problems.append(Problem(path, number, f"{what} ({match.group(0)!r}): {CONTRACT_HINT}"))
    return problems


def check_contract(roles_dir):
    problems = []
    for _subdir, path in role_files(roles_dir, CONTRACT_DIRS):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary files hold no spelled-out values
        problems += contract_literals(path, text)
    return sorted(problems, key=lambda p: (str(p.path), p.line))


CHECKS = {"filters": check_filters, "contract": check_contract}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("checks", nargs="*", choices=[[], *CHECKS], default=[], metavar="CHECK",
                        help=f"checks to run: {', '.join(CHECKS)} (default: all)")
    parser.add_argument("--roles-dir", default=Path(__file__).resolve().parents[1] / "roles", type=Path)
    args = parser.parse_args(argv)
    problems = []
    for name in args.checks or CHECKS:
        found = CHECKS[name](args.roles_dir)
        problems += found
        print(f"check_roles: {name}: {len(found)} problem(s)", file=sys.stderr)
    root = Path.cwd()
    for problem in problems:
        path = problem.path.resolve()
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        print(Problem(shown, problem.line, problem.message))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
