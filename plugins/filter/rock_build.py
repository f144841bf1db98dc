# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the flaskrock.paas.rock role: the build plan to render, the checks before any host is
touched, the hosts that lack the image, the summary of a failed build."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.plugin_utils._mask_secrets import without_credentials
from ansible_collections.flaskrock.paas.plugins.plugin_utils._rock_build import (
    RockBuildError,
    build_failure,
    hosts_missing_image,
    plan_for,
    project_problems,
)


def _wrap(function):
    def filter_function(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (RockBuildError, TypeError, ValueError, KeyError) as exc:
            raise AnsibleFilterError("%s: %s" % (function.__name__, exc)) from None

    filter_function.__name__ = function.__name__
    filter_function.__doc__ = function.__doc__
    return filter_function


def rock_plan(project, base_images):
    return plan_for(project, base_images)


def rock_plan_problems(project, base_images, builder, play_hosts, project_dir=""):
    return project_problems(project, base_images, builder, list(play_hosts), project_dir)


def rock_hosts_missing_image(hosts, hostvars, register, builder):
    return hosts_missing_image(list(hosts), hostvars, register, builder)


def rock_build_failure(message):
    return build_failure(message)


def rock_build_env_without_credentials(env):
    return without_credentials(env)


class FilterModule:
    def filters(self):
        return {
            name: _wrap(function)
            for name, function in (
                ("rock_plan", rock_plan),
                ("rock_plan_problems", rock_plan_problems),
                ("rock_hosts_missing_image", rock_hosts_missing_image),
                ("rock_build_failure", rock_build_failure),
                ("rock_build_env_without_credentials", rock_build_env_without_credentials),
            )
        }
