# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Validate a Flask project and expand the flask-framework extension (contract K1)."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import os
import re
import shlex
import traceback

from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_entrypoint as flask_entrypoint
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_expansion as flask_expansion
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_migration as flask_migration
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_requirements as flask_requirements
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import (
    ProjectFileError,
    is_inside,
    read_project_text,
)

try:
    import yaml
except ImportError:
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_YAML = True
    YAML_IMPORT_ERROR = None

DEFAULT_BASE = "ubuntu@24.04"
DEFAULT_VERSION = "0.1"
EXTENSION = "flask-framework"
SUPPORTED_BASES = ("bare", "ubuntu@22.04", "ubuntu:22.04", "ubuntu@24.04")
SUPPORTED_BUILD_BASES = ("ubuntu@22.04", "ubuntu:22.04", "ubuntu@24.04", "ubuntu:24.04")
MISSING_REQUIREMENTS = (
    "missing a requirements file (requirements.txt or pyproject.toml). The flask-framework extension "
    "requires one of these files with 'flask' specified as a dependency."
)
MISSING_FLASK = "missing flask package dependency in requirements file."
# craft-application's project name rule; the name also becomes a Docker repository name.
NAME_RE = re.compile(r"^([a-z0-9][a-z0-9-]?)*[a-z]+([a-z0-9-]?[a-z0-9])*$")
# Rockcraft's version rule, narrowed to what a Docker tag accepts (no ':', '+', '~').
VERSION_RE = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9.-]{0,30}[a-zA-Z0-9])?$")
GUNICORN_FLAGS_WITHOUT_VALUE = frozenset(
    (
        "--reload",
        "--preload",
        "--daemon",
        "-D",
        "-R",
        "--check-config",
        "--print-config",
        "--spew",
        "--capture-output",
        "--enable-stdio-inheritance",
        "--strip-header-spaces",
    )
)


if HAS_YAML:

    class _ExpansionDumper(yaml.SafeDumper):
        """Block style for multi-line strings, as Rockcraft prints override-build scripts."""

    def _represent_str(dumper, value):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _ExpansionDumper.add_representer(str, _represent_str)


def expansion_yaml(expanded):
    """The expansion as YAML text, keys in their merge order, like ``rockcraft expand-extensions``."""
    return yaml.dump(
        expanded,
        Dumper=_ExpansionDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=4096,  # never fold long commands
    )


class FlaskProjectError(Exception):
    """The project is invalid; ``problems`` lists every reason."""

    def __init__(self, problems, warnings=None):
        Exception.__init__(self, format_problems(problems))
        self.problems = list(problems)
        self.warnings = list(warnings or [])


def format_problems(problems):
    return "\n".join("- " + problem for problem in problems)


def entrypoint_from_command(command):
    """The WSGI application named by a user's Gunicorn command line, or None."""
    try:
        tokens = shlex.split(command)
    except ValueError:
        return None
    if "gunicorn" not in tokens and not any(token.endswith("/gunicorn") for token in tokens):
        return None
    start = max(
        index for index, token in enumerate(tokens) if token == "gunicorn" or token.endswith("/gunicorn")
    )
    arguments = tokens[start + 1 :]
    # Pebble's "[ ... ]" holds default arguments, never the application.
    if "[" in arguments:
        arguments = arguments[: arguments.index("[")]
    skip_value = False
    for token in arguments:
        if skip_value:
            skip_value = False
            continue
        if token.startswith("-"):
            skip_value = (
                "=" not in token
                and token not in GUNICORN_FLAGS_WITHOUT_VALUE
                and not (len(token) > 2 and token[1] != "-")
            )
            continue
        return token
    return None


