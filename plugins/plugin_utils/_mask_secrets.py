# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mask known secret values in text the play shows (migration output, container logs).

An app that logs its configuration would otherwise print it in a failed deploy's message. The
secrets are taken from the app's environment file content (``NAME=value`` lines):

- the value of every variable whose name says it holds a secret (SECRET, PASSWORD, TOKEN, KEY,
  CONNECT_STRING, CREDENTIAL, AUTH, PRIVATE, DSN): among the environment families of _charm_env.py
  ``<P>_DB_PASSWORD``/``_CONNECT_STRING``, ``RABBITMQ_PASSWORD``/``_CONNECT_STRING``,
  ``S3_ACCESS_KEY``, ``S3_SECRET_KEY``, ``SMTP_PASSWORD``, ``FGA_TOKEN``, ``FLASK_<NAME>_CLIENT_SECRET``
  (tests/unit/plugins/filter/test_charm_env.py checks every family);
- the password of every URL with credentials (``scheme://user:password@host``), raw and
  percent-decoded, whatever the variable (``http_proxy`` with credentials, a ``_NETLOC`` part...);
- every value of ``deploy_env`` (raw variables, often secrets), passed separately.

Values shorter than MIN_LENGTH are not masked (masking "1" everywhere would destroy the text).
"""

from __future__ import annotations

import re
import urllib.parse

MASK = "[hidden]"
MIN_LENGTH = 4
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|KEY|CONNECT_STRING|CREDENTIAL|AUTH|PRIVATE|DSN", re.I)
# userinfo of a URL: scheme://user:password@ (no '@' or '/' in user or password once encoded).
URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:([^@/\s]+)@")


def env_values(env_content):
    """{name: value} of an env file's ``NAME=value`` lines."""
    values = {}
    for line in (env_content or "").splitlines():
        name, sep, value = line.partition("=")
        if sep and name and not name.startswith("#"):
            values[name.strip()] = value
    return values


def secret_values(env_content="", raw_env=None, extra=()):
    """The set of strings to mask."""
    secrets = set()

    def add(value):
        if isinstance(value, str) and len(value) >= MIN_LENGTH:
            secrets.add(value)

    for name, value in env_values(env_content).items():
        if SECRET_NAME.search(name):
            add(value)
        for password in URL_PASSWORD.findall(value):
            add(password)
            add(urllib.parse.unquote(password))
    for value in (raw_env or {}).values():
        add(value if isinstance(value, str) else str(value))
        for password in URL_PASSWORD.findall(str(value)):
            add(password)
            add(urllib.parse.unquote(password))
    for value in extra or ():
        add(value)
    return secrets


def mask(text, secrets):
    """``text`` with every occurrence of each secret (longest first) replaced by MASK."""
    if text is None:
        return text
    text = str(text)
    ordered = sorted((secret for secret in secrets if secret), key=len, reverse=True)
    if not ordered:
        return text
    pattern = re.compile("|".join(re.escape(secret) for secret in ordered))
    return pattern.sub(MASK, text)


# A variable of rock_build_env that holds a credential by its name alone.
CREDENTIAL_NAME = re.compile(r"PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|AUTH|_KEY$", re.I)
URL_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")


def without_credentials(env):
    """``env`` (rock_build_env) for a step that runs a project's own code: ``user:password@`` removed
    from every URL, variables named like a credential left out."""
    return {
        name: URL_USERINFO.sub(r"\1", str(value))
        for name, value in (env or {}).items()
        if not CREDENTIAL_NAME.search(str(name))
    }
