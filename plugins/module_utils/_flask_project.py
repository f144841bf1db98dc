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

from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_expansion as flask_expansion
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_migration as flask_migration
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_requirements as flask_requirements
from ansible_collections.flaskrock.paas.plugins.module_utils import _project_secrets as project_secrets
from ansible_collections.flaskrock.paas.plugins.module_utils import _project_yaml as project_yaml
from ansible_collections.flaskrock.paas.plugins.module_utils import _rock_plan as rock_plan
from ansible_collections.flaskrock.paas.plugins.module_utils import _rock_services as rock_services
from ansible_collections.flaskrock.paas.plugins.module_utils import _runtime as runtime
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import (
    LIMITS,
    ProjectFileError,
    check_project_dir,
    decode_text,
    is_inside,
    read_regular_file,
    symlink_outside_message,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_framework import (
    FLASK,
    MISSING_FLASK,
    MISSING_REQUIREMENTS,
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
SUPPORTED_BASES = ("bare", "ubuntu@22.04", "ubuntu:22.04", "ubuntu@24.04")
SUPPORTED_BUILD_BASES = ("ubuntu@22.04", "ubuntu:22.04", "ubuntu@24.04", "ubuntu:24.04")
DEFAULT_BASE_IMAGES = rock_plan.DEFAULT_BASE_IMAGES
BARE_BUILD_BASE_CHOICES = (
    "Set build-base in rockcraft.yaml to ubuntu@24.04 (Python 3.12) or ubuntu@22.04 (Python 3.10): "
    "the bare rock takes its Python from there"
)
# Re-exported: Rockcraft's messages, imported from here by the tests.
__all__ = ["MISSING_FLASK", "MISSING_REQUIREMENTS"]
# craft-application's project name rule; the name also becomes a Docker repository name.
# (Its regex, ^([a-z0-9][a-z0-9-]?)*[a-z]+([a-z0-9-]?[a-z0-9])*$, backtracks catastrophically on
# "aaa...a!": valid_name checks the same rule in linear time.)
NAME_CHARS_RE = re.compile(r"[a-z0-9-]+")
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
    # libyaml's emitter when present: the pure-Python one takes seconds on a long prime list.
    class _ExpansionDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
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
        problems = _capped(list(problems), "problems")
        Exception.__init__(self, format_problems(problems))
        self.problems = problems
        self.warnings = _capped(list(warnings or []), "warnings")


# A hostile project can produce a problem per file (100,000 symlinks leading outside): the first
# ones say what is wrong, the rest would only make an enormous message.
MAX_REPORTED = 100


def _capped(items, what):
    if len(items) <= MAX_REPORTED:
        return items
    return [*items[:MAX_REPORTED], "... and %d more %s like these" % (len(items) - MAX_REPORTED, what)]


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


def _check_extensions(data, label, framework, problems, warnings):
    not_listed = "%s does not list the %s extension; it is applied anyway" % (label, framework.extension)
    extensions = data.get("extensions")
    if extensions is None:
        warnings.append(not_listed)
    elif not isinstance(extensions, list) or not all(isinstance(name, str) for name in extensions):
        problems.append("%s: extensions must be a list of extension names" % label)
    else:
        others = [name for name in extensions if name != framework.extension]
        if others:
            problems.append(
                "%s: only the %s extension is supported, remove: %s"
                % (label, framework.extension, ", ".join(others))
            )
        elif framework.extension not in extensions:
            warnings.append(not_listed)


def _load_rockcraft_yaml(src, path, explicit, problems, warnings, *, framework=FLASK):
    """The parsed rockcraft.yaml mapping, {} without a file, or None when unusable (problem recorded).

    The default ``<src>/rockcraft.yaml`` must resolve inside the project; an explicit
    ``rockcraft_yaml`` option is the user's own path and may live anywhere. Either way only a regular
    file is read, up to LIMITS.yaml_bytes, and parsed with the bounded loader (_project_yaml).
    """
    if not os.path.lexists(path):
        if explicit:
            problems.append("rockcraft.yaml not found at %s" % path)
            return None
        return {}
    src_real = os.path.realpath(src)
    real = os.path.realpath(path)
    rel = os.path.relpath(real, src_real).replace(os.sep, "/") if is_inside(src_real, real) else None
    # Named as the user knows it: rockcraft.yaml (or the option's path), not the link's target.
    label = "rockcraft.yaml" if not explicit else (rel or path)
    try:
        if rel is None and not explicit:
            raise ProjectFileError(symlink_outside_message("rockcraft.yaml", real))
        data_bytes = read_regular_file(real, label, LIMITS.yaml_bytes, path)
        text = decode_text(data_bytes, label)
    except ProjectFileError as err:
        problems.append(str(err))
        return None
    try:
        data = project_yaml.load(text)
    except project_yaml.YamlLimitError as err:
        problems.append("%s: %s" % (label, err))
        return None
    except yaml.YAMLError as err:
        problems.append("%s is not valid YAML: %s" % (label, " ".join(str(err).split())))
        return None
    if data is None:
        warnings.append("%s is empty; using the defaults" % label)
        return {}
    if not isinstance(data, dict):
        problems.append("%s must be a mapping of keys to values, not a %s" % (label, type(data).__name__))
        return None
    _check_extensions(data, label, framework, problems, warnings)
    return data


def _type_name(value):
    return "null" if value is None else type(value).__name__


def _expect(value, path, expected, problems):
    """Record a problem naming ``path`` unless ``value`` (not None) is of the ``expected`` kind:
    ``mapping``, ``string`` or ``list of strings``. Returns whether the value is usable."""
    if value is None:
        return True
    if expected == "mapping":
        good = isinstance(value, dict)
    elif expected == "string":
        good = isinstance(value, str)
    else:
        good = isinstance(value, list) and all(isinstance(item, str) for item in value)
        if isinstance(value, list) and not good:
            index = next(index for index, item in enumerate(value) if not isinstance(item, str))
            problems.append(
                "rockcraft.yaml: %s must be a %s; item %d is a %s"
                % (path, expected, index, _type_name(value[index]))
            )
            return False
    if not good:
        problems.append("rockcraft.yaml: %s must be a %s, not a %s" % (path, expected, _type_name(value)))
    return good


# The keys of a part this collection reads, and their types.
PART_LIST_KEYS = ("stage-packages", "build-packages", "python-packages", "python-requirements", "prime")


def _check_types(data, framework, problems):
    """Type checks with the key path of every key the collection uses; returns (parts_ok, services_ok)."""
    for key in ("summary", "description", "build-base"):
        _expect(data.get(key), key, "string", problems)
    parts_ok = _expect(data.get("parts"), "parts", "mapping", problems)
    for part_name, part in (data.get("parts") or {}).items() if parts_ok else ():
        path = "parts.%s" % part_name
        if not isinstance(part, dict):
            problems.append("rockcraft.yaml: %s must be a mapping, not a %s" % (path, _type_name(part)))
            parts_ok = False
            continue
        for key in PART_LIST_KEYS:
            parts_ok = _expect(part.get(key), "%s.%s" % (path, key), "list of strings", problems) and parts_ok
    services_ok = _expect(data.get("services"), "services", "mapping", problems)
    for service_name, service in (data.get("services") or {}).items() if services_ok else ():
        path = "services.%s" % service_name
        if not isinstance(service, dict):
            problems.append("rockcraft.yaml: %s must be a mapping, not a %s" % (path, _type_name(service)))
            services_ok = False
            continue
        services_ok = _expect(service.get("command"), path + ".command", "string", problems) and services_ok
    return parts_ok, services_ok


def valid_name(name):
    """craft-application's project name rule, checked in linear time (no backtracking regex): at most
    40 of [a-z0-9-], at least one letter, no leading, trailing or doubled hyphen."""
    return (
        isinstance(name, str)
        and 1 <= len(name) <= 40
        and NAME_CHARS_RE.fullmatch(name) is not None
        and not name.startswith("-")
        and not name.endswith("-")
        and "--" not in name
        and any("a" <= char <= "z" for char in name)
    )


def _resolve_identity(data, src, options, *, had_file, warnings):
    """Name, base, build-base and version: the options override the file, then the defaults apply."""
    for key, option in (
        ("name", "name"),
        ("base", "base"),
        ("build-base", "build_base"),
        ("version", "version"),
    ):
        if options.get(option) is not None:
            data[key] = options[option]
    defaults = (
        (
            "name",
            os.path.basename(os.path.abspath(src)),
            "rockcraft.yaml sets no name; using the directory name %r",
        ),
        ("base", DEFAULT_BASE, "rockcraft.yaml sets no base; using %s"),
        ("version", DEFAULT_VERSION, "rockcraft.yaml sets no version; using %s"),
    )
    for key, default, message in defaults:
        if data.get(key) is None:
            data[key] = default
            if had_file:
                warnings.append(message % (default,))
    if not isinstance(data["version"], str) and isinstance(data["version"], (int, float)):
        warnings.append(
            "version %r is a YAML number; it is used as the string %r (quote it: Rockcraft requires a string)"
            % (data["version"], str(data["version"]))
        )
        data["version"] = str(data["version"])


def _base_problems(base, build_base, framework):
    problems = []
    if not isinstance(base, str) or base not in SUPPORTED_BASES:
        problems.append("Extension '%s' does not support base: %r" % (framework.extension, base))
    if base == "bare":
        # Rockcraft's messages (its project model's, then its extension's), then how to fix them.
        if build_base is None:
            problems.append(
                'When "base" is bare, a build-base must be specified. %s' % BARE_BUILD_BASE_CHOICES
            )
        elif build_base not in SUPPORTED_BUILD_BASES:
            problems.append(
                "Unable to determine the Python version for the build-base %s. %s"
                % (build_base, BARE_BUILD_BASE_CHOICES)
            )
    elif build_base is not None and (
        not isinstance(build_base, str) or build_base not in SUPPORTED_BUILD_BASES
    ):
        problems.append("unsupported build-base %r: use ubuntu@22.04 or ubuntu@24.04" % (build_base,))
    return problems


def _identity(data, src, options, *, had_file, problems, warnings, framework=FLASK):
    """Resolve name, base, build-base and version (options override the file) and validate them."""
    _resolve_identity(data, src, options, had_file=had_file, warnings=warnings)
    name, version = data["name"], data["version"]
    if not valid_name(name):
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
    problems.extend(_base_problems(data["base"], data.get("build-base"), framework))


def _user_service_command(data, framework=FLASK):
    services = data.get("services")
    service = services.get(framework.service) if isinstance(services, dict) else None
    command = service.get("command") if isinstance(service, dict) else None
    return command or None


def _check_requirements(requirements, framework, problems, warnings):
    """The framework's package must be a direct dependency; returns the default worker class."""
    package = framework.required_package
    if not requirements.has_requirements_txt and not requirements.has_pyproject:
        problems.append(framework.missing_requirements_message)
    else:
        problems.extend(requirements.problems)
        if package not in requirements.names:
            problems.append(framework.missing_package_message)
        elif package not in requirements.rockcraft_names:
            warnings.append(
                "%s is declared in a form Rockcraft 1.20 does not read (inline comment, option or "
                "included file); Rockcraft would reject this project" % package
            )
    warnings.extend(requirements.warnings)
    worker_class = "gevent" if "gevent" in requirements.names else "sync"
    if worker_class == "gevent" and "gevent" not in requirements.rockcraft_names:
        warnings.append(
            "gevent is declared in a form Rockcraft 1.20 does not read; Rockcraft would use sync workers"
        )
    return worker_class


def _entrypoint(src, data, user_command, framework, *, python_version, problems, warnings):
    """The WSGI application: from the user's service command, else searched the framework's way."""
    if user_command:
        entrypoint = entrypoint_from_command(user_command) if isinstance(user_command, str) else None
        if entrypoint is None:
            warnings.append(
                "cannot find the WSGI application in services.%s.command %r; entrypoint is null"
                % (framework.service, user_command)
            )
        return entrypoint
    rock_name = data["name"] if isinstance(data["name"], str) else ""
    found = framework.find_entrypoint(src, rock_name, python_version)
    problems.extend(found.problems)
    warnings.extend(getattr(found, "warnings", ()))
    if found.annotated_only:
        warnings.append(
            "the WSGI application %s is bound by an annotated assignment, which Rockcraft 1.20 does not "
            "recognise" % found.entrypoint
        )
    return found.entrypoint


def _entrypoint_left_out(entrypoint, files, installs_project, framework):
    """A warning when the prime leaves the module of the WSGI entrypoint out of the app directory
    (Rockcraft's default prime does when the package is not `app` or `src` and a migrate.sh exists)."""
    if not entrypoint:
        return []
    module = entrypoint.split(":", 1)[0].replace(".", "/")
    if module + ".py" in files or module + "/__init__.py" in files:
        return []
    top = module.split("/")[0]
    fix = (
        "add %s/%s to the prime, or use an exclude prime (such as '- %s/tests') to ship the whole "
        "project" % (framework.app_dir, top, framework.app_dir)
    )
    if installs_project:
        return [
            "the WSGI entrypoint %s is left out of /%s by the prime: Gunicorn imports it from the "
            "project's wheel (pip install .), so its Flask instance folder is in the virtual "
            "environment, not in /%s/instance; %s" % (entrypoint, framework.app_dir, framework.app_dir, fix)
        ]
    return [
        "the WSGI entrypoint %s is left out of /%s by the prime and nothing installs it (no "
        "pyproject.toml or setup.py): the app will not start; %s" % (entrypoint, framework.app_dir, fix)
    ]


def _top_level_entries(src, problems, warnings):
    try:
        return sorted(os.listdir(src))
    except OSError as err:
        raise FlaskProjectError(
            [*problems, "cannot list the project directory %s: %s" % (src, err.strerror or err)], warnings
        ) from None


def _shipped_files(src, prime, top_level_entries, framework, *, problems, warnings):
    """(app files, migration command, install-app part) of a project whose prime is valid."""
    prime = flask_expansion.effective_prime(src, prime, framework)
    files, file_problems = flask_expansion.app_files(
        src, prime, top_level_entries, framework, warnings=warnings
    )
    problems.extend(file_problems)
    # Beyond Rockcraft: dotenv files (secrets) never reach the image.
    files, dotenv = project_secrets.without_dotenv(files)
    if dotenv:
        warnings.append(project_secrets.dotenv_warning(dotenv))
    install_app = flask_expansion.install_app_part(src, prime, top_level_entries, framework)
    migration = flask_migration.migration_command(files)
    migration_file = flask_migration.migration_file(files)
    if migration_file == "migrate" and not os.access(os.path.join(src, "migrate"), os.X_OK):
        warnings.append("migrate is not executable: the migration ./migrate will fail (chmod +x migrate)")
    return files, migration, install_app


def _read_project(src, rockcraft_yaml, options, framework, *, problems, warnings):
    """The rockcraft.yaml data with its identity resolved, and whether parts and services are usable."""
    yaml_path = rockcraft_yaml or os.path.join(src, "rockcraft.yaml")
    data = _load_rockcraft_yaml(
        src, yaml_path, rockcraft_yaml is not None, problems, warnings, framework=framework
    )
    had_file = os.path.lexists(yaml_path)
    if data is None:
        data = {}
        # Keep validating the rest of the project so every problem is reported at once.
    _identity(
        data, src, options, had_file=had_file, problems=problems, warnings=warnings, framework=framework
    )
    parts_ok, services_ok = _check_types(data, framework, problems)
    return data, parts_ok, services_ok


def inspect_project(
    src,
    *,
    rockcraft_yaml=None,
    name=None,
    base=None,
    build_base=None,
    version=None,
    base_images=None,
    framework=FLASK,
):
    """Validate the project at ``src`` and return the K1 result dict, with the build plan under ``plan``.

    ``base_images`` maps a base (``ubuntu@24.04``) to the Docker image of each stage (default
    ``rock_plan.DEFAULT_BASE_IMAGES``). Raises FlaskProjectError listing every problem found.
    """
    problems = []
    warnings = []
    options = {"name": name, "base": base, "build_base": build_base, "version": version}
    if not os.path.isdir(src):
        reason = "does not exist" if not os.path.lexists(src) else "is not a directory"
        raise FlaskProjectError(["project directory %s %s" % (src, reason)])
    try:
        check_project_dir(src)
    except ProjectFileError as err:
        raise FlaskProjectError([str(err)]) from None

    data, parts_ok, services_ok = _read_project(
        src, rockcraft_yaml, options, framework, problems=problems, warnings=warnings
    )
    requirements = flask_requirements.read_requirements(src)
    worker_class = _check_requirements(requirements, framework, problems, warnings)
    user_command = _user_service_command(data, framework) if services_ok else None
    # The rock's Python (None for an unsupported base): app files are parsed for it.
    python_version = flask_expansion.python_version_for(data["base"], data.get("build-base"))
    entrypoint = _entrypoint(
        src,
        data,
        user_command,
        framework,
        python_version=python_version,
        problems=problems,
        warnings=warnings,
    )

    prime = flask_expansion.user_prime(data, framework) if parts_ok else []
    prime_problems = flask_expansion.prime_problems(prime, framework)
    problems.extend(prime_problems)
    top_level_entries = _top_level_entries(src, problems, warnings)
    files, migration, install_app = [], None, None
    if not prime_problems:
        try:
            files, migration, install_app = _shipped_files(
                src, prime, top_level_entries, framework, problems=problems, warnings=warnings
            )
        except ProjectFileError as err:  # a tree walk beyond its bounds
            problems.append(str(err))

    own_services = []
    if services_ok:
        extension_services = (framework.service, runtime.STATSD_EXPORTER_SERVICE)
        own_services, service_problems, service_warnings = rock_services.user_services(
            data, extension_services, framework.contract()
        )
        problems.extend(service_problems)
        warnings.extend(service_warnings)

    if problems:
        raise FlaskProjectError(problems, warnings)
    installs_project = any(
        os.path.isfile(os.path.join(src, marker)) for marker in ("setup.py", "pyproject.toml")
    )
    if not user_command:
        warnings.extend(_entrypoint_left_out(entrypoint, files, installs_project, framework))

    base_value = data["base"]
    build_base_value = data.get("build-base")
    service_command = None if user_command else framework.pebble_gunicorn_command(entrypoint, worker_class)
    snippet = flask_expansion.root_snippet(
        base_value,
        python_version,
        requirements.has_requirements_txt,
        install_app,
        service_command,
        framework=framework,
    )
    expanded = flask_expansion.apply_root_snippet(data, snippet)
    result = {
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
        "install_project": installs_project,
        "project_dependencies": requirements.pyproject_dependencies if installs_project else [],
        "app_files": files,
        "migration": migration,
        "service_command": expanded["services"][framework.service].get("command"),
        "user_services": own_services,
        "warnings": warnings,
    }
    result["plan"] = rock_plan.build_plan(result, framework, base_images, src)
    return result
