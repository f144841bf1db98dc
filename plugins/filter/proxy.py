# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters deciding what the host's HAProxy serves (roles flaskrock.paas.proxy and flaskrock.paas.deploy)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.plugin_utils._proxy import (
    ProxyConfigError,
    check_certificate,
    maintenance,
    proxy_app,
    proxy_config,
    with_port,
)


def _wrap(function):
    def filter_function(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (ProxyConfigError, KeyError, TypeError, ValueError) as exc:
            raise AnsibleFilterError(str(exc)) from None

    filter_function.__name__ = function.__name__
    filter_function.__doc__ = function.__doc__
    return filter_function


def proxy_certificate_problem(certificate, key, domains, app="the app"):
    return check_certificate(certificate, key, domains, app)


def proxy_pem(certificate, chain="", key=""):
    """The one PEM file HAProxy loads: certificate, chain, key, each ending with a newline ('' without a
    certificate)."""
    parts = [str(part).strip() for part in (certificate, chain, key) if str(part or "").strip()]
    return "".join(part + "\n" for part in parts) if str(certificate or "").strip() else ""


def proxy_records(records, update):
    """``records`` (app -> record) with ``update`` (one record) put in."""
    return {**(records or {}), update["app"]: update}


class FilterModule:
    def filters(self):
        return {
            name: _wrap(function)
            for name, function in (
                ("proxy_app", proxy_app),
                ("proxy_config", proxy_config),
                ("proxy_with_port", with_port),
                ("proxy_maintenance", maintenance),
                ("proxy_records", proxy_records),
                ("proxy_pem", proxy_pem),
                ("proxy_certificate_problem", proxy_certificate_problem),
            )
        }
