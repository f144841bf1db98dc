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
import stat

from ansible_collections.flaskrock.paas.plugins.module_utils import _runtime as runtime
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import (
    CURRENT,
    LIMITS,
    Deadline,
    escaping_symlink_target,
    file_kind,
    symlink_outside_message,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._flask_framework import (
    DEFAULT_PRIME_FILES,
    FLASK,
)

ORGANIZE_EXCLUDED = ("node_modules", ".git", ".yarn", "*.rock")
# Rockcraft points the config-files part at its own data directory; this is where the snap keeps it.
EXTENSION_DATA_ROOT = "/snap/rockcraft/current/share/rockcraft/extensions"
# The flask values of the framework's names, for callers that only know Flask.
INSTALL_APP_PART = FLASK.part("install-app")
DEPENDENCIES_PART = FLASK.part("dependencies")
PRIME_PREFIX_ERROR = FLASK.prime_prefix_error
PYTHON_VERSIONS = {
    "ubuntu@22.04": "3.10",
    "ubuntu:22.04": "3.10",
    "ubuntu@24.04": "3.12",
    "ubuntu:24.04": "3.12",
}
GLOB_CHARS = re.compile(r"[*?\[]")
# Re-exported for the callers and tests that import them from here.
__all__ = ["DEFAULT_PRIME_FILES", "PRIME_PREFIX_ERROR"]


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


def user_prime(yaml_data, framework=FLASK):
    parts = yaml_data.get("parts")
    part = parts.get(framework.part("install-app")) if isinstance(parts, dict) else None
    prime = part.get("prime") if isinstance(part, dict) else None
    return prime or []


def _strip_prime(entry, app_dir):
    """``- flask/app/x`` -> (True, ``x``); ``flask/app`` -> (False, ``""``). Normalised, POSIX."""
    excluded = entry.startswith("-")
    path = entry[1:].lstrip(" ") if excluded else entry
    normalised = posixpath.normpath(path)
    if normalised == app_dir:
        return excluded, ""
    return excluded, normalised[len(app_dir) + 1 :]


def prime_problems(prime, framework=FLASK):
    """Rockcraft's prefix rule, then (beyond Rockcraft) entries escaping the app directory after
    normalisation."""
    install_app = framework.part("install-app")
    if not isinstance(prime, list) or not all(isinstance(entry, str) for entry in prime):
        return ["parts.%s.prime must be a list of strings" % install_app]
    if len(prime) > LIMITS.prime_entries:
        return [
            "parts.%s.prime lists %d entries, more than the limit of %d"
            % (install_app, len(prime), LIMITS.prime_entries)
        ]
    globs = sum(1 for entry in prime if GLOB_CHARS.search(entry))
    if globs > LIMITS.prime_globs:
        return [
            "parts.%s.prime has %d entries with glob characters (*, ?, [), more than the limit of %d: "
            "each is matched against every file; list directories instead"
            % (install_app, globs, LIMITS.prime_globs)
        ]
    outside = [entry for entry in prime if not framework.prime_prefix_re.match(entry)]
    if outside:
        # Rockcraft's message, then (beyond Rockcraft) the entry it is about.
        return ["%s: %r" % (framework.prime_prefix_error, entry) for entry in outside]
    app_dir = framework.app_dir
    problems = []
    for entry in prime:
        path = entry[1:].lstrip(" ") if entry.startswith("-") else entry
        normalised = posixpath.normpath(path)
        if normalised != app_dir and not normalised.startswith(app_dir + "/"):
            problems.append(
                "prime entry %r of the %s part escapes %s (it normalises to %r); list only paths "
                "below %s/" % (entry, install_app, app_dir, normalised, app_dir)
            )
    return problems


def is_include_mode(prime):
    return bool(prime) and bool(prime[0]) and prime[0][0] != "-"


def effective_prime(root, prime, framework=FLASK):
    """The user's prime, or the default list of existing default files.

    Like Rockcraft (``Path.exists``), a default name that is a dangling symlink does not exist.
    """
    if prime:
        return list(prime)
    return [
        "%s/%s" % (framework.app_dir, name)
        for name in framework.default_prime_files
        if os.path.exists(os.path.join(root, name))
    ]


def install_app_part(root, prime, top_level_entries, framework=FLASK):
    """The generated install-app part (without permissions), as Rockcraft builds it."""
    app_dir = framework.app_dir
    if is_include_mode(prime):
        organize = {posixpath.relpath(entry, app_dir): entry for entry in prime}
    else:
        organize = {
            name: posixpath.join(app_dir, name)
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


class _Patterns:
    """Prime patterns matched in linear time: literal paths in a set (a file matches when it or one
    of its parent directories is listed), glob patterns (at most LIMITS.prime_globs) one by one."""

    def __init__(self, patterns):
        self.everything = "" in patterns
        self.literal = {pattern for pattern in patterns if not GLOB_CHARS.search(pattern)}
        self.globs = list(dict.fromkeys(pattern for pattern in patterns if GLOB_CHARS.search(pattern)))

    def match(self, rel):
        if self.everything or rel in self.literal:
            return True
        index = rel.find("/")
        while index != -1:
            if rel[:index] in self.literal:
                return True
            index = rel.find("/", index + 1)
        return any(_matches(rel, pattern) for pattern in self.globs)


class _Walk:
    """One bounded walk of the staged files: what is shipped, what is refused, what is hard-linked."""

    def __init__(self, root, problems):
        self.root = root
        self.root_real = os.path.realpath(root)
        self.files = []
        self.problems = problems
        self.hard_links = []
        self.deadline = Deadline("the project directory %s" % root)

    def add(self, rel, path):
        """Record ``rel`` as shipped unless it is a symlink leading outside, not a regular file or
        symlink, or its name is not UTF-8."""
        CURRENT.path = rel
        self.deadline.tick()
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            self.problems.append(
                "the file name %s is not valid UTF-8; rename it or leave it out of the rock"
                % rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            )
            return
        try:
            info = os.lstat(path)
        except OSError as err:
            self.problems.append("cannot read %s: %s" % (rel, err.strerror or err))
            return
        if stat.S_ISLNK(info.st_mode):
            target = escaping_symlink_target(self.root_real, path)
            if target is not None:
                self.problems.append(symlink_outside_message(rel, target))
                return
        elif not stat.S_ISREG(info.st_mode):
            self.problems.append(
                "%s is %s, which cannot go into the image; remove it or leave it out of the prime"
                % (rel, file_kind(info.st_mode))
            )
            return
        elif info.st_nlink > 1:
            self.hard_links.append(rel)
        self.files.append(rel)

    def walk(self, top):
        """Add the files (and symlinks, which are copied as links) below project-relative ``top``."""
        path = os.path.join(self.root, *top.split("/"))
        if os.path.islink(path) or not os.path.isdir(path):
            self.add(top, path)
            return

        def unreadable(err):
            rel = os.path.relpath(err.filename, self.root).replace(os.sep, "/") if err.filename else top
            self.problems.append("cannot read the directory %s: %s" % (rel, err.strerror or err))

        for directory, dirnames, filenames in os.walk(path, onerror=unreadable):
            self.deadline.tick()
            rel_dir = (
                posixpath.join(top, os.path.relpath(directory, path).replace(os.sep, "/"))
                if directory != path
                else top
            )
            dirnames.sort()
            for name in dirnames:
                child = os.path.join(directory, name)
                if os.path.islink(child):
                    self.add(posixpath.join(rel_dir, name), child)
            for name in sorted(filenames):
                self.add(posixpath.join(rel_dir, name), os.path.join(directory, name))


def _staged_tops(root, prime, top_level_entries, framework, problems):
    """The top-level project entries the install-app part stages ("." for the whole project)."""
    if not is_include_mode(prime):
        return [
            name
            for name in top_level_entries
            if not any(fnmatch.fnmatch(name, pattern) for pattern in ORGANIZE_EXCLUDED)
        ]
    staged_tops = []
    for entry in prime:
        excluded, rel = _strip_prime(entry, framework.app_dir)
        if excluded:
            continue
        if GLOB_CHARS.search(rel):
            first = rel.split("/")[0]
            staged_tops.extend(name for name in top_level_entries if fnmatch.fnmatchcase(name, first))
        elif not os.path.lexists(os.path.join(root, *rel.split("/"))) and rel:
            problems.append(
                "prime entry %r of the %s part names %s, which does not exist in the project"
                % (entry, framework.part("install-app"), rel)
            )
        else:
            staged_tops.append(rel if rel else ".")
    return staged_tops


def hard_link_warning(rels):
    """The warning naming shipped files with more than one hard link (see README, Security)."""
    shown = ", ".join(rels[:10]) + (" and %d more" % (len(rels) - 10) if len(rels) > 10 else "")
    return (
        "%s: hard-linked (more than one name on disk); copied as ordinary files. Their content is "
        "read through the project's own path, so nothing is read that the project's owner could "
        "not already read; check that they hold nothing you did not mean to ship" % shown
    )


def app_files(root, prime, top_level_entries, framework=FLASK, warnings=None):
    """Project-relative paths of the files that end up under /<framework>/app, plus problems.

    ``prime`` is the effective prime list (user's, or the default one). Staging follows the
    generated organize map; priming follows craft-parts filesets (includes, else all; minus excludes).
    Raises ProjectFileError (WalkLimitError) when the walk goes beyond LIMITS.walk_*.
    """
    problems = []
    walk = _Walk(root, problems)
    for top in dict.fromkeys(_staged_tops(root, prime, top_level_entries, framework, problems)):
        if top == ".":
            for name in top_level_entries:
                walk.walk(name)
        else:
            walk.walk(top)
    includes = []
    excludes = []
    for entry in prime:
        excluded, rel = _strip_prime(entry, framework.app_dir)
        (excludes if excluded else includes).append(rel)
    if not includes:
        includes = [""]
    included, excluded = _Patterns(includes), _Patterns(excludes)
    selected = sorted(rel for rel in set(walk.files) if included.match(rel) and not excluded.match(rel))
    if warnings is not None and walk.hard_links:
        shipped = set(selected)
        linked = sorted(rel for rel in walk.hard_links if rel in shipped)
        if linked:
            warnings.append(hard_link_warning(linked))
    return selected, problems


# ---------------------------------------------------------------- generated snippet


def python_version_for(base, build_base):
    """Python minor version of the runtime: from the base, or the build-base for ``bare``
    (None when unknown)."""
    key = build_base if base == "bare" else base
    return PYTHON_VERSIONS.get(key) if isinstance(key, str) else None


def gunicorn_command(entrypoint, worker_class, framework=FLASK):
    return framework.pebble_gunicorn_command(entrypoint, worker_class)


def generated_parts(base, python_version, has_requirements_txt, install_app, *, framework=FLASK):
    """The parts the extension contributes, in Rockcraft's order."""
    if base == "bare":
        stage_packages = ["python%s-venv_ensurepip" % python_version]
        build_environment = [{"PARTS_PYTHON_INTERPRETER": "python%s" % python_version}]
    else:
        stage_packages = ["python3-venv"]
        build_environment = []
    owned = {"owner": runtime.DAEMON_UID, "group": runtime.DAEMON_GID}
    dependencies = framework.part("dependencies")
    gunicorn_conf = framework.paths["gunicorn_conf"].lstrip("/")
    parts = {
        dependencies: {
            "plugin": "python",
            "stage-packages": stage_packages,
            "source": ".",
            "python-packages": framework.python_packages,
            "python-requirements": ["requirements.txt"] if has_requirements_txt else [],
            "build-environment": build_environment,
        },
        framework.part("install-app"): dict(install_app, permissions=[dict(owned)]),
        framework.part("config-files"): {
            "plugin": "dump",
            "source": "%s/%s" % (EXTENSION_DATA_ROOT, framework.extension),
            "organize": {"gunicorn.conf.py": gunicorn_conf},
            "permissions": [dict(path=gunicorn_conf, **owned)],
        },
        framework.part("statsd-exporter"): framework.statsd_exporter_part(),
        framework.part("logging"): framework.logging_part(),
    }
    if base == "bare":
        parts[framework.part("runtime")] = {
            "plugin": "nil",
            "override-build": "mkdir -m 777 ${CRAFT_PART_INSTALL}/tmp\n"
            "ln -sf /usr/bin/bash ${CRAFT_PART_INSTALL}/usr/bin/sh",
            "stage-packages": ["bash_bins", "coreutils_bins", "ca-certificates_data"],
        }
        parts[framework.part("runtime-libs")] = {"plugin": "nil", "stage-packages": ["libstdc++6"]}
    else:
        # ca-certificates_data and python3-venv both ship this file with different content.
        parts[dependencies]["stage"] = ["-etc/ssl/certs/ca-certificates.crt"]
        parts[framework.part("runtime")] = {"plugin": "nil", "stage-packages": ["ca-certificates_data"]}
    return parts


def extension_stage_packages(framework=FLASK):
    """The stage packages the extension's own parts add on any base (the image layout provides them).

    Chisel slices included (``ca-certificates_data``): a builder subtracts these from the expansion's
    stage packages to keep the user's own.
    """
    packages = set()
    ubuntu = ("ubuntu@22.04", "ubuntu@24.04")
    bases = [(base, None) for base in ubuntu] + [("bare", build_base) for build_base in ubuntu]
    for base, build_base in bases:
        parts = generated_parts(base, python_version_for(base, build_base), False, {}, framework=framework)
        packages.update(package for part in parts.values() for package in part.get("stage-packages", []))
    return sorted(packages)


def root_snippet(
    base, python_version, has_requirements_txt, install_app, service_command, *, framework=FLASK
):
    """``run-user``, ``services`` and ``parts`` as the extension contributes them.

    ``service_command`` is None when the user already set ``services.<framework>.command``.
    """
    service = {
        "override": "replace",
        "startup": "enabled",
        "after": [runtime.STATSD_EXPORTER_SERVICE],
        "user": runtime.DAEMON_USER,
    }
    if service_command is not None:
        service["command"] = service_command
    return {
        "run-user": runtime.DAEMON_USER,
        "services": {
            framework.service: service,
            runtime.STATSD_EXPORTER_SERVICE: framework.statsd_exporter_service(),
        },
        "parts": generated_parts(
            base, python_version, has_requirements_txt, install_app, framework=framework
        ),
    }
