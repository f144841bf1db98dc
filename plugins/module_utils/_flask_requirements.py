# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Direct dependencies of a Flask project: requirements files (pip's format) and pyproject.toml.

Requirement files follow pip's documented format
(https://pip.pypa.io/en/stable/reference/requirements-file-format/): ``\\`` continuation lines,
``#`` comments at line start or after whitespace, option lines (``-r``, ``-c``, ``-e``, ``-i``,
``--extra-index-url``, ...), per-requirement options (``--hash``, ``--config-settings``) and
requirements that are PEP 508 strings, URLs or local paths.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import contextlib
import optparse
import os
import posixpath
import re
import shlex
import traceback

from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import (
    LIMITS,
    ProjectFileError,
    is_inside,
    read_project_text,
)

try:
    from packaging.requirements import InvalidRequirement, Requirement
except ImportError:
    HAS_PACKAGING = False
    PACKAGING_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PACKAGING = True
    PACKAGING_IMPORT_ERROR = None

try:
    import tomllib
except ImportError:
    HAS_TOMLLIB = False
    TOMLLIB_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_TOMLLIB = True
    TOMLLIB_IMPORT_ERROR = None

REQUIREMENTS_TXT = "requirements.txt"
PYPROJECT_TOML = "pyproject.toml"

# pip's own patterns (pip/_internal/req/req_file.py). pip strips comments with
# re.sub(r"(^|\s+)#.*$", ...), quadratic on a long run of spaces: strip_comment does the same in
# linear time.
ENV_VAR_RE = re.compile(r"\$\{[A-Z0-9_]+\}")
URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
EGG_RE = re.compile(r"[#&]egg=([A-Za-z0-9_.\-]+)")


class _RequirementLineError(Exception):
    pass


class _PipLineParser(optparse.OptionParser):
    """The options pip accepts in a requirements file; errors raise instead of exiting."""

    def __init__(self):
        optparse.OptionParser.__init__(self, add_help_option=False, usage=optparse.SUPPRESS_USAGE)
        for flags, action in (
            (("-i", "--index-url"), "store"),
            (("--extra-index-url",), "append"),
            (("--no-index",), "store_true"),
            (("-c", "--constraint"), "append"),
            (("-r", "--requirement"), "append"),
            (("-e", "--editable"), "append"),
            (("-f", "--find-links"), "append"),
            (("--no-binary",), "append"),
            (("--only-binary",), "append"),
            (("--prefer-binary",), "store_true"),
            (("--require-hashes",), "store_true"),
            (("--pre",), "store_true"),
            (("--trusted-host",), "append"),
            (("--use-feature",), "append"),
            (("--hash",), "append"),
            (("--config-settings",), "append"),
            (("--global-option",), "append"),
        ):
            self.add_option(*flags, action=action, dest=flags[-1].lstrip("-").replace("-", "_"))

    def error(self, msg):
        raise _RequirementLineError(msg)

    def exit(self, status=0, msg=None):
        raise _RequirementLineError(msg or "invalid options")


def is_comment_line(line):
    """pip's COMMENT_RE.match: a line whose first non-blank character is ``#``."""
    return line.lstrip().startswith("#")


def strip_comment(line):
    """The line without its comment: from the first ``#`` at line start or after whitespace."""
    index = line.find("#")
    while index != -1:
        if index == 0 or line[index - 1].isspace():
            return line[:index]
        index = line.find("#", index + 1)
    return line


_PARSER = []


def _parse_options(options):
    """pip's options of a line, one parser for all lines (building one costs more than parsing)."""
    if not _PARSER:
        _PARSER.append(_PipLineParser())
        _PARSER.append(_PARSER[0].parse_args([])[0])
    if not options.strip():
        return _PARSER[1]
    return _PARSER[0].parse_args(shlex.split(options))[0]


def logical_lines(text):
    """Yield (first physical line number, logical line) as pip sees them after joining and comments."""
    joined = []
    pending = []
    first_number = None
    for number, physical in enumerate(text.splitlines(), start=1):
        if not physical.endswith("\\") or is_comment_line(physical):
            # A comment ends a continuation; the leading space keeps it a comment once joined.
            line = " " + physical if is_comment_line(physical) else physical
            if pending:
                pending.append(line)
                joined.append((first_number, "".join(pending)))
                pending = []
            else:
                joined.append((number, line))
        else:
            if not pending:
                first_number = number
            pending.append(physical.strip("\\"))
    if pending:
        joined.append((first_number, "".join(pending)))
    for number, line in joined:
        stripped = strip_comment(line).strip()
        if stripped:
            yield number, stripped


