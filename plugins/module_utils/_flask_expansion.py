# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The flask-framework extension of Rockcraft 1.20: prime handling, generated parts and services, merge."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import copy
import fnmatch
import os
import posixpath
import re

from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import (
    escaping_symlink_target,
    symlink_outside_message,
)

DAEMON_USER = "_daemon_"
DAEMON_UID = 584792
APP_DIR = "flask/app"
INSTALL_APP_PART = "flask-framework/install-app"
DEPENDENCIES_PART = "flask-framework/dependencies"
DEFAULT_PRIME_FILES = (
    "app",
    "app.py",
    "main.py",
    "src",
    "migrate",
    "migrate.sh",
    "migrate.py",
    "static",
    "templates",
)
ORGANIZE_EXCLUDED = ("node_modules", ".git", ".yarn", "*.rock")
GUNICORN_PACKAGE = "gunicorn~=23.0"
STATSD_EXPORTER_TAG = "v0.26.0"
# Rockcraft points the config-files part at its own data directory; this is where the snap keeps it.
EXTENSION_DATA_DIR = "/snap/rockcraft/current/share/rockcraft/extensions/flask-framework"
# Earlier Rockcraft sources match r"-? *flask/app", letting "flask/apples" through; later ones require
# the path boundary, as here.
PRIME_PREFIX_RE = re.compile(r"-? *flask/app(/|$)")
PRIME_PREFIX_ERROR = (
    "flask-framework extension requires the 'prime' entry in the "
    "flask-framework/install-app part to start with flask/app"
)
PYTHON_VERSIONS = {
    "ubuntu@22.04": "3.10",
    "ubuntu:22.04": "3.10",
    "ubuntu@24.04": "3.12",
    "ubuntu:24.04": "3.12",
}
GLOB_CHARS = re.compile(r"[*?\[]")


# ---------------------------------------------------------------- merge


def apply_extension_property(existing, extension):
    """Rockcraft's merge of a user value with the extension's.

    Falsy user values take the extension's; lists concatenate (extension first, strings de-duplicated);
    dicts merge recursively; otherwise the user's scalar wins.
    """
    if existing:
        if isinstance(existing, list) and isinstance(extension, list):
            merged = extension + existing
            if all(isinstance(item, str) for item in merged):
                return list(dict.fromkeys(merged))
            return merged
        if isinstance(existing, dict) and isinstance(extension, dict):
            for key, value in extension.items():
                existing[key] = apply_extension_property(existing.get(key), value)
            return existing
        return existing
    return extension


def apply_root_snippet(yaml_data, snippet):
    """Return a copy of ``yaml_data`` without ``extensions`` and with ``snippet`` merged into its root."""
    expanded = copy.deepcopy(yaml_data)
    expanded.pop("extensions", None)
    for key, value in snippet.items():
        expanded[key] = apply_extension_property(expanded.get(key), copy.deepcopy(value))
    expanded.setdefault("parts", {})
    return expanded


# ---------------------------------------------------------------- prime


def user_prime(yaml_data):
    parts = yaml_data.get("parts")
    part = parts.get(INSTALL_APP_PART) if isinstance(parts, dict) else None
    prime = part.get("prime") if isinstance(part, dict) else None
    return prime or []


def _strip_prime(entry):
    """``- flask/app/x`` -> (True, ``x``); ``flask/app`` -> (False, ``""``). Normalised, POSIX."""
    excluded = entry.startswith("-")
    path = entry[1:].lstrip(" ") if excluded else entry
    normalised = posixpath.normpath(path)
    if normalised == APP_DIR:
        return excluded, ""
    return excluded, normalised[len(APP_DIR) + 1 :]


def prime_problems(prime):
    """Rockcraft's prefix rule, then (beyond Rockcraft) entries escaping flask/app after normalisation."""
    if not isinstance(prime, list) or not all(isinstance(entry, str) for entry in prime):
        return ["parts.%s.prime must be a list of strings" % INSTALL_APP_PART]
    if not all(PRIME_PREFIX_RE.match(entry) for entry in prime):
        return [PRIME_PREFIX_ERROR]
    problems = []
    for entry in prime:
        path = entry[1:].lstrip(" ") if entry.startswith("-") else entry
        normalised = posixpath.normpath(path)
        if normalised != APP_DIR and not normalised.startswith(APP_DIR + "/"):
            problems.append(
                "prime entry %r of the %s part escapes flask/app (it normalises to %r); list only paths "
                "below flask/app/" % (entry, INSTALL_APP_PART, normalised)
            )
    return problems


