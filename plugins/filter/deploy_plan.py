# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters deciding a deploy of a Flask rock (role flaskrock.paas.deploy) from the host's state."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_plan import (
    DeployConfigError,
    deploy_changes,
    deploy_plan,
    fleet_report,
    prunable_releases,
    release_env,
    rollback_target,
)
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_services import services_state


def _wrap(function):
    def filter_function(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (DeployConfigError, KeyError, TypeError, ValueError) as exc:
            raise AnsibleFilterError(str(exc)) from None

    filter_function.__name__ = function.__name__
    filter_function.__doc__ = function.__doc__
    return filter_function


def deploy_release_env(settings, plan, secret_key):
    return release_env(settings, plan, secret_key)


def deploy_rollback_target(state, release="", host="this host"):
    return rollback_target(state, release, host)


def deploy_services_state(status_output, expected, stable_seconds=5, previous=None):
    return services_state(status_output, expected, stable_seconds, previous)


def deploy_prunable_releases(state, image_id, keep, released=True):
    return prunable_releases(state, image_id, keep, released)


class FilterModule:
    def filters(self):
        return {
            name: _wrap(function)
            for name, function in (
                ("deploy_plan", deploy_plan),
                ("deploy_release_env", deploy_release_env),
                ("deploy_changes", deploy_changes),
                ("deploy_rollback_target", deploy_rollback_target),
                ("deploy_prunable_releases", deploy_prunable_releases),
                ("deploy_services_state", deploy_services_state),
                ("deploy_fleet_report", fleet_report),
            )
        }