def _split_requirement_and_options(line):
    """pip's break_args_options: the requirement is every token before the first one starting with '-'."""
    tokens = line.split(" ")
    args = []
    for token in tokens:
        if token.startswith("-"):
            break
        args.append(token)
    return " ".join(args), " ".join(tokens[len(args) :])


def _looks_like_url(text):
    return (bool(URL_RE.match(text)) and "://" in text) or text.startswith("file:")


def _looks_like_path(text):
    return text.startswith((".", "/")) or "/" in text or os.sep in text


class RequirementsReport:
    """What the requirement files and pyproject.toml of a project declare."""

    def __init__(self):
        self.names = set()
        # What Rockcraft 1.20 itself extracts: one PEP 508 parse per physical line of the top file.
        self.rockcraft_names = set()
        self.files = []
        # Project-relative local paths that requirement files install from (-e ./lib, ./x.whl, -f ./wheels).
        self.paths = set()
        self.has_requirements_txt = False
        self.has_pyproject = False
        # pyproject.toml's static [project].dependencies, as written (empty when they are dynamic or
        # one of them is a direct reference, which may point into the project itself).
        self.pyproject_dependencies = []
        self.problems = []
        self.warnings = []


class _RequirementsReader:
    def __init__(self, root, report):
        self.root = root
        self.root_real = os.path.realpath(root)
        self.report = report
        self.seen = set()
        self.lines = 0

    def _where(self, rel, number):
        return "%s line %d" % (rel, number)

    def read(self, rel, constraint=False, chain=()):
        if rel in self.seen:
            return
        chain = (*chain, rel)
        if len(chain) > LIMITS.requirement_depth:
            self.report.problems.append(
                "requirement files include each other (-r/-c) more than %d levels deep: %s"
                % (LIMITS.requirement_depth, " -> ".join((*chain[:3], "...", *chain[-3:])))
            )
            return
        if len(self.seen) >= LIMITS.requirement_files:
            self.report.problems.append(
                "%s: more than %d requirement files are included (-r/-c); refusing to read more"
                % (chain[-2] if len(chain) > 1 else rel, LIMITS.requirement_files)
            )
            return
        self.seen.add(rel)
        self.report.files.append(rel)
        try:
            text = read_project_text(self.root, rel)
        except ProjectFileError as err:
            self.report.problems.append(str(err))
            return
        for number, line in logical_lines(text):
            self.lines += 1
            if self.lines > LIMITS.requirement_lines:
                self.report.problems.append(
                    "%s: more than %d requirement lines in the requirement files; refusing to read more"
                    % (self._where(rel, number), LIMITS.requirement_lines)
                )
                return
            if len(line) > LIMITS.requirement_line_chars:
                self.report.problems.append(
                    "%s: the line is longer than %d characters, the limit of a requirement line"
                    % (self._where(rel, number), LIMITS.requirement_line_chars)
                )
                continue
            try:
                self._line(rel, number, line, constraint, chain)
            except _RequirementLineError as err:
                self.report.problems.append("%s: %s" % (self._where(rel, number), err))

    def _line(self, rel, number, line, constraint, chain=()):
        requirement, options = _split_requirement_and_options(line)
        try:
            opts = _parse_options(options)
        except ValueError as err:
            raise _RequirementLineError("cannot split options %r: %s" % (options, err)) from None
        if requirement:
            self._requirement(rel, number, requirement, constraint)
            return
        if opts.editable:
            self._requirement(rel, number, opts.editable[0], constraint, editable=True)
            return
        for location in opts.find_links or []:
            if not _looks_like_url(location) or location.startswith("file:"):
                self._local_path(rel, number, location, kind="find-links location")
        if opts.requirement or opts.constraint:
            nested = (opts.requirement or opts.constraint)[0]
            self._include(rel, number, nested, constraint=not opts.requirement, chain=chain)

    def _include(self, rel, number, nested, constraint, chain=()):
        where = self._where(rel, number)
        if ENV_VAR_RE.search(nested) or _looks_like_url(nested):
            self.report.warnings.append(
                "%s: the included requirements file %s is resolved only at build time and was not checked"
                % (where, nested)
            )
            return
        # pip resolves a nested file relative to the directory of the file that names it.
        target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), nested))
        path = os.path.join(self.root, *target.split("/"))
        if (
            nested.startswith("/")
            or target.startswith("../")
            or target == ".."
            or not is_inside(self.root_real, os.path.realpath(path))
        ):
            self.report.problems.append(
                "%s: the included requirements file %s is outside the project; only files inside the "
                "project directory reach the build" % (where, nested)
            )
            return
        if not os.path.lexists(path):
            self.report.problems.append(
                "%s: the included requirements file %s does not exist (looked for %s)"
                % (where, nested, target)
            )
            return
        # Anything but a regular file (a directory, a FIFO...) is refused by the read, naming it.
        self.read(target, constraint=constraint, chain=chain)

    def _requirement(self, rel, number, text, constraint, editable=False):
        name = None
        try:
            name = Requirement(text).name.lower()
        except InvalidRequirement as err:
            # pip splits an environment marker off a URL only at "; " (a URL may contain ';').
            spec = text.split("; ", 1)[0].strip() if _looks_like_url(text) else text.split(";", 1)[0].strip()
            if _looks_like_url(spec) and not spec.startswith("file:"):
                egg = EGG_RE.search(spec)
                name = egg.group(1).lower() if egg else None
            elif _looks_like_path(spec) or editable or spec.startswith("file:"):
                self._local_path(rel, number, spec)
                egg = EGG_RE.search(spec)
                name = egg.group(1).lower() if egg else None
            elif ENV_VAR_RE.search(text):
                self.report.warnings.append(
                    "%s: %r uses an environment variable, expanded only at build time; it was not checked"
                    % (self._where(rel, number), text)
                )
            else:
                raise _RequirementLineError("invalid requirement %r: %s" % (text, err)) from None
        if name and not constraint:
            self.report.names.add(name)

    def _local_path(self, rel, number, spec, kind="local requirement"):
        path_part = spec
        for prefix in ("file://", "file:"):
            if path_part.startswith(prefix):
                path_part = path_part[len(prefix) :]
                break
        path_part = EGG_RE.split(path_part)[0].split("#", 1)[0]
        # pip resolves local paths against its working directory: the project root during the build.
        target = posixpath.normpath(path_part)
        real = os.path.realpath(os.path.join(self.root, *target.split("/")))
        if (
            path_part.startswith("/")
            or target == ".."
            or target.startswith("../")
            or not is_inside(self.root_real, real)
        ):
            self.report.problems.append(
                "%s: the %s %s is outside the project; only files inside the project "
                "directory reach the build" % (self._where(rel, number), kind, spec)
            )
        elif not os.path.lexists(real):
            self.report.problems.append(
                "%s: the %s %s does not exist in the project" % (self._where(rel, number), kind, spec)
            )
        else:
            self.report.paths.add(target)


