# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""WSGI entrypoint detection, in Rockcraft's search order, by static analysis (``ast``).

Files are parsed for the rock's Python (``python_version``), whatever Python runs this code:

- same or newer here: ``ast.parse(feature_version=...)``, the rock's grammar as far as CPython
  checks it (the image build compiles every file with the rock's own interpreter, the last word);
- older here: a file this Python cannot parse but that uses syntax a newer Python accepts (PEP 701
  f-strings, PEP 695 type parameters, ...) has its module-level names read from its tokens
  (``tokenize`` accepts such code) and is left to the image build's check; any other syntax error
  is reported as usual.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import ast
import io
import keyword
import os
import sys
import tokenize

from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import (
    ProjectFileError,
    read_python_source,
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
        self.warnings = []
        self.annotated_only = False


class Bindings:
    """What a module binds at its top level: plain names, annotated names, function definitions."""

    def __init__(self, assigned=(), annotated=(), functions=()):
        self.assigned = set(assigned)
        self.annotated = set(annotated)
        self.functions = set(functions)


def version_tuple(version):
    """``"3.12"`` -> ``(3, 12)``; None for anything else."""
    try:
        major, minor = str(version).split(".")
        return int(major), int(minor)
    except ValueError:
        return None


def version_text(version):
    return "%d.%d" % version


def checked_against(lineno, version):
    where = "line %d" % lineno if lineno else ""
    against = "checked against Python %s" % version_text(version) if version else ""
    return ", ".join(part for part in (where, against) if part)


def parse_error(rel, err, version):
    """Rockcraft's ``error parsing <file>: <message>``, then where and for which Python."""
    detail = checked_against(err.lineno, version)
    return "error parsing %s: %s%s" % (rel, err.msg, " (%s)" % detail if detail else "")


# ---------------------------------------------------------------- from the syntax tree


def ast_bindings(tree):
    """Module-level names bound by plain assignment and import-from, by annotated assignment
    with a value, and module-level (non-async) function definitions."""
    bindings = Bindings()
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Assign):
            bindings.assigned.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            bindings.assigned.update(alias.asname or alias.name for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
            bindings.annotated.add(node.target.id)
        elif isinstance(node, ast.FunctionDef):
            bindings.functions.add(node.name)
    return bindings


# ---------------------------------------------------------------- from the tokens

OPENING = "([{"
CLOSING = ")]}"


def logical_lines(source):
    """The simple statements of ``source`` (logical lines split at ``;``), each as its indentation
    level and its tokens ``(type, string, bracket depth, first row, last row)``.

    Raises tokenize.TokenError or IndentationError when even the tokenizer cannot read the source.
    """
    level = 0
    statement = []
    lines = []
    depth = 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        kind, text = token.type, token.string
        if kind == tokenize.INDENT:
            level += 1
        elif kind == tokenize.DEDENT:
            level -= 1
        elif kind in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if statement:
                lines.append((level, statement))
            statement, depth = [], 0
        elif kind == tokenize.OP and text == ";" and depth == 0:
            if statement:
                lines.append((level, statement))
            statement = []
        elif kind not in (tokenize.NL, tokenize.COMMENT):
            if kind == tokenize.OP and text in OPENING:
                depth += 1
            elif kind == tokenize.OP and text in CLOSING:
                depth = max(depth - 1, 0)
            statement.append((kind, text, depth, token.start[0], token.end[0]))
    return lines


def _is_op(token, text):
    return token[0] == tokenize.OP and token[1] == text


def _import_from_names(statement):
    """The names ``from m import a, b as c`` binds (none for ``*``)."""
    words = [token[1] for token in statement if token[0] == tokenize.NAME or _is_op(token, ",")]
    if "import" not in words:
        return []
    bound = []
    for alias in " ".join(words[words.index("import") + 1 :]).split(","):
        parts = alias.split()
        if parts:
            bound.append(parts[-1])  # "name" or "name as other"
    return bound


def _statement_bindings(statement, bindings):
    first = statement[0]
    if first[0] != tokenize.NAME:
        return  # a decorator, an expression...
    if first[1] == "from":
        bindings.assigned.update(_import_from_names(statement))
    elif first[1] == "def" and len(statement) > 1 and statement[1][0] == tokenize.NAME:
        bindings.functions.add(statement[1][1])
    elif len(statement) > 2 and _is_op(statement[1], ":") and statement[1][2] == 0:
        # name: annotation = value (depth 0 "=" after the annotation)
        if not keyword.iskeyword(first[1]) and any(
            _is_op(token, "=") and token[2] == 0 for token in statement[2:]
        ):
            bindings.annotated.add(first[1])
    else:
        # name = [name = ...] value: each NAME directly followed by "=" in the leading chain
        index = 0
        while (
            index + 1 < len(statement)
            and statement[index][0] == tokenize.NAME
            and not keyword.iskeyword(statement[index][1])
            and _is_op(statement[index + 1], "=")
        ):
            bindings.assigned.add(statement[index][1])
            index += 2


def token_bindings(source):
    """Module-level bindings read from the tokens, for code this Python's parser refuses.

    Recognises what ``ast_bindings`` does for code it can parse: ``name = ...`` (chains too),
    ``name: T = ...``, ``from m import name [as other]``, ``def name(...)`` at module level.
    """
    bindings = Bindings()
    for level, statement in logical_lines(source):
        if level == 0:
            _statement_bindings(statement, bindings)
    return bindings


def _string_prefix(literal):
    """``rb'x'`` -> ``rb``."""
    for index, char in enumerate(literal):
        if char in "'\"":
            return literal[:index].lower()
    return ""


def _starts_f_string(statement, index):
    """An f-string as this Python tokenizes it: a string token with an ``f`` prefix or, when its
    replacement field spans lines (PEP 701), the prefix as a name followed by a stray quote."""
    kind, text = statement[index][:2]
    if kind == tokenize.STRING:
        return "f" in _string_prefix(text)
    following = statement[index + 1] if index + 1 < len(statement) else None
    return (
        kind == tokenize.NAME
        and text.lower() in ("f", "rf", "fr")
        and following is not None
        and following[0] == tokenize.ERRORTOKEN
        and following[1][:1] in ("'", '"')
    )


def _newer_syntax(source, lineno):
    """What the statement holding line ``lineno`` (any, if None) may use that this Python lacks."""
    found = []
    here = sys.version_info[:2]
    for _level, statement in logical_lines(source):
        if lineno is not None and not statement[0][3] <= lineno <= statement[-1][4]:
            continue
        words = [token[1] for token in statement] + ["", ""]
        kinds = [token[0] for token in statement] + [None, None]
        if here < (3, 12):
            if any(_starts_f_string(statement, index) for index in range(len(statement))):
                found.append("f-strings (PEP 701)")
            if any(
                word in ("def", "class") and kinds[index + 1] == tokenize.NAME and words[index + 2] == "["
                for index, word in enumerate(words[:-2])
            ) or (words[0] == "type" and kinds[1] == tokenize.NAME and words[2] in ("[", "=")):
                found.append("type parameters (PEP 695)")
        if here < (3, 11) and words[:2] == ["except", "*"]:
            found.append("except* (PEP 654)")
        if here < (3, 10) and words[0] in ("match", "case"):
            found.append("match statements (PEP 634)")
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- one candidate file


def deepest_line(source):
    """Where the parser most likely overflowed, found in one linear scan (the tokenizer is too slow
    on such files): the line where bracket nesting peaks, else the longest line."""
    depth, peak, peak_line, longest, longest_line = 0, 0, None, -1, None
    for number, line in enumerate(source.splitlines(), start=1):
        opened = line.count("(") + line.count("[") + line.count("{")
        if depth + opened > peak:
            peak, peak_line = depth + opened, number
        depth += opened - line.count(")") - line.count("]") - line.count("}")
        if len(line) > longest:
            longest, longest_line = len(line), number
    return peak_line if peak >= 50 else longest_line


def too_deep_message(rel, source, lineno=None):
    line = lineno or deepest_line(source)
    return "%s is too deeply nested to analyse%s: simplify that expression or statement" % (
        rel,
        " (line %d)" % line if line else "",
    )


def read_bindings(root, rel, python_version, report):
    """The module-level bindings of ``rel``, parsed for Python ``python_version`` ("3.12", or None
    for this Python). Raises ProjectFileError with Rockcraft's "error parsing" message."""
    source = read_python_source(root, rel)
    target = version_tuple(python_version)
    here = sys.version_info[:2]
    older_here = target is not None and here < target
    try:
        options = {"feature_version": target} if target and not older_here else {}
        return ast_bindings(ast.parse(source, filename=rel, **options))
    except (RecursionError, MemoryError):
        raise ProjectFileError(too_deep_message(rel, source)) from None
    except SyntaxError as err:
        if "too many nested" in str(err.msg) or "too complex" in str(err.msg):
            raise ProjectFileError(too_deep_message(rel, source, err.lineno)) from None
        if not older_here:
            raise ProjectFileError(parse_error(rel, err, target)) from None
        error = err
    except ValueError as err:
        raise ProjectFileError("error parsing %s: %s" % (rel, err)) from None
    # This Python is older than the rock's: is the error syntax that Python accepts?
    try:
        newer = _newer_syntax(source, error.lineno)
        bindings = token_bindings(source) if newer else None
    except (tokenize.TokenError, SyntaxError, RecursionError, MemoryError):
        newer, bindings = [], None
    if bindings is None:
        raise ProjectFileError(parse_error(rel, error, here)) from None
    report.warnings.append(
        "%s does not parse with Python %s, which runs this check (%s: %s), but uses syntax of newer "
        "Pythons (%s): its module-level names were read from its tokens, and the image build compiles "
        "it with the rock's Python %s"
        % (
            rel,
            version_text(here),
            checked_against(error.lineno, None),
            error.msg,
            ", ".join(newer),
            python_version,
        )
    )
    return bindings


def find_entrypoint(root, rock_name, python_version=None):
    """Find ``module:variable`` (first pass) or ``module:factory()`` (second pass).

    ``python_version`` ("3.12") is the rock's Python, the one the files must be valid for (None:
    this Python's). Like Rockcraft, the first file that cannot be parsed stops the search with an
    error.
    """
    report = EntrypointReport()
    found = []
    # Every candidate that exists and is not a directory: a FIFO, device or outside symlink named
    # app.py is refused by the read, naming the file, instead of being skipped.
    existing = [
        rel
        for rel in search_locations(rock_name)
        if os.path.lexists(os.path.join(root, *rel.split("/")))
        and not os.path.isdir(os.path.join(root, *rel.split("/")))
    ]
    for rel in existing:
        report.files.append(rel)
        try:
            bindings = read_bindings(root, rel, python_version, report)
        except ProjectFileError as err:
            report.problems.append(str(err))
            return report
        found.append((rel, bindings))
        # Plain bindings first so that whatever Rockcraft finds, this finds too.
        for bound, is_annotation in ((bindings.assigned, False), (bindings.annotated, True)):
            for variable in APP_VARIABLES:
                if variable in bound:
                    report.entrypoint = "%s:%s" % (module_path(rel), variable)
                    report.annotated_only = is_annotation
                    return report
    for rel, bindings in found:
        for factory in FACTORY_FUNCTIONS:
            if factory in bindings.functions:
                report.entrypoint = "%s:%s()" % (module_path(rel), factory)
                return report
    report.problems.append(MISSING_ENTRYPOINT)
    return report
