# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The build plan of a rock: everything an image builder needs, decided here, framework-neutral.

``build_plan`` turns a validated project (the result of ``inspect_project``) into a plan the
flaskrock.paas.rock role only renders (Dockerfile, supervisord.conf, gunicorn.conf.py, the
launcher's configuration) and orchestrates: base images, apt packages of each stage, Python
packages and requirement files, files copied into the image, the services and their commands, the
labels, and the runtime contract (user, ports, paths).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import json
import os
import posixpath

from ansible_collections.flaskrock.paas.plugins.module_utils import _bare_rootfs as bare_rootfs
from ansible_collections.flaskrock.paas.plugins.module_utils import _flask_expansion as expansion
from ansible_collections.flaskrock.paas.plugins.module_utils import _runtime as runtime

DEFAULT_BASE_IMAGES = {"ubuntu@22.04": "ubuntu:22.04", "ubuntu@24.04": "ubuntu:24.04"}
# apt packages the layout itself needs, before the project's own.
BUILD_STAGE_PACKAGES = ("ca-certificates", "python3-venv")
RUNTIME_PACKAGES = ("python3", "supervisor", "ca-certificates")
SUPERVISORD = "/usr/bin/supervisord"
LAUNCHER_CONFIG = "/etc/flaskrock/launcher.json"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Seconds supervisord waits after SIGTERM: Gunicorn's graceful_timeout (30 s) plus a margin.
GUNICORN_STOP_TIMEOUT = 35
STATSD_EXPORTER_STOP_TIMEOUT = 10
# The project's own services (workers, schedulers): a worker finishing its job before the container's
# own stop timeout (Gunicorn's graceful_timeout + 5 s) ends.
USER_SERVICE_STOP_TIMEOUT = 30
HEALTHCHECK = {"interval": "10s", "timeout": "5s", "start_period": "15s", "retries": 3}
# The image build's last step runs APP_CHECK (roles/rock/files/flaskrock-app-check) with the rock's
# own interpreter: it compiles every .py file of the app directory (writing nothing, no .pyc) and
# fails the build on code that interpreter cannot run, one line per file starting with
# APP_CHECK_MARKER (read back by plugin_utils/_rock_build.py).
APP_CHECK = "/usr/local/bin/flaskrock-app-check"
APP_CHECK_MARKER = "flaskrock app check: "


def _normalised_base(base):
    """``ubuntu:22.04`` (Rockcraft's older spelling) -> ``ubuntu@22.04``."""
    return base.replace(":", "@", 1) if isinstance(base, str) else base


def _image_for(base, base_images):
    if not isinstance(base, str):
        return None
    return base_images.get(base) or base_images.get(_normalised_base(base))


def resolve_images(base, build_base, base_images=None):
    """Docker image of each stage: the base's image for both (the venv is copied between them, so
    they share the Python). ``bare``: the build-base's image builds the venv and assembles the
    root filesystem (``rootfs`` stage), the final stage starts from ``scratch``. None where
    ``base_images`` has no entry."""
    base_images = DEFAULT_BASE_IMAGES if base_images is None else base_images
    if base == "bare":
        image = _image_for(build_base, base_images)
        return {"build": image, "rootfs": image, "runtime": "scratch" if image else None}
    image = _image_for(base, base_images)
    return {"build": image, "runtime": image}


def rootfs(base, build_base, user_packages, contract):
    """The root filesystem of a ``bare`` rock (``_bare_rootfs``), None on the Ubuntu bases."""
    if base != "bare":
        return None
    return bare_rootfs.rootfs_config(_normalised_base(build_base), user_packages, contract)


def _package_lists(parts, key):
    for part in parts.values() if isinstance(parts, dict) else ():
        packages = part.get(key) if isinstance(part, dict) else None
        if isinstance(packages, list):
            yield from (package for package in packages if isinstance(package, str))


def user_stage_packages(expanded, framework):
    """The project's stage packages as Debian packages: the extension's own are provided by the
    layout, and a Chisel slice (``libpq5_libs``) installs its whole package (Debian names never
    hold ``_``)."""
    own = set(expansion.extension_stage_packages(framework))
    return sorted(
        {package.split("_", 1)[0] for package in _package_lists(expanded.get("parts"), "stage-packages")}
        - {package.split("_", 1)[0] for package in own}
    )


def user_build_packages(expanded):
    return sorted(set(_package_lists(expanded.get("parts"), "build-packages")))


def _with(first, more):
    return list(first) + [package for package in more if package not in first]


def autostart_variable(name):
    """Environment variable the launcher sets to supervisord's ``autostart`` of a project service."""
    return name.upper().replace("-", "_") + "_SERVICE_AUTOSTART"


def own_service(framework, service):
    """A project service (``_rock_services.user_services``) as supervisord runs it: its environment
    through ``env`` (no quoting rules of supervisord's own), started by the launcher's decision
    (``startup``; a scheduler only where the deploy's SCHEDULER_ENV is not "disabled")."""
    environment = ["%s=%s" % item for item in sorted(service["environment"].items())]
    return {
        "name": service["name"],
        "kind": service["kind"],
        "startup": service["startup"],
        "command": (["env", *environment] if environment else []) + list(service["command"]),
        "default_args": list(service["default_args"]),
        "args_env": framework.service_args_variable(service["name"]),
        "args_required": None,
        "working_dir": service["working_dir"],
        "stop_timeout": USER_SERVICE_STOP_TIMEOUT,
        "autostart_env": autostart_variable(service["name"]),
    }


def services(framework, entrypoint, worker_class, own=()):
    """The services of the image, in start order (Pebble's ``after``): each a fixed command, the
    default arguments ``--args <service> ...`` replaces (Pebble's ``[ ... ]``), and the variable
    that carries them from the launcher to supervisord; the project's own services (``own``) last."""
    contract = framework.contract()
    gunicorn = framework.gunicorn_command(entrypoint) if entrypoint else None
    return [
        {
            "name": runtime.STATSD_EXPORTER_SERVICE,
            "command": framework.statsd_exporter_command(),
            "default_args": [],
            "args_env": framework.service_args_variable(runtime.STATSD_EXPORTER_SERVICE),
            "args_required": None,
            "working_dir": None,
            "stop_timeout": STATSD_EXPORTER_STOP_TIMEOUT,
            "autostart_env": None,
        },
        {
            "name": framework.service,
            "command": (gunicorn or []) + ["-k"],
            "default_args": [worker_class],
            "args_env": framework.service_args_variable(framework.service),
            "args_required": "the worker class (%s)" % " or ".join(("sync", "gevent")),
            "working_dir": contract["app_dir"],
            "stop_timeout": GUNICORN_STOP_TIMEOUT,
            "autostart_env": None,
        },
    ] + [own_service(framework, service) for service in own]


def launcher(contract, service_list):
    """The image's entrypoint and the configuration file it reads (stdlib JSON)."""
    return {
        "command": [contract["system_python"], contract["launcher"]],
        "config_path": LAUNCHER_CONFIG,
        "config": {
            "supervisord": [SUPERVISORD, "-c", contract["supervisord_conf"]],
            "services": {
                service["name"]: {
                    "default_args": service["default_args"],
                    "args_env": service["args_env"],
                    "args_required": service["args_required"],
                    **(
                        {
                            "autostart_env": service["autostart_env"],
                            "startup": service["startup"],
                            "scheduler": service["kind"] == "scheduler",
                        }
                        if service.get("autostart_env")
                        else {}
                    ),
                }
                for service in service_list
            },
            "scheduler_env": contract["scheduler_env"],
        },
    }


def labels(result, framework, summary):
    """The labels the Dockerfile sets (the deploy role reads them), in their order. The revision
    (input digest) and the gevent check are known at build time only: the role adds them."""
    names = runtime.LABELS
    gunicorn = framework.gunicorn_command(result["entrypoint"]) if result["entrypoint"] else None
    return {
        names["title"]: result["name"],
        names["version"]: result["version"],
        names["description"]: summary if isinstance(summary, str) else "",
        names["framework"]: framework.name,
        names["entrypoint"]: result["entrypoint"] or "",
        names["worker_class"]: result["worker_class"],
        names["migration"]: json.dumps(result["migration"]),
        names["gunicorn_command"]: json.dumps(gunicorn),
        names["services"]: json.dumps(
            [
                {"name": service["name"], "kind": service["kind"], "startup": service["startup"]}
                for service in result.get("user_services") or ()
            ]
        ),
    }


def _healthcheck(contract):
    probe = (
        "import http.client; c = http.client.HTTPConnection('127.0.0.1', %d, timeout=4); "
        "c.request('GET', %r); c.getresponse()" % (contract["http_port"], contract["health_check_path"])
    )
    return dict(HEALTHCHECK, command=["python3", "-c", probe])


def venv_pth(contract, python_version):
    """A ``.pth`` file for the system python3: in a rock ``/bin/python3`` is the interpreter that
    has the app's packages, so a service written ``/bin/python3 -m rq worker`` (or a migration
    ``python3 migrate.py`` run by an absolute path) finds them here too. Appended after the system's
    own paths (supervisord and the launcher keep their own modules first); ``site.addsitedir``
    also reads the venv's ``.pth`` files (editable installs)."""
    if not python_version:
        return None
    site_packages = "%s/lib/python%s/site-packages" % (contract["venv_dir"], python_version)
    return {
        "path": "/usr/lib/python3/dist-packages/flaskrock-venv.pth",
        "content": 'import site; site.addsitedir("%s")' % site_packages,
    }


def app_check(contract):
    """The command of the image build's last step (see APP_CHECK) and the marker of its report."""
    return {
        "command": [contract["system_python"], "-I", "-B", APP_CHECK, contract["app_dir"]],
        "marker": APP_CHECK_MARKER,
    }


def build_plan(result, framework, base_images=None, project_dir=None):
    """The framework-neutral build plan of a validated project (``inspect_project``'s result) found
    in ``project_dir``."""
    contract = framework.contract()
    expanded = result["expanded"]
    parts = expanded.get("parts") or {}
    dependencies = parts.get(framework.part("dependencies")) or {}
    service_list = services(
        framework, result["entrypoint"], result["worker_class"], result.get("user_services") or ()
    )
    stage_packages = user_stage_packages(expanded, framework)
    paths = contract["project_dir"], contract["venv_dir"]
    return {
        "framework": framework.name,
        "project_dir": os.path.realpath(project_dir) if project_dir else None,
        "name": result["name"],
        "version": result["version"],
        "base": result["base"],
        "build_base": result["build_base"],
        "images": resolve_images(result["base"], result["build_base"], base_images),
        "build_stage_repository": "%s-build-stage" % result["name"],
        "build_packages": _with(BUILD_STAGE_PACKAGES, user_build_packages(expanded)),
        "runtime_packages": _with(RUNTIME_PACKAGES, stage_packages),
        "rootfs": rootfs(result["base"], result["build_base"], stage_packages, contract),
        "python_packages": list(dependencies.get("python-packages") or framework.python_packages),
        "python_requirements": list(dependencies.get("python-requirements") or []),
        "requirements_files": list(result["requirements_files"]),
        "requirements_paths": list(result["requirements_paths"]),
        # Kept at the place the build installed them from: an editable install imports from there.
        "kept_paths": sorted(
            {posixpath.normpath(posixpath.join(paths[0], path)) for path in result["requirements_paths"]}
        ),
        "install_project": result["install_project"],
        # Installed in a layer of their own before the project's code (see Dockerfile.j2).
        "project_dependencies": list(result.get("project_dependencies") or []),
        "app_files": list(result["app_files"]),
        "owned_dirs": framework.runtime_owned_dirs(),
        "owned_files": framework.runtime_owned_files(),
        # Build-context path -> image path, in COPY order (the app files come last, in app_dir).
        "files": [
            {"src": "statsd_exporter", "dest": contract["statsd_exporter_binary"], "owned": False},
            {"src": "config/statsd-mapping.conf", "dest": contract["statsd_mapping_file"], "owned": False},
            {"src": "config/supervisord.conf", "dest": contract["supervisord_conf"], "owned": False},
            {"src": "config/flaskrock-launcher", "dest": contract["launcher"], "owned": False},
            {"src": "config/launcher.json", "dest": LAUNCHER_CONFIG, "owned": False},
            {"src": "config/gunicorn.conf.py", "dest": contract["gunicorn_conf"], "owned": True},
            {"src": "config/flaskrock-app-check", "dest": APP_CHECK, "owned": False},
        ],
        "env": {"PATH": "%s/bin:%s" % (paths[1], SYSTEM_PATH)},
        # The system interpreter sees the venv's packages, as /bin/python3 does in a rock (see venv_pth).
        "venv_pth": venv_pth(contract, result.get("python_version")),
        "expose": [contract["http_port"], contract["metrics_port"]],
        "healthcheck": _healthcheck(contract),
        "app_check": app_check(contract),
        "services": service_list,
        "gunicorn_command": framework.gunicorn_command(result["entrypoint"])
        if result["entrypoint"]
        else None,
        "gunicorn": framework.gunicorn_settings(),
        "launcher": launcher(contract, service_list),
        "labels": labels(result, framework, expanded.get("summary")),
        "contract": contract,
    }