def _load_rockcraft_yaml(src, path, explicit, problems, warnings):
    """The parsed rockcraft.yaml mapping, {} without a file, or None when unusable (problem recorded)."""
    if not os.path.lexists(path):
        if explicit:
            problems.append("rockcraft.yaml not found at %s" % path)
            return None
        return {}
    src_real = os.path.realpath(src)
    real = os.path.realpath(path)
    rel = os.path.relpath(real, src_real).replace(os.sep, "/") if is_inside(src_real, real) else None
    label = rel or path
    try:
        if rel is not None:
            text = read_project_text(src, rel)
        else:
            text = read_project_text(os.path.dirname(real), os.path.basename(real))
    except ProjectFileError as err:
        problems.append(str(err))
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        problems.append("%s is not valid YAML: %s" % (label, " ".join(str(err).split())))
        return None
    if data is None:
        warnings.append("%s is empty; using the defaults" % label)
        return {}
    if not isinstance(data, dict):
        problems.append("%s must be a mapping of keys to values, not a %s" % (label, type(data).__name__))
        return None
    extensions = data.get("extensions")
    if extensions is None:
        warnings.append("%s does not list the flask-framework extension; it is applied anyway" % label)
    elif not isinstance(extensions, list) or not all(isinstance(name, str) for name in extensions):
        problems.append("%s: extensions must be a list of extension names" % label)
    else:
        others = [name for name in extensions if name != EXTENSION]
        if others:
            problems.append(
                "%s: only the flask-framework extension is supported, remove: %s" % (label, ", ".join(others))
            )
        elif EXTENSION not in extensions:
            warnings.append("%s does not list the flask-framework extension; it is applied anyway" % label)
    return data


def _check_mapping(data, key, problems):
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        problems.append("rockcraft.yaml: %s must be a mapping, not a %s" % (key, type(value).__name__))
        return False
    return True


def _identity(data, src, options, *, had_file, problems, warnings):
    """Resolve name, base, build-base and version (options override the file) and validate them."""
    for key, option in (
        ("name", "name"),
        ("base", "base"),
        ("build-base", "build_base"),
        ("version", "version"),
    ):
        if options.get(option) is not None:
            data[key] = options[option]
    if data.get("name") is None:
        data["name"] = os.path.basename(os.path.abspath(src))
        if had_file:
            warnings.append("rockcraft.yaml sets no name; using the directory name %r" % data["name"])
    if data.get("base") is None:
        data["base"] = DEFAULT_BASE
        if had_file:
            warnings.append("rockcraft.yaml sets no base; using %s" % DEFAULT_BASE)
    if data.get("version") is None:
        data["version"] = DEFAULT_VERSION
        if had_file:
            warnings.append("rockcraft.yaml sets no version; using %s" % DEFAULT_VERSION)
    elif not isinstance(data["version"], str) and isinstance(data["version"], (int, float)):
        warnings.append(
            "version %r is a YAML number; it is used as the string %r (quote it: Rockcraft requires a string)"
            % (data["version"], str(data["version"]))
        )
        data["version"] = str(data["version"])

    name, base, build_base, version = data["name"], data["base"], data.get("build-base"), data["version"]
    if not isinstance(name, str) or len(name) > 40 or not NAME_RE.match(name):
        problems.append(
            "invalid name %r: use at most 40 lowercase letters, digits and hyphens, with at least one "
            "letter, no leading, trailing or doubled hyphen (set name in rockcraft.yaml or the module's "
            "name option)" % (name,)
        )
    if not isinstance(version, str) or not VERSION_RE.match(version):
        problems.append(
            "invalid version %r: use 1 to 32 letters, digits, '.' and '-', starting and ending with a letter "
            "or digit" % (version,)
        )
    if not isinstance(base, str) or base not in SUPPORTED_BASES:
        problems.append("Extension 'flask-framework' does not support base: %r" % (base,))
    if base == "bare":
        if build_base is None:
            problems.append("base 'bare' needs a build-base: set build-base to ubuntu@22.04 or ubuntu@24.04")
        elif build_base not in SUPPORTED_BUILD_BASES:
            problems.append("Unable to determine the Python version for the build-base %s" % (build_base,))
    elif build_base is not None and (
        not isinstance(build_base, str) or build_base not in SUPPORTED_BUILD_BASES
    ):
        problems.append("unsupported build-base %r: use ubuntu@22.04 or ubuntu@24.04" % (build_base,))


def _user_service_command(data):
    services = data.get("services")
    flask_service = services.get("flask") if isinstance(services, dict) else None
    command = flask_service.get("command") if isinstance(flask_service, dict) else None
    return command or None


