# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The runtime contract of a rock built by flaskrock.paas: the one place for its constants.

Rockcraft's 12-factor extensions and paas-charm agree on this layout for every Gunicorn
framework (``/<framework>/app``, user 584792, Gunicorn on 8000, statsd-exporter on 9102).
Modules and filters import it; roles and templates read it through the
``flaskrock.paas.runtime_contract`` lookup. Nothing else writes these values out.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DAEMON_USER = "_daemon_"
DAEMON_UID = 584792
DAEMON_GID = 584792
HTTP_PORT = 8000
METRICS_PORT = 9102
STATSD_PORT = 9125
STATSD_MAPPING_FILE = "/statsd-mapping.conf"
STATSD_EXPORTER_BINARY = "/bin/statsd_exporter"
VENV_DIR = "/venv"
PROJECT_DIR = "/project"
SUPERVISORD_CONF = "/etc/supervisor/supervisord.conf"
LAUNCHER = "/usr/local/bin/flaskrock-launcher"
SYSTEM_PYTHON = "/usr/bin/python3"
STATSD_EXPORTER_SERVICE = "statsd-exporter"
HEALTH_CHECK_PATH = "/"
# The rock's own services run by supervisord beside Gunicorn (Pebble's rule in the charm):
# ``*-worker`` on every host, ``*-scheduler`` on one host. The deploy role sets SCHEDULER_ENV to
# "disabled" on the other hosts; a container run without it runs its schedulers (one host).
WORKER_SUFFIX = "-worker"
SCHEDULER_SUFFIX = "-scheduler"
SCHEDULER_ENV = "FLASKROCK_SCHEDULER"
DEFAULT_FRAMEWORK = "flask"

LABEL_PREFIX = "io.flaskrock.paas."
LABELS = {
    "title": "org.opencontainers.image.title",
    "version": "org.opencontainers.image.version",
    "revision": "org.opencontainers.image.revision",
    "description": "org.opencontainers.image.description",
    "framework": LABEL_PREFIX + "framework",
    "entrypoint": LABEL_PREFIX + "entrypoint",
    "worker_class": LABEL_PREFIX + "worker-class",
    "gevent": LABEL_PREFIX + "gevent",
    "migration": LABEL_PREFIX + "migration",
    "gunicorn_command": LABEL_PREFIX + "gunicorn-command",
    # JSON list of the rock's own services: [{"name", "kind" (worker|scheduler|service), "startup"}].
    "services": LABEL_PREFIX + "services",
}
# Labels the deploy role puts on the app container and its data volume (not on the image).
CONTAINER_LABELS = {
    "app": LABEL_PREFIX + "app",
    "release": LABEL_PREFIX + "release",
    "settings": LABEL_PREFIX + "deploy-settings",
    "env": LABEL_PREFIX + "deploy-env",
}


def framework_paths(framework=DEFAULT_FRAMEWORK):
    """The paths of one framework's rock, as Rockcraft's _GunicornBase lays them out."""
    base = "/" + framework
    return {
        "base_dir": base,
        "app_dir": base + "/app",
        "gunicorn_conf": base + "/gunicorn.conf.py",
        "log_dir": "/var/log/" + framework,
        "access_log": "/var/log/%s/access.log" % framework,
        "error_log": "/var/log/%s/error.log" % framework,
    }


def contract(framework=DEFAULT_FRAMEWORK):
    """Every constant of the runtime contract for ``framework``, as one dictionary."""
    return dict(
        framework=framework,
        service=framework,
        user=DAEMON_USER,
        uid=DAEMON_UID,
        gid=DAEMON_GID,
        http_port=HTTP_PORT,
        metrics_port=METRICS_PORT,
        statsd_port=STATSD_PORT,
        statsd_mapping_file=STATSD_MAPPING_FILE,
        statsd_exporter_binary=STATSD_EXPORTER_BINARY,
        statsd_exporter_service=STATSD_EXPORTER_SERVICE,
        venv_dir=VENV_DIR,
        project_dir=PROJECT_DIR,
        supervisord_conf=SUPERVISORD_CONF,
        launcher=LAUNCHER,
        system_python=SYSTEM_PYTHON,
        health_check_path=HEALTH_CHECK_PATH,
        scheduler_env=SCHEDULER_ENV,
        labels=dict(LABELS),
        **framework_paths(framework),
    )