def _rockcraft_line_names(text):
    names = set()
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "-")):
            continue  # never a requirement: skipped without parsing
        with contextlib.suppress(InvalidRequirement):
            names.add(Requirement(line).name.lower())
    return names


def _read_pyproject(root, report):
    try:
        text = read_project_text(root, PYPROJECT_TOML)
    except ProjectFileError as err:
        report.problems.append(str(err))
        return
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        report.problems.append("pyproject.toml is not valid TOML: %s" % err)
        return
    except RecursionError:
        report.problems.append(
            "pyproject.toml is nested too deeply to read (arrays or tables within each other)"
        )
        return
    project = data.get("project", {})
    if not isinstance(project, dict):
        report.problems.append("pyproject.toml: [project] must be a table")
        return
    dependencies = project.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(dep, str) for dep in dependencies):
        report.problems.append("pyproject.toml: [project].dependencies must be a list of strings")
        return
    if len(dependencies) > LIMITS.requirement_lines:
        report.problems.append(
            "pyproject.toml: [project].dependencies lists %d entries, more than the limit of %d"
            % (len(dependencies), LIMITS.requirement_lines)
        )
        return
    parsed = []
    for dependency in dependencies:
        try:
            requirement = Requirement(dependency)
        except InvalidRequirement as err:
            report.problems.append("pyproject.toml: invalid dependency %r: %s" % (dependency, err))
            continue
        parsed.append(requirement)
        report.names.add(requirement.name.lower())
        report.rockcraft_names.add(requirement.name.lower())
    dynamic = project.get("dynamic") if isinstance(project.get("dynamic"), list) else []
    if len(parsed) == len(dependencies) and "dependencies" not in dynamic and not any(r.url for r in parsed):
        report.pyproject_dependencies = list(dependencies)


def read_requirements(root):
    """Collect the direct dependency names of the project at ``root``; never raises for bad content."""
    report = RequirementsReport()
    report.has_requirements_txt = os.path.lexists(os.path.join(root, REQUIREMENTS_TXT))
    report.has_pyproject = os.path.lexists(os.path.join(root, PYPROJECT_TOML))
    if report.has_requirements_txt:
        _RequirementsReader(root, report).read(REQUIREMENTS_TXT)
        if not report.problems:
            report.rockcraft_names |= _rockcraft_line_names(read_project_text(root, REQUIREMENTS_TXT))
    if report.has_pyproject:
        _read_pyproject(root, report)
    report.files.sort()
    return report
