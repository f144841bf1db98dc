# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The build inputs of a rock, checked and digested on the controller in one pass.

Same inputs -> same digest -> same tag: the role builds only when no image has the tag. The
digest covers every input of the build: the base image ID, the rendered build-context files,
the content of each application, requirement (and local requirement path) and, for
``pip install .``, project file, statsd_exporter (local file content, or URL and checksum),
the build-only CA certificates and the build environment.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import hashlib
import json
import os
import posixpath
import re
import stat

from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import Deadline
from ansible_collections.flaskrock.paas.plugins.module_utils._project_secrets import is_dotenv

# What Rockcraft leaves out of a project, plus caches no build needs.
IGNORED = re.compile(r"^(\.git|node_modules|\.yarn|\.venv|\.tox)(/|$)|(^|/)__pycache__/|\.rock$|\.pyc$")
ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
ARCHIVE_SUFFIX = re.compile(r"\.(tar\.gz|tgz)$")
DIGEST_LENGTH = 12


class InputsError(Exception):
    """An input is missing or unusable; the message says which and how to fix it."""


def sha256_file(path):
    """sha256 of a regular file (symlinks followed); opened non-blocking, so a FIFO or device
    raises OSError instead of blocking or reading forever."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        raise OSError(errno.EINVAL, "not a regular file", path)
    digest = hashlib.sha256()
    with os.fdopen(descriptor, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_project_file(root, rel):
    """sha256 of project file ``rel`` as the build context gets it: a symlink to a directory inside
    the project by its target (it is copied as a link), anything resolving outside refused."""
    root_real = os.path.realpath(root)
    path = os.path.join(root, *rel.split("/"))
    real = os.path.realpath(path)
    if not (real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)):
        raise InputsError(
            "%s in %s resolves outside the project (to %s): refusing to read it" % (rel, root, real)
        )
    if os.path.islink(path) and (os.path.isdir(real) or not os.path.exists(real)):
        return sha256_text("symlink:" + os.path.relpath(real, root_real).replace(os.sep, "/"))
    return sha256_file(real)


def sha256_text(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def project_files(root):
    """Sorted project-relative paths of the regular files of the project, without IGNORED ones and
    without dotenv files (secrets: not even the build stage gets them)."""
    found = []
    deadline = Deadline("the project directory %s" % root)
    for directory, dirnames, filenames in os.walk(root):
        deadline.tick(1 + len(filenames))
        dirnames.sort()
        rel_dir = os.path.relpath(directory, root).replace(os.sep, "/")
        for name in filenames:
            rel = name if rel_dir == "." else posixpath.join(rel_dir, name)
            regular = stat.S_ISREG(os.lstat(os.path.join(directory, name)).st_mode)
            if regular and not IGNORED.search(rel) and not is_dotenv(rel):
                found.append(rel)
    return sorted(found)


def requirement_path_files(files, paths):
    """The files below the local paths requirement files install from (-e ./lib, ./x.whl, -f ./wheels)."""
    paths = [path.rstrip("/") for path in paths]
    if "." in paths:
        return list(files)
    return [rel for rel in files if any(rel == path or rel.startswith(path + "/") for path in paths)]


def _sums(root, rels):
    sums = []
    for rel in rels:
        try:
            sums.append([rel, sha256_project_file(root, rel)])
        except OSError as error:
            raise InputsError("cannot read %s in %s: %s" % (rel, root, error.strerror or error)) from None
    return sums


def architecture(name):
    """Docker's architecture name (x86_64, aarch64...) as statsd_exporter releases spell it."""
    return ARCHITECTURES.get(name, name)


def statsd_exporter_source(options, arch):
    """Where statsd_exporter comes from: a local binary, a local archive, or a checked download."""
    src = options.get("src") or ""
    if src:
        return {
            "kind": "archive" if ARCHIVE_SUFFIX.search(src) else "binary",
            "src": src,
            "url": "",
            "checksum": "",
            "archive": posixpath.basename(src),
            "arch": arch,
        }
    version = options.get("version") or ""
    url = (options.get("url") or "").replace("{arch}", arch)
    # A pinned sha256, else the release's checksum file (get_url reads the archive's line from it).
    checksum = (options.get("checksums") or {}).get(arch) or options.get("checksums_url") or ""
    if not checksum:
        raise InputsError(
            "rock_statsd_exporter_checksums.%(arch)s and rock_statsd_exporter_checksums_url are both empty, "
            "so the downloaded statsd_exporter %(version)s archive could not be verified: set the first to "
            "the sha256 listed for statsd_exporter-%(version)s.linux-%(arch)s.tar.gz in the release's "
            "sha256sums.txt (or the second to that file's URL), or set rock_statsd_exporter_src to a local "
            "archive or binary." % {"arch": arch, "version": version}
        )
    return {
        "kind": "download",
        "src": "",
        "url": url,
        "checksum": checksum,
        "archive": posixpath.basename(url),
        "arch": arch,
    }