def inspect_project(src, *, rockcraft_yaml=None, name=None, base=None, build_base=None, version=None):
    """Validate the project at ``src`` and return the K1 result dict.

    Raises FlaskProjectError listing every problem found.
    """
    problems = []
    warnings = []
    options = {"name": name, "base": base, "build_base": build_base, "version": version}
    if not os.path.isdir(src):
        reason = "does not exist" if not os.path.lexists(src) else "is not a directory"
        raise FlaskProjectError(["project directory %s %s" % (src, reason)])

    yaml_path = rockcraft_yaml or os.path.join(src, "rockcraft.yaml")
    data = _load_rockcraft_yaml(src, yaml_path, rockcraft_yaml is not None, problems, warnings)
    had_file = os.path.lexists(yaml_path)
    if data is None:
        data = {}
        # Keep validating the rest of the project so every problem is reported at once.
    _identity(data, src, options, had_file=had_file, problems=problems, warnings=warnings)
    parts_ok = _check_mapping(data, "parts", problems)
    services_ok = _check_mapping(data, "services", problems)
    if services_ok and isinstance(data.get("services"), dict):
        flask_service = data["services"].get("flask")
        if flask_service is not None and not isinstance(flask_service, dict):
            problems.append("rockcraft.yaml: services.flask must be a mapping")
            services_ok = False

    requirements = flask_requirements.read_requirements(src)
    if not requirements.has_requirements_txt and not requirements.has_pyproject:
        problems.append(MISSING_REQUIREMENTS)
    else:
        problems.extend(requirements.problems)
        if "flask" not in requirements.names:
            problems.append(MISSING_FLASK)
        elif "flask" not in requirements.rockcraft_names:
            warnings.append(
                "flask is declared in a form Rockcraft 1.20 does not read (inline comment, option or "
                "included file); Rockcraft would reject this project"
            )
    warnings.extend(requirements.warnings)
    worker_class = "gevent" if "gevent" in requirements.names else "sync"
    if worker_class == "gevent" and "gevent" not in requirements.rockcraft_names:
        warnings.append(
            "gevent is declared in a form Rockcraft 1.20 does not read; Rockcraft would use sync workers"
        )

    user_command = _user_service_command(data) if services_ok else None
    entrypoint = None
    if user_command:
        entrypoint = entrypoint_from_command(user_command) if isinstance(user_command, str) else None
        if entrypoint is None:
            warnings.append(
                "cannot find the WSGI application in services.flask.command %r; entrypoint is null"
                % (user_command,)
            )
    else:
        rock_name = data["name"] if isinstance(data["name"], str) else ""
        found = flask_entrypoint.find_entrypoint(src, rock_name)
        problems.extend(found.problems)
        entrypoint = found.entrypoint
        if found.annotated_only:
            warnings.append(
                "the WSGI application %s is bound by an annotated assignment, which Rockcraft 1.20 does not "
                "recognise" % entrypoint
            )

    prime = flask_expansion.user_prime(data) if parts_ok else []
    prime_problems = flask_expansion.prime_problems(prime)
    problems.extend(prime_problems)
    try:
        top_level_entries = sorted(os.listdir(src))
    except OSError as err:
        raise FlaskProjectError(
            [*problems, "cannot list the project directory %s: %s" % (src, err.strerror or err)], warnings
        ) from None
    files = []
    migration = None
    install_app = None
    if not prime_problems:
        prime = flask_expansion.effective_prime(src, prime)
        files, file_problems = flask_expansion.app_files(src, prime, top_level_entries)
        problems.extend(file_problems)
        install_app = flask_expansion.install_app_part(src, prime, top_level_entries)
        migration = flask_migration.migration_command(files)
        migration_file = flask_migration.migration_file(files)
        if migration_file == "migrate" and not os.access(os.path.join(src, "migrate"), os.X_OK):
            warnings.append("migrate is not executable: the migration ./migrate will fail (chmod +x migrate)")

    if problems:
        raise FlaskProjectError(problems, warnings)

    base_value = data["base"]
    build_base_value = data.get("build-base")
    python_version = flask_expansion.python_version_for(base_value, build_base_value)
    service_command = None if user_command else flask_expansion.gunicorn_command(entrypoint, worker_class)
    snippet = flask_expansion.root_snippet(
        base_value, python_version, requirements.has_requirements_txt, install_app, service_command
    )
    expanded = flask_expansion.apply_root_snippet(data, snippet)
    return {
        "expanded": expanded,
        "expanded_yaml": expansion_yaml(expanded),
        "name": data["name"],
        "base": base_value,
        "build_base": build_base_value,
        "version": data["version"],
        "python_version": python_version,
        "entrypoint": entrypoint,
        "worker_class": worker_class,
        "requirements": sorted(requirements.names),
        "requirements_files": requirements.files,
        "requirements_paths": sorted(requirements.paths),
        "install_project": any(
            os.path.isfile(os.path.join(src, marker)) for marker in ("setup.py", "pyproject.toml")
        ),
        "app_files": files,
        "migration": migration,
        "service_command": expanded["services"]["flask"].get("command"),
        "warnings": warnings,
    }
