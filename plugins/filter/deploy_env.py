# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters computing the runtime settings of a deployed Flask rock (role flaskrock.paas.deploy)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.plugin_utils._charm_env import problems
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_env import (
    DeployConfigError,
    app_environment,
    default_workers,
    env_file_content,
    gunicorn_cmd_args,
    resolve_worker_class,
)
from ansible_collections.flaskrock.paas.plugins.plugin_utils._mask_secrets import mask, secret_values


def _wrap(function):
    def filter_function(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (DeployConfigError, TypeError, ValueError) as exc:
            raise AnsibleFilterError(str(exc)) from None

    filter_function.__name__ = function.__name__
    filter_function.__doc__ = function.__doc__
    return filter_function


def deploy_app_env(config, framework=None, databases=None, env=None, *, integrations=None, app_name=""):
    return app_environment(
        config=config,
        framework=framework,
        databases=databases,
        env=env,
        integrations=integrations,
        app_name=app_name,
    )


def deploy_env_problems(integrations, databases=None, app_name=""):
    return problems(databases, integrations, app_name)


def deploy_env_file(environment):
    return env_file_content(environment)


def deploy_default_workers(cpus, maximum=8):
    return default_workers(cpus, maximum)


def deploy_gunicorn_args(settings):
    return gunicorn_cmd_args(settings)


def deploy_worker_class(requested, image_labels):
    labels = image_labels or {}
    return resolve_worker_class(
        requested,
        labels.get("io.flaskrock.paas.worker-class"),
        labels.get("io.flaskrock.paas.gevent", "false"),
    )


def deploy_mask_secrets(text, env_content="", raw_env=None, extra=None):
    return mask(text, secret_values(env_content, raw_env, extra or ()))


class FilterModule:
    def filters(self):
        return {
            name: _wrap(function)
            for name, function in (
                ("deploy_app_env", deploy_app_env),
                ("deploy_env_problems", deploy_env_problems),
                ("deploy_env_file", deploy_env_file),
                ("deploy_default_workers", deploy_default_workers),
                ("deploy_gunicorn_args", deploy_gunicorn_args),
                ("deploy_worker_class", deploy_worker_class),
                ("deploy_mask_secrets", deploy_mask_secrets),
            )
        }