def is_include_mode(prime):
    return bool(prime) and bool(prime[0]) and prime[0][0] != "-"


def effective_prime(root, prime):
    """The user's prime, or the default list of existing default files."""
    if prime:
        return list(prime)
    return [
        "%s/%s" % (APP_DIR, name) for name in DEFAULT_PRIME_FILES if os.path.lexists(os.path.join(root, name))
    ]


def install_app_part(root, prime, top_level_entries):
    """The generated install-app part (without permissions), as Rockcraft builds it."""
    if is_include_mode(prime):
        organize = {posixpath.relpath(entry, APP_DIR): entry for entry in prime}
    else:
        organize = {
            name: posixpath.join(APP_DIR, name)
            for name in top_level_entries
            if not any(fnmatch.fnmatch(name, pattern) for pattern in ORGANIZE_EXCLUDED)
        }
    return {
        "plugin": "dump",
        "source": ".",
        "organize": organize,
        "stage": list(organize.values()),
        "prime": prime,
    }


def _matches(rel, pattern):
    if pattern == "":
        return True
    if rel == pattern or rel.startswith(pattern + "/"):
        return True
    return bool(GLOB_CHARS.search(pattern)) and (
        fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern + "/*")
    )


def _add_shipped(root_real, rel, path, files, problems):
    """Record ``rel`` as shipped unless it is a symlink leading outside or its name is not UTF-8."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        problems.append(
            "the file name %s is not valid UTF-8; rename it or leave it out of the rock"
            % rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        )
        return
    target = escaping_symlink_target(root_real, path)
    if target is not None:
        problems.append(symlink_outside_message(rel, target))
    else:
        files.append(rel)


def _walk(root, root_real, top, files, problems):
    """Add the files (and symlinks, which are copied as links) below project-relative ``top``."""
    path = os.path.join(root, *top.split("/"))
    if os.path.islink(path) or not os.path.isdir(path):
        _add_shipped(root_real, top, path, files, problems)
        return

    def unreadable(err):
        rel = os.path.relpath(err.filename, root).replace(os.sep, "/") if err.filename else top
        problems.append("cannot read the directory %s: %s" % (rel, err.strerror or err))

    for directory, dirnames, filenames in os.walk(path, onerror=unreadable):
        rel_dir = (
            posixpath.join(top, os.path.relpath(directory, path).replace(os.sep, "/"))
            if directory != path
            else top
        )
        dirnames.sort()
        for name in dirnames:
            child = os.path.join(directory, name)
            if os.path.islink(child):
                _add_shipped(root_real, posixpath.join(rel_dir, name), child, files, problems)
        for name in sorted(filenames):
            _add_shipped(
                root_real, posixpath.join(rel_dir, name), os.path.join(directory, name), files, problems
            )


def app_files(root, prime, top_level_entries):
    """Project-relative paths of the files that end up under /flask/app, plus problems.

    ``prime`` is the effective prime list (user's, or the default one). Staging follows the
    generated organize map; priming follows craft-parts filesets (includes, else all; minus excludes).
    """
    root_real = os.path.realpath(root)
    problems = []
    if is_include_mode(prime):
        staged_tops = []
        for entry in prime:
            excluded, rel = _strip_prime(entry)
            if excluded:
                continue
            if GLOB_CHARS.search(rel):
                staged_tops.extend(
                    name for name in top_level_entries if fnmatch.fnmatchcase(name, rel.split("/")[0])
                )
            elif not os.path.lexists(os.path.join(root, *rel.split("/"))) and rel:
                problems.append(
                    "prime entry %r of the %s part names %s, which does not exist in the project"
                    % (entry, INSTALL_APP_PART, rel)
                )
            else:
                staged_tops.append(rel if rel else ".")
    else:
        staged_tops = [
            name
            for name in top_level_entries
            if not any(fnmatch.fnmatch(name, pattern) for pattern in ORGANIZE_EXCLUDED)
        ]
    staged = []
    for top in dict.fromkeys(staged_tops):
        if top == ".":
            for name in top_level_entries:
                _walk(root, root_real, name, staged, problems)
        else:
            _walk(root, root_real, top, staged, problems)
    includes = []
    excludes = []
    for entry in prime:
        excluded, rel = _strip_prime(entry)
        (excludes if excluded else includes).append(rel)
    if not includes:
        includes = [""]
    selected = sorted(
        rel
        for rel in set(staged)
        if any(_matches(rel, pattern) for pattern in includes)
        and not any(_matches(rel, pattern) for pattern in excludes)
    )
    return selected, problems


# ---------------------------------------------------------------- generated snippet


def python_version_for(base, build_base):
    """Python minor version of the runtime: from the base, or the build-base for ``bare``."""
    return PYTHON_VERSIONS.get(build_base if base == "bare" else base)


def gunicorn_command(entrypoint, worker_class):
    return "/bin/python3 -m gunicorn -c /flask/gunicorn.conf.py '%s' -k [ %s ]" % (entrypoint, worker_class)


def _logging_part():
    owned = {"owner": DAEMON_UID, "group": DAEMON_UID}
    return {
        "plugin": "nil",
        "override-build": "\n".join(
            [
                "craftctl default",
                "mkdir -p $CRAFT_PART_INSTALL/opt/promtail",
                "mkdir -p $CRAFT_PART_INSTALL/etc/promtail",
                "mkdir -p $CRAFT_PART_INSTALL/var/log/flask",
            ]
        ),
        "permissions": [
            dict(path="opt/promtail", **owned),
            dict(path="etc/promtail", **owned),
            dict(path="var/log/flask", **owned),
        ],
    }


def generated_parts(base, python_version, has_requirements_txt, install_app):
    """The parts the extension contributes, in Rockcraft's order."""
    if base == "bare":
        stage_packages = ["python%s-venv_ensurepip" % python_version]
        build_environment = [{"PARTS_PYTHON_INTERPRETER": "python%s" % python_version}]
    else:
        stage_packages = ["python3-venv"]
        build_environment = []
    parts = {
        DEPENDENCIES_PART: {
            "plugin": "python",
            "stage-packages": stage_packages,
            "source": ".",
            "python-packages": [GUNICORN_PACKAGE],
            "python-requirements": ["requirements.txt"] if has_requirements_txt else [],
            "build-environment": build_environment,
        },
        INSTALL_APP_PART: dict(install_app, permissions=[{"owner": DAEMON_UID, "group": DAEMON_UID}]),
        "flask-framework/config-files": {
            "plugin": "dump",
            "source": EXTENSION_DATA_DIR,
            "organize": {"gunicorn.conf.py": "flask/gunicorn.conf.py"},
            "permissions": [{"path": "flask/gunicorn.conf.py", "owner": DAEMON_UID, "group": DAEMON_UID}],
        },
        "flask-framework/statsd-exporter": {
            "build-snaps": ["go"],
            "source-tag": STATSD_EXPORTER_TAG,
            "plugin": "go",
            "source": "https://github.com/prometheus/statsd_exporter.git",
        },
        "flask-framework/logging": _logging_part(),
    }
    if base == "bare":
        parts["flask-framework/runtime"] = {
            "plugin": "nil",
            "override-build": "mkdir -m 777 ${CRAFT_PART_INSTALL}/tmp\n"
            "ln -sf /usr/bin/bash ${CRAFT_PART_INSTALL}/usr/bin/sh",
            "stage-packages": ["bash_bins", "coreutils_bins", "ca-certificates_data"],
        }
        parts["flask-framework/runtime-libs"] = {"plugin": "nil", "stage-packages": ["libstdc++6"]}
    else:
        # ca-certificates_data and python3-venv both ship this file with different content.
        parts[DEPENDENCIES_PART]["stage"] = ["-etc/ssl/certs/ca-certificates.crt"]
        parts["flask-framework/runtime"] = {"plugin": "nil", "stage-packages": ["ca-certificates_data"]}
    return parts


def root_snippet(base, python_version, has_requirements_txt, install_app, service_command):
    """``run-user``, ``services`` and ``parts`` as the extension contributes them.

    ``service_command`` is None when the user already set ``services.flask.command``.
    """
    flask_service = {
        "override": "replace",
        "startup": "enabled",
        "after": ["statsd-exporter"],
        "user": DAEMON_USER,
    }
    if service_command is not None:
        flask_service["command"] = service_command
    return {
        "run-user": DAEMON_USER,
        "services": {
            "flask": flask_service,
            "statsd-exporter": {
                "override": "merge",
                "command": (
                    "/bin/statsd_exporter --statsd.mapping-config=/statsd-mapping.conf "
                    "--statsd.listen-udp=localhost:9125 "
                    "--statsd.listen-tcp=localhost:9125"
                ),
                "summary": "statsd exporter service",
                "startup": "enabled",
                "user": DAEMON_USER,
            },
        },
        "parts": generated_parts(base, python_version, has_requirements_txt, install_app),
    }
