# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters deciding what the deploy role tells Prometheus about an app (role flaskrock.paas.deploy)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.plugin_utils._prometheus import (
    PrometheusTargetError,
    prometheus_target,
)


def deploy_prometheus_target(plan, settings):
    """The app's file_sd target file on this host (see plugin_utils/_prometheus.py)."""
    try:
        return prometheus_target(plan, settings)
    except (PrometheusTargetError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"deploy_prometheus_target": deploy_prometheus_target}
