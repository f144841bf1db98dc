# Copyright (c) flaskrock.paas developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The 12-factor environment families of the Flask charm (paas-charm 1.12.3), one function per family.

Each family is fed by one variable of the deploy role (``deploy_databases``, ``deploy_rabbitmq``,
``deploy_s3``, ``deploy_smtp``, ``deploy_saml``, ``deploy_openfga``, ``deploy_tracing``,
``deploy_oidc``, ``deploy_http_proxy``) and gives the variable names and encodings the charm gives
for the matching integration (``src/paas_charm/app.py``: ``_url_env_vars``,
``_db_url_to_env_variables``, ``generate_*_env``; ``charm_state.py``: ``ProxyConfig``;
``s3.py``, ``saml.py``, ``oauth.py``, the smtp_integrator library's ``SmtpRelationData``):

- URL families: the URL as ``<P>_CONNECT_STRING`` and every ``urllib.parse.urlparse`` part; parts
  that are ``None`` (no user, password, host or port) are left out, empty strings are set;
  ``<P>_DB_NAME`` is the path without its leading ``/`` (left out when the path is empty);
  ``RABBITMQ_VHOST`` the first path segment, percent-decoded (left out for ``/`` or no path).
- Lists and mappings are JSON (``S3_ATTRIBUTES``, ``S3_TLS_CA_CHAIN``, ``FLASK_<NAME>_CLIENT_KWARGS``);
  ``SMTP_PORT`` is the number as text and ``SMTP_SKIP_SSL_VERIFY`` Python's ``True``/``False``.
- Optional keys that are not given are left out (the charm drops ``None``).

Error messages name the variable and the key and never show a value (values may be secrets).
Pure functions (no Ansible imports) so they are unit-tested directly.
"""

from __future__ import annotations

import json
import re
import urllib.parse


class DeployConfigError(ValueError):
    """A deploy setting is invalid; the message says what is wrong and how to fix it (never a value)."""


DATABASE_KINDS = ("postgresql", "mysql", "mongodb", "redis", "valkey")
URL_PARTS = (
    "SCHEME",
    "NETLOC",
    "PATH",
    "PARAMS",
    "QUERY",
    "FRAGMENT",
    "USERNAME",
    "PASSWORD",
    "HOSTNAME",
    "PORT",
)
# Valkey's extra variables (paas-charm's ValkeyRelation): always set, empty when not given.
VALKEY_EXTRAS = {
    "read_only_endpoints": "VALKEY_DB_READ_ONLY_ENDPOINTS",
    "sentinel_endpoints": "VALKEY_DB_SENTINEL_ENDPOINTS",
    "mode": "VALKEY_MODE",
    "version": "VALKEY_VERSION",
}
S3_KEYS = (
    "access_key",
    "secret_key",
    "region",
    "storage_class",
    "bucket",
    "endpoint",
    "path",
    "api_version",
    "uri_style",
    "attributes",
    "tls_ca_chain",
)
S3_REQUIRED = ("access_key", "secret_key", "bucket")
S3_LISTS = ("attributes", "tls_ca_chain")
SMTP_KEYS = (
    "host",
    "port",
    "user",
    "password",
    "auth_type",
    "transport_security",
    "domain",
    "skip_ssl_verify",
)
SMTP_AUTH_TYPES = ("none", "not_provided", "plain")
SMTP_TRANSPORT_SECURITY = ("none", "starttls", "tls")
SAML_KEYS = ("entity_id", "metadata_url", "single_sign_on_redirect_url", "signing_certificate")
OPENFGA_KEYS = ("store_id", "token", "grpc_api_url", "http_api_url")
TRACING_KEYS = ("endpoint", "service_name")
# OIDC: every key is required (paas-charm's PaaSOAuthRelationData has no optional field); the
# suffix of FLASK_<NAME>_<SUFFIX> per key, CLIENT_KWARGS being {"scope": scopes} as JSON.
OIDC_KEYS = {
    "client_id": "CLIENT_ID",
    "client_secret": "CLIENT_SECRET",
    "api_base_url": "API_BASE_URL",
    "authorize_url": "AUTHORIZE_URL",
    "access_token_url": "ACCESS_TOKEN_URL",
    "user_url": "USER_URL",
    "scopes": "CLIENT_KWARGS",
    "jwks_url": "JWKS_URL",
}
OIDC_URLS = ("api_base_url", "authorize_url", "access_token_url", "user_url", "jwks_url")
OIDC_PREFIX = "FLASK_"
PROXY_KEYS = ("http_proxy", "https_proxy", "no_proxy")

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_OIDC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _type_name(value):
    """What ``value`` is, in words (Ansible's tagged subclasses of str, dict... count as their base)."""
    for kind, name in ((bool, "a boolean"), (str, "a str"), (dict, "a mapping"), (list, "a list")):
        if isinstance(value, kind):
            return name
    return "a number" if isinstance(value, (int, float)) else "a " + type(value).__name__


def _mapping(value, origin, known):
    """``value`` as a dict with only ``known`` keys (None: empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DeployConfigError(f"{origin} must be a mapping of {', '.join(known)}, got {_type_name(value)}.")
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        raise DeployConfigError(
            f"{origin}: unknown key {', '.join(map(repr, unknown))}; known keys: {', '.join(known)}."
        )
    return {key: item for key, item in value.items() if item is not None}


def _text(value, origin):
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise DeployConfigError(f"{origin} must be a string, got {_type_name(value)}.")


def _url(value, origin, example, schemes=()):
    """A URL with a scheme (``scheme://...``); the message shows the expected shape, never the value."""
    url = _text(value, origin)
    scheme = url.split("://", 1)[0].lower() if _SCHEME.match(url) else ""
    if not scheme or (schemes and scheme not in schemes):
        expected = f"a {' or '.join(schemes)} URL" if schemes else "a URL with a scheme"
        raise DeployConfigError(
            f"{origin} must be {expected}, like {example} (the value is not shown: it may hold a secret)."
        )
    return url


def _required(values, origin, required):
    missing = [key for key in required if values.get(key) in (None, "")]
    if missing:
        raise DeployConfigError(f"{origin} needs {', '.join(required)} (missing: {', '.join(missing)}).")


def url_env(prefix, url, origin):
    """paas-charm's ``_url_env_vars``: the URL and its ``urlparse`` parts; ``None`` parts are left out."""
    parsed = urllib.parse.urlparse(url)
    try:
        port = parsed.port
    except ValueError:
        raise DeployConfigError(
            f"{origin} has an invalid port (a number from 0 to 65535 is needed)."
        ) from None
    values = (
        parsed.scheme,
        parsed.netloc,
        parsed.path,
        parsed.params,
        parsed.query,
        parsed.fragment,
        parsed.username,
        parsed.password,
        parsed.hostname,
        None if port is None else str(port),
    )
    env = {f"{prefix}_CONNECT_STRING": url}
    parts = zip(URL_PARTS, values, strict=True)
    env.update({f"{prefix}_{part}": value for part, value in parts if value is not None})
    return env


def _database_kind_env(kind, value):
    origin = f"deploy_databases.{kind}"
    extras = {}
    if kind == "valkey" and isinstance(value, dict):
        extras = _mapping(value, origin, ("url", *VALKEY_EXTRAS))
        value = extras.get("url")
    if value is None or value == "":
        return {}
    url = _url(value, origin, f"{kind}://USER:PASSWORD@HOST:PORT/NAME")
    prefix = f"{kind.upper()}_DB"
    env = url_env(prefix, url, origin)
    path = urllib.parse.urlparse(url).path
    if path:
        env[f"{prefix}_NAME"] = path.removeprefix("/")
    if kind == "valkey":
        for key, name in VALKEY_EXTRAS.items():
            env[name] = _text(extras.get(key, ""), f"{origin}.{key}")
    return env


def database_env(databases):
    """``deploy_databases`` (``{postgresql: URL, ...}``) -> ``<KIND>_DB_CONNECT_STRING`` ... ``_NAME``.

    ``valkey`` may also be a mapping ``{url, read_only_endpoints, sentinel_endpoints, mode, version}``;
    its four extra variables are always set (empty when not given), as the charm does.
    """
    if databases is None:
        return {}
    kinds = ", ".join(DATABASE_KINDS)
    if not isinstance(databases, dict):
        got = _type_name(databases)
        raise DeployConfigError(f"deploy_databases must be a mapping of {kinds} to URLs, got {got}.")
    env = {}
    for kind, value in databases.items():
        if kind not in DATABASE_KINDS:
            raise DeployConfigError(
                f"deploy_databases: unsupported database {str(kind)!r}; supported: {kinds}."
            )
        env.update(_database_kind_env(kind, value))
    return env


def rabbitmq_env(url):
    """``deploy_rabbitmq`` (an AMQP URL) -> ``RABBITMQ_CONNECT_STRING`` ... ``RABBITMQ_VHOST``."""
    if url is None or url == "":
        return {}
    url = _url(url, "deploy_rabbitmq", "amqp://USER:PASSWORD@HOST:5672/VHOST")
    env = url_env("RABBITMQ", url, "deploy_rabbitmq")
    path = urllib.parse.urlparse(url).path
    if len(path) > 1:
        env["RABBITMQ_VHOST"] = urllib.parse.unquote(path.split("/")[1])
    return env


def _string_list(value, origin):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DeployConfigError(f"{origin} must be a list of strings, got {_type_name(value)}.")
    return value


def s3_env(s3):
    """``deploy_s3`` -> ``S3_*``; ``S3_ADDRESSING_STYLE`` follows ``uri_style`` (``host`` -> ``virtual``)."""
    values = _mapping(s3, "deploy_s3", S3_KEYS)
    if not values:
        return {}
    _required(values, "deploy_s3", S3_REQUIRED)
    env = {}
    for key in S3_KEYS:
        if key not in values:
            continue
        origin = f"deploy_s3.{key}"
        if key in S3_LISTS:
            items = _string_list(values[key], origin)
            if items:
                env[f"S3_{key.upper()}"] = json.dumps(items)
        elif key == "endpoint":
            env["S3_ENDPOINT"] = _url(values[key], origin, "https://s3.example.com")
        else:
            env[f"S3_{key.upper()}"] = _text(values[key], origin)
    if "S3_URI_STYLE" in env:
        env["S3_ADDRESSING_STYLE"] = "virtual" if env["S3_URI_STYLE"] == "host" else env["S3_URI_STYLE"]
    return env


def _choice(value, origin, choices):
    text = _text(value, origin)
    if text not in choices:
        raise DeployConfigError(f"{origin} must be one of {', '.join(choices)}.")
    return text


def _boolean(value, origin):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
        return value.lower() in ("true", "yes", "on", "1")
    raise DeployConfigError(f"{origin} must be true or false, got {_type_name(value)}.")


def smtp_env(smtp):
    """``deploy_smtp`` -> ``SMTP_*``. Like the charm, ``none`` (and empty) values are left out and
    ``SMTP_SKIP_SSL_VERIFY`` is always set (``False`` by default)."""
    values = _mapping(smtp, "deploy_smtp", SMTP_KEYS)
    if not values:
        return {}
    _required(values, "deploy_smtp", ("host", "port"))
    port = values["port"]
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise DeployConfigError("deploy_smtp.port must be a port number from 1 to 65535.")
    encoded = {
        "host": _text(values["host"], "deploy_smtp.host"),
        "port": str(port),
        "user": _text(values["user"], "deploy_smtp.user") if "user" in values else None,
        "password": _text(values["password"], "deploy_smtp.password") if "password" in values else None,
        "auth_type": (
            _choice(values["auth_type"], "deploy_smtp.auth_type", SMTP_AUTH_TYPES)
            if "auth_type" in values
            else None
        ),
        "transport_security": (
            _choice(values["transport_security"], "deploy_smtp.transport_security", SMTP_TRANSPORT_SECURITY)
            if "transport_security" in values
            else None
        ),
        "domain": _text(values["domain"], "deploy_smtp.domain") if "domain" in values else None,
        "skip_ssl_verify": str(_boolean(values.get("skip_ssl_verify", False), "deploy_smtp.skip_ssl_verify")),
    }
    # The charm keeps a value when `v is not None and v not in ("none")`: None, "" and "none" go.
    return {f"SMTP_{key.upper()}": value for key, value in encoded.items() if value not in (None, "", "none")}


def saml_env(saml):
    """``deploy_saml`` -> ``SAML_*``; ``SAML_SIGNING_CERTIFICATE`` is always set (certificates joined
    with ``,``, empty when none), the URLs only when given."""
    values = _mapping(saml, "deploy_saml", SAML_KEYS)
    if not values:
        return {}
    _required(values, "deploy_saml", ("entity_id",))
    env = {"SAML_ENTITY_ID": _text(values["entity_id"], "deploy_saml.entity_id")}
    for key in ("metadata_url", "single_sign_on_redirect_url"):
        if key in values:
            env[f"SAML_{key.upper()}"] = _url(
                values[key], f"deploy_saml.{key}", "https://idp.example.com/saml"
            )
    certificate = values.get("signing_certificate", "")
    if isinstance(certificate, list):
        certificate = ",".join(_string_list(certificate, "deploy_saml.signing_certificate"))
    env["SAML_SIGNING_CERTIFICATE"] = _text(certificate, "deploy_saml.signing_certificate")
    return env


def openfga_env(openfga):
    """``deploy_openfga`` -> ``FGA_STORE_ID``, ``FGA_TOKEN``, ``FGA_GRPC_API_URL``, ``FGA_HTTP_API_URL``
    (each only when given; the charm passes the API URLs as they are, ``host:port`` included)."""
    values = _mapping(openfga, "deploy_openfga", OPENFGA_KEYS)
    return {
        f"FGA_{key.upper()}": _text(values[key], f"deploy_openfga.{key}")
        for key in OPENFGA_KEYS
        if key in values
    }


def tracing_env(tracing, app_name=""):
    """``deploy_tracing`` -> ``OTEL_EXPORTER_OTLP_ENDPOINT`` and ``OTEL_SERVICE_NAME`` (the app's name
    unless ``service_name`` is given: the charm sends its application name)."""
    values = _mapping(tracing, "deploy_tracing", TRACING_KEYS)
    if not values:
        return {}
    _required(values, "deploy_tracing", ("endpoint",))
    env = {}
    service_name = _text(values.get("service_name") or app_name or "", "deploy_tracing.service_name")
    if service_name:
        env["OTEL_SERVICE_NAME"] = service_name
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = _url(
        values["endpoint"], "deploy_tracing.endpoint", "http://tempo:4318", ("http", "https")
    )
    return env


def oidc_env(oidc):
    """``deploy_oidc`` (``{NAME: {client_id, client_secret, ...}}``) -> ``FLASK_<NAME>_*`` per provider."""
    if oidc is None:
        return {}
    if not isinstance(oidc, dict):
        raise DeployConfigError(
            f"deploy_oidc must be a mapping of provider names to their settings, got {_type_name(oidc)}."
        )
    env = {}
    for name, settings in oidc.items():
        if not isinstance(name, str) or not _OIDC_NAME.match(name):
            raise DeployConfigError(
                f"deploy_oidc: provider name {str(name)!r} must start with a letter and hold only letters, "
                "digits and '_' (it becomes FLASK_<NAME>_CLIENT_ID ...)."
            )
        origin = f"deploy_oidc.{name}"
        values = _mapping(settings, origin, tuple(OIDC_KEYS))
        _required(values, origin, tuple(OIDC_KEYS))
        scopes = _text(values["scopes"], f"{origin}.scopes")
        if "openid" not in scopes.split():
            raise DeployConfigError(
                f"{origin}.scopes: The 'openid' scope is required for OAuth integration, "
                "please add it to the scopes."
            )
        prefix = f"{OIDC_PREFIX}{name.upper()}_"
        for key, suffix in OIDC_KEYS.items():
            if key == "scopes":
                env[prefix + suffix] = json.dumps({"scope": scopes})
            elif key in OIDC_URLS:
                env[prefix + suffix] = _url(
                    values[key], f"{origin}.{key}", "https://idp.example.com/oauth2/auth", ("http", "https")
                )
            else:
                env[prefix + suffix] = _text(values[key], f"{origin}.{key}")
    return env


def http_proxy_env(proxy):
    """``deploy_http_proxy`` -> ``http_proxy``/``https_proxy``/``no_proxy`` and their upper-case forms,
    each only when set; ``no_proxy`` may be a list (joined with ``,``)."""
    values = _mapping(proxy, "deploy_http_proxy", PROXY_KEYS)
    env = {}
    for key in PROXY_KEYS:
        value = values.get(key)
        if value in (None, "", []):
            continue
        origin = f"deploy_http_proxy.{key}"
        if key == "no_proxy":
            value = ",".join(_string_list(value, origin)) if isinstance(value, list) else _text(value, origin)
        else:
            value = _url(value, origin, "http://proxy.example:3128", ("http", "https"))
        env[key] = value
        env[key.upper()] = value
    return env


# family (the key of the role's `integrations` setting and of deploy_<family>) -> its function.
FAMILIES = {
    "rabbitmq": rabbitmq_env,
    "s3": s3_env,
    "smtp": smtp_env,
    "saml": saml_env,
    "openfga": openfga_env,
    "tracing": tracing_env,
    "oidc": oidc_env,
    "http_proxy": http_proxy_env,
}


def integrations_env(integrations, app_name=""):
    """Every family of ``integrations`` (``{family: value of deploy_<family>}``), in the charm's order."""
    if integrations is None:
        return {}
    if not isinstance(integrations, dict):
        raise DeployConfigError(
            f"the environment families must be a mapping, got {_type_name(integrations)}."
        )
    unknown = sorted(str(name) for name in integrations if name not in FAMILIES)
    if unknown:
        raise DeployConfigError(
            f"unknown environment family {', '.join(map(repr, unknown))}; known families: "
            f"databases, {', '.join(FAMILIES)} (each from deploy_<family>)."
        )
    env = {}
    for name, function in FAMILIES.items():
        value = integrations.get(name)
        env.update(function(value, app_name) if name == "tracing" else function(value))
    return env


def _collect(found, function, *args):
    try:
        function(*args)
    except DeployConfigError as exc:
        found.append(str(exc))


def problems(databases=None, integrations=None, app_name=""):
    """Every problem of the families at once (messages without values): empty when all are valid."""
    found = []
    if isinstance(databases, dict):
        for kind, value in databases.items():
            _collect(found, database_env, {kind: value})
    else:
        _collect(found, database_env, databases)
    if not isinstance(integrations, dict):
        _collect(found, integrations_env, integrations, app_name)
        return found
    unknown = {name: value for name, value in integrations.items() if name not in FAMILIES}
    if unknown:
        _collect(found, integrations_env, unknown)
    for name in FAMILIES:
        if name in integrations:
            _collect(found, integrations_env, {name: integrations[name]}, app_name)
    return found
