# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Runtime settings of a deployed Flask rock, mirroring the Flask 12-factor charm.

Pure functions (no Ansible imports) so they are unit-tested directly and shared by
the filter plugin ``flaskrock.paas.deploy_env``.
"""

from __future__ import annotations

import json
import re
import shlex

from ansible_collections.flaskrock.paas.plugins.plugin_utils._charm_env import (
    DeployConfigError,
    database_env,
    integrations_env,
)

CONFIG_PREFIX = "FLASK_"

FRAMEWORK_KEYS = (
    "env",
    "debug",
    "secret_key",
    "permanent_session_lifetime",
    "application_root",
    "session_cookie_secure",
    "preferred_url_scheme",
)

WORKER_CLASSES = ("sync", "gevent")

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def encode_env(value):
    """Strings pass through; booleans, numbers, lists and dicts are JSON-encoded (charm rule)."""
    return value if isinstance(value, str) else json.dumps(value)


def _env_name(*parts):
    return "".join(parts).replace("-", "_").upper()


def _check_name(name, origin):
    if not _ENV_NAME.match(name):
        raise DeployConfigError(
            f"{origin}: {name!r} is not a valid environment variable name; "
            "use letters, digits, '_' or '-' and do not start with a digit."
        )
    return name


def config_env(config, prefix=CONFIG_PREFIX):
    """User options -> ``FLASK_<KEY>``; a nested mapping gives ``FLASK_<KEY>_<SUBKEY>`` like the charm."""
    env = {}
    for key, value in (config or {}).items():
        if value is None:
            continue
        if isinstance(value, dict):
            for sub_key, sub_value in value.items():
                if sub_value is None:
                    continue
                name = _check_name(_env_name(prefix, str(key), "_", str(sub_key)), "deploy_config")
                env[name] = encode_env(sub_value)
        else:
            env[_check_name(_env_name(prefix, str(key)), "deploy_config")] = encode_env(value)
    return env


def framework_env(framework, prefix=CONFIG_PREFIX):
    """Framework options (``env``, ``debug``...) -> ``FLASK_ENV``...; unset ones (None, '') are left out."""
    env = {}
    for key, value in (framework or {}).items():
        if key not in FRAMEWORK_KEYS and key != "base_url":
            supported = ", ".join((*FRAMEWORK_KEYS, "base_url"))
            raise DeployConfigError(f"unknown Flask framework option {key!r}; supported: {supported}.")
        if value is None or value == "":
            continue
        if key == "preferred_url_scheme":
            scheme = str(value).upper()
            if scheme not in ("HTTP", "HTTPS"):
                raise DeployConfigError(
                    f"deploy_flask_preferred_url_scheme must be HTTP or HTTPS, got {value!r}."
                )
            value = scheme  # noqa: PLW2901
        env[_env_name(prefix, key)] = encode_env(value)
    return env


def app_environment(config=None, framework=None, databases=None, env=None, *, integrations=None, app_name=""):
    """The whole application environment.

    Precedence as in the charm: user options < framework options (a user option can never
    replace a framework one) < integration families (databases, then ``integrations``: RabbitMQ,
    S3, SMTP, SAML, OpenFGA, tracing, OIDC, HTTP proxy; see ``_charm_env.py``) < ``deploy_env``
    (raw, passed as is).
    """
    result = config_env(config)
    result.update(framework_env(framework))
    result.update(database_env(databases))
    result.update(integrations_env(integrations, app_name))
    for name, value in (env or {}).items():
        _check_name(str(name), "deploy_env")
        if value is None:
            continue
        result[str(name)] = encode_env(value)
    for name, value in result.items():
        if "\n" in value or "\r" in value or "\0" in value:
            # Docker env files are line based: such a value would be cut or corrupt other lines.
            raise DeployConfigError(
                f"the value of {name} contains a line break or NUL byte, which a Docker env file "
                "cannot carry; encode it (e.g. base64) and decode it in the app."
            )
    return result


def env_file_content(environment):
    """Render an env file for ``docker run --env-file`` (KEY=VALUE per line, no quoting, sorted)."""
    return "".join(f"{name}={environment[name]}\n" for name in sorted(environment))


def default_workers(cpus, maximum):
    """Gunicorn's recommendation, 2 x cores + 1, capped so small PaaS hosts are not overcommitted."""
    cpus = max(int(cpus), 1)
    return max(1, min(2 * cpus + 1, int(maximum)))


def gunicorn_cmd_args(settings):
    """The ``GUNICORN_CMD_ARGS`` value (Gunicorn's own variable) for the runtime settings.

    ``settings`` has the keys workers, threads, timeout, keepalive, graceful_timeout, worker_connections.
    """
    settings = {
        "workers": settings["workers"],
        "threads": settings["threads"],
        "timeout": settings["timeout"],
        "keep-alive": settings["keepalive"],
        "graceful-timeout": settings["graceful_timeout"],
        "worker-connections": settings["worker_connections"],
    }
    args = []
    for option, value in settings.items():
        number = int(value)
        minimum = 0 if option in ("timeout", "keep-alive", "graceful-timeout") else 1
        if number < minimum:
            raise DeployConfigError(f"Gunicorn {option} must be at least {minimum}, got {value!r}.")
        args += [f"--{option}", str(number)]
    return shlex.join(args)


def resolve_worker_class(requested, image_worker_class, image_has_gevent):
    """``auto`` takes the image's default; ``gevent`` needs gevent in the image (the charm refuses it)."""
    requested = str(requested)
    if requested == "auto":
        requested = image_worker_class or "sync"
    if requested not in WORKER_CLASSES:
        raise DeployConfigError(
            f"invalid worker class {requested!r}: Only 'gevent' and 'sync' are allowed. "
            "Set deploy_worker_class to auto, sync or gevent."
        )
    has_gevent = image_has_gevent if isinstance(image_has_gevent, bool) else str(image_has_gevent) == "true"
    if requested == "gevent" and not has_gevent:
        raise DeployConfigError(
            "deploy_worker_class is gevent but the image has no gevent (label io.flaskrock.paas.gevent "
            "is not 'true'): add gevent to requirements.txt and rebuild, or set deploy_worker_class=sync."
        )
    return requested
