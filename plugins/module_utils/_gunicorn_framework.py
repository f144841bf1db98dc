# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""What every Gunicorn-served 12-factor framework shares, apart from the framework itself.

Shaped like Rockcraft's ``_GunicornBase`` extension and paas-charm's ``GunicornBase(framework_name)``:
the contract paths (``/<framework>/app``...), the Gunicorn command, the statsd-exporter service,
the logging part, the ``gunicorn`` Python package and the service and environment naming depend
on the framework's name only. A framework subclass adds what is its own: where the WSGI
application is searched, which requirement must be declared (and the message when it is not), the
default ``prime`` files. A second framework is one subclass in a module of its own.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re

from ansible_collections.flaskrock.paas.plugins.module_utils import _runtime as runtime

GUNICORN_PACKAGE = "gunicorn~=23.0"
STATSD_EXPORTER_TAG = "v0.26.0"
STATSD_EXPORTER_REPOSITORY = "https://github.com/prometheus/statsd_exporter.git"
WORKER_CLASSES = ("sync", "gevent")
# The image runs Gunicorn with the venv's interpreter (first on PATH); Rockcraft's Pebble command
# names /bin/python3, which its python plugin links to the venv.
IMAGE_PYTHON = "python3"
ROCKCRAFT_PYTHON = "/bin/python3"


class GunicornFramework:
    """A framework served by Gunicorn in a rock; subclasses set ``name`` and the framework hooks."""

    #: Framework name: the service name and the ``/<name>`` directory of the rock (``flask``).
    name = None
    #: Python package that must be a direct dependency (``flask``).
    required_package = None
    #: Problem when the project has no requirements file at all (Rockcraft's wording).
    missing_requirements_message = None
    #: Problem when ``required_package`` is not declared (Rockcraft's wording).
    missing_package_message = None
    #: Top-level files and directories primed into the app directory when the user lists none.
    default_prime_files = ()

    def find_entrypoint(self, root, rock_name, python_version=None):
        """Return an object with ``entrypoint``, ``problems``, ``warnings`` and ``annotated_only``
        (framework hook). ``python_version`` ("3.12", None when unknown) is the rock's Python: the
        files are valid or not for it."""
        raise NotImplementedError

    # ------------------------------------------------------------ naming

    @property
    def extension(self):
        """Rockcraft's extension name (``flask-framework``)."""
        return "%s-framework" % self.name

    @property
    def service(self):
        """The Pebble (and supervisord) service running Gunicorn."""
        return self.name

    @property
    def env_prefix(self):
        """Prefix of the app's configuration variables, as paas-charm names them (``FLASK_``)."""
        return self.name.upper() + "_"

    @staticmethod
    def service_args_variable(service):
        """Environment variable carrying a service's Pebble ``--args`` into supervisord."""
        return service.upper().replace("-", "_") + "_SERVICE_ARGS"

    def part(self, suffix):
        """Name of one of the parts the extension generates (``flask-framework/install-app``)."""
        return "%s/%s" % (self.extension, suffix)

    # ------------------------------------------------------------ contract

    @property
    def paths(self):
        return runtime.framework_paths(self.name)

    def contract(self):
        return runtime.contract(self.name)

    @property
    def app_dir(self):
        """The app directory relative to the rock's root, as ``prime`` entries spell it (``flask/app``)."""
        return self.paths["app_dir"].lstrip("/")

    @property
    def prime_prefix_re(self):
        # Earlier Rockcraft sources match r"-? *flask/app", letting "flask/apples" through; later ones
        # require the path boundary, as here.
        return re.compile(r"-? *%s(/|$)" % re.escape(self.app_dir))

    @property
    def prime_prefix_error(self):
        return "%s extension requires the 'prime' entry in the %s part to start with %s" % (
            self.extension,
            self.part("install-app"),
            self.app_dir,
        )

    # ------------------------------------------------------------ Gunicorn and statsd-exporter

    @property
    def python_packages(self):
        return [GUNICORN_PACKAGE]

    def gunicorn_command(self, entrypoint):
        """The image's Gunicorn command without ``-k`` (the ``gunicorn-command`` label)."""
        return [IMAGE_PYTHON, "-m", "gunicorn", "-c", self.paths["gunicorn_conf"], entrypoint]

    def pebble_gunicorn_command(self, entrypoint, worker_class):
        """Rockcraft's Pebble command of the framework service (``-k [ sync ]``: default arguments)."""
        return "%s -m gunicorn -c %s '%s' -k [ %s ]" % (
            ROCKCRAFT_PYTHON,
            self.paths["gunicorn_conf"],
            entrypoint,
            worker_class,
        )

    @staticmethod
    def statsd_exporter_command():
        listen = "localhost:%d" % runtime.STATSD_PORT
        return [
            runtime.STATSD_EXPORTER_BINARY,
            "--statsd.mapping-config=%s" % runtime.STATSD_MAPPING_FILE,
            "--statsd.listen-udp=%s" % listen,
            "--statsd.listen-tcp=%s" % listen,
        ]

    def gunicorn_settings(self):
        """What the rock's gunicorn.conf.py sets (everything else is Gunicorn's default)."""
        paths = self.paths
        return {
            "bind": ["0.0.0.0:%d" % runtime.HTTP_PORT],
            "chdir": paths["app_dir"],
            "statsd_host": "localhost:%d" % runtime.STATSD_PORT,
            "access_log": paths["access_log"],
            "error_log": paths["error_log"],
        }

    # ------------------------------------------------------------ generated parts and services

    def logging_part(self):
        owned = {"owner": runtime.DAEMON_UID, "group": runtime.DAEMON_GID}
        directories = ["opt/promtail", "etc/promtail", self.paths["log_dir"].lstrip("/")]
        return {
            "plugin": "nil",
            "override-build": "\n".join(
                ["craftctl default"] + ["mkdir -p $CRAFT_PART_INSTALL/%s" % path for path in directories]
            ),
            "permissions": [dict(path=path, **owned) for path in directories],
        }

    def statsd_exporter_part(self):
        return {
            "build-snaps": ["go"],
            "source-tag": STATSD_EXPORTER_TAG,
            "plugin": "go",
            "source": STATSD_EXPORTER_REPOSITORY,
        }

    def statsd_exporter_service(self):
        return {
            "override": "merge",
            "command": " ".join(self.statsd_exporter_command()),
            "summary": "statsd exporter service",
            "startup": "enabled",
            "user": runtime.DAEMON_USER,
        }

    def runtime_owned_dirs(self):
        """Directories of the final image owned by the daemon user, in creation order."""
        paths = self.paths
        return [paths["base_dir"], paths["app_dir"], paths["log_dir"], "/opt/promtail", "/etc/promtail"]

    def runtime_owned_files(self):
        """Empty files of the final image owned by the daemon user (the Gunicorn logs)."""
        return [self.paths["access_log"], self.paths["error_log"]]