def check_base_image(base_image, base_image_id, base, builder):
    if not base_image_id:
        raise InputsError(
            "Base image %(image)s (for base %(base)s) is not present on the builder %(builder)s, and the "
            "role never pulls implicitly. Get it with `docker pull %(image)s` on the builder, build it "
            "offline with the collection's scripts/ubuntu-images.sh (debootstrap), or point "
            "rock_base_images at an image you have." % {"image": base_image, "base": base, "builder": builder}
        )


def check_local_files(paths):
    missing = [path for path in paths if not os.path.isfile(path)]
    if missing:
        raise InputsError(
            "Not found on the controller: %s (from rock_build_ca_certificates or rock_statsd_exporter_src)."
            % ", ".join(missing)
        )


def ca_context_name(index, path):
    """``build-ca/<index>-<name>.crt``: update-ca-certificates reads only ``*.crt``."""
    return "build-ca/%d-%s.crt" % (index, re.sub(r"\.(pem|crt)$", "", os.path.basename(path)))


def image_tag(version, digest):
    return "%s-%s" % (re.sub(r"[^A-Za-z0-9_.-]", "-", str(version)), digest)


def digest_inputs(
    plan,
    *,
    base_image_id,
    contents=None,
    files=None,
    build_ca_certificates=(),
    build_env=None,
    statsd_exporter=None,
    arch="amd64",
    registry="",
):
    """Check the inputs and return the digest, the tag and what the build context holds."""
    root = plan["project_dir"]
    statsd = statsd_exporter_source(statsd_exporter or {}, arch)
    local = list(build_ca_certificates) + ([statsd["src"]] if statsd["src"] else [])
    check_local_files(local)
    listing = project_files(root) if plan["install_project"] or plan["requirements_paths"] else []
    path_files = (
        requirement_path_files(listing, plan["requirements_paths"]) if plan["requirements_paths"] else []
    )
    shipped_project = listing if plan["install_project"] else []
    inputs = {
        "base_image_id": base_image_id,
        "contents": {dest: sha256_text(text) for dest, text in (contents or {}).items()},
        "files": {dest: sha256_file(path) for dest, path in (files or {}).items()},
        "app": _sums(root, plan["app_files"]),
        "requirements": _sums(root, plan["requirements_files"]),
        "requirement_paths": _sums(root, path_files),
        "project": _sums(root, shipped_project),
        "statsd_exporter": (
            {"src_sha256": sha256_file(statsd["src"])}
            if statsd["src"]
            else {"url": statsd["url"], "sha256": statsd["checksum"]}
        ),
        "build_ca": [sha256_file(path) for path in build_ca_certificates],
        "build_env": sha256_text(json.dumps(build_env or {}, sort_keys=True)),
    }
    digest = sha256_text(json.dumps(inputs, sort_keys=True))[:DIGEST_LENGTH]
    tag = image_tag(plan["version"], digest)
    local_image = "%s:%s" % (plan["name"], tag)
    context_files = [
        {"src": path, "dest": ca_context_name(index, path), "mode": "0644"}
        for index, path in enumerate(build_ca_certificates)
    ]
    if statsd["kind"] == "binary":
        context_files.append({"src": statsd["src"], "dest": "statsd_exporter", "mode": "0755"})
    return {
        "digest": digest,
        "tag": tag,
        "local_image": local_image,
        "image": ("%s/%s" % (registry.rstrip("/"), local_image)) if registry else local_image,
        "requirement_files": sorted(set(plan["requirements_files"]) | set(path_files)),
        "project_files": shipped_project,
        "context_files": context_files,
        "statsd_exporter": statsd,
    }
