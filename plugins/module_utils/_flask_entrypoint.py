# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""WSGI entrypoint detection, in Rockcraft's search order, by static analysis (``ast``)."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import ast
import os

from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import (
    ProjectFileError,
    read_project_text,
)

APP_VARIABLES = ("app", "application")
FACTORY_FUNCTIONS = ("create_app", "make_app")
MISSING_ENTRYPOINT = "Missing WSGI entrypoint in default search locations"


def search_locations(rock_name):
    """Project-relative candidate files, in Rockcraft's order."""
    package_dir = rock_name.replace("-", "_").lower()
    locations = ["app.py", "main.py"]
    for directory in ("app", "src", package_dir):
        for filename in ("__init__.py", "app.py", "main.py"):
            candidate = "%s/%s" % (directory, filename)
            if candidate not in locations:
                locations.append(candidate)
    return locations


def module_path(rel):
    """``src/app.py`` -> ``src.app``; ``app/__init__.py`` -> ``app``."""
    parts = [part for part in rel.split("/") if part != "__init__.py"]
    parts[-1] = parts[-1][: -len(".py")] if parts[-1].endswith(".py") else parts[-1]
    return ".".join(parts)


class EntrypointReport:
    def __init__(self):
        self.entrypoint = None
        self.files = []
        self.problems = []
        self.annotated_only = False


def _global_bindings(tree):
    """Module-level names bound by plain assignment, import-from, and (separately) annotated assignment."""
    assigned = set()
    annotated = set()
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Assign):
            assigned.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            assigned.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
            annotated.add(node.target.id)
    return assigned, annotated


def _factories(tree):
    return {node.name for node in ast.iter_child_nodes(tree) if isinstance(node, ast.FunctionDef)}


def _parse(root, rel):
    source = read_project_text(root, rel)
    try:
        return ast.parse(source, filename=rel)
    except SyntaxError as err:
        raise ProjectFileError("error parsing %s: %s" % (rel, err.msg)) from None
    except ValueError as err:
        raise ProjectFileError("error parsing %s: %s" % (rel, err)) from None


def find_entrypoint(root, rock_name):
    """Find ``module:variable`` (first pass) or ``module:factory()`` (second pass).

    Like Rockcraft, the first file that cannot be parsed stops the search with an error.
    """
    report = EntrypointReport()
    trees = []
    existing = [
        rel for rel in search_locations(rock_name) if os.path.isfile(os.path.join(root, *rel.split("/")))
    ]
    for rel in existing:
        report.files.append(rel)
        try:
            tree = _parse(root, rel)
        except ProjectFileError as err:
            report.problems.append(str(err))
            return report
        trees.append((rel, tree))
        assigned, annotated = _global_bindings(tree)
        # Plain bindings first so that whatever Rockcraft finds, this finds too.
        for bound, is_annotation in ((assigned, False), (annotated, True)):
            for variable in APP_VARIABLES:
                if variable in bound:
                    report.entrypoint = "%s:%s" % (module_path(rel), variable)
                    report.annotated_only = is_annotation
                    return report
    for rel, tree in trees:
        defined = _factories(tree)
        for factory in FACTORY_FUNCTIONS:
            if factory in defined:
                report.entrypoint = "%s:%s()" % (module_path(rel), factory)
                return report
    report.problems.append(MISSING_ENTRYPOINT)
    return report
