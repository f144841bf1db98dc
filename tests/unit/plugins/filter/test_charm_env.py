"""Unit tests of the environment families of the Flask charm (plugin_utils/_charm_env.py).

The expected environments are the ones paas-charm's own unit tests expect
(tests/unit/general/test_integrations.py, test_valkey.py, test_oauth.py of canonical/paas-charm),
with the same inputs, so a difference from the charm fails here.
"""

import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.filter.deploy_env import FilterModule
from ansible_collections.flaskrock.paas.plugins.plugin_utils._charm_env import (
    DATABASE_KINDS,
    FAMILIES,
    OIDC_KEYS,
    PROXY_KEYS,
    S3_KEYS,
    SAML_KEYS,
    SMTP_KEYS,
    URL_PARTS,
    DeployConfigError,
    database_env,
    http_proxy_env,
    integrations_env,
    oidc_env,
    openfga_env,
    problems,
    rabbitmq_env,
    s3_env,
    saml_env,
    smtp_env,
    tracing_env,
)
from ansible_collections.flaskrock.paas.plugins.plugin_utils._deploy_env import (
    app_environment,
    env_file_content,
)
from ansible_collections.flaskrock.paas.plugins.plugin_utils._mask_secrets import MASK, mask, secret_values

FILTERS = FilterModule().filters()

# --- databases -------------------------------------------------------------------------------------


def test_postgresql_full_dsn_like_the_charm():
    url = (
        "postgresql://testingusername:testingpassword@netlocation.test:5432/testingdbname?parameter=testparam"
    )
    assert database_env({"postgresql": url}) == {
        "POSTGRESQL_DB_CONNECT_STRING": url,
        "POSTGRESQL_DB_FRAGMENT": "",
        "POSTGRESQL_DB_HOSTNAME": "netlocation.test",
        "POSTGRESQL_DB_NAME": "testingdbname",
        "POSTGRESQL_DB_NETLOC": "testingusername:testingpassword@netlocation.test:5432",
        "POSTGRESQL_DB_PARAMS": "",
        "POSTGRESQL_DB_PASSWORD": "testingpassword",
        "POSTGRESQL_DB_PATH": "/testingdbname",
        "POSTGRESQL_DB_PORT": "5432",
        "POSTGRESQL_DB_QUERY": "parameter=testparam",
        "POSTGRESQL_DB_SCHEME": "postgresql",
        "POSTGRESQL_DB_USERNAME": "testingusername",
    }


def test_minimum_dsn_sets_empty_parts_and_leaves_out_absent_ones_like_the_charm():
    assert database_env({"postgresql": "postgresql://netlocation.test"}) == {
        "POSTGRESQL_DB_CONNECT_STRING": "postgresql://netlocation.test",
        "POSTGRESQL_DB_FRAGMENT": "",
        "POSTGRESQL_DB_HOSTNAME": "netlocation.test",
        "POSTGRESQL_DB_NETLOC": "netlocation.test",
        "POSTGRESQL_DB_PARAMS": "",
        "POSTGRESQL_DB_PATH": "",
        "POSTGRESQL_DB_QUERY": "",
        "POSTGRESQL_DB_SCHEME": "postgresql",
    }


def test_mongodb_root_path_gives_an_empty_name_like_the_charm():
    url = (
        "mongodb+srv://testinguser:testingpassword@cluster0.example.mongodb.net/?retryWrites=true&w=majority"
    )
    env = database_env({"mongodb": url})
    assert env["MONGODB_DB_NAME"] == "" and env["MONGODB_DB_PATH"] == "/"
    assert (
        env["MONGODB_DB_SCHEME"] == "mongodb+srv" and env["MONGODB_DB_QUERY"] == "retryWrites=true&w=majority"
    )


def test_redis_with_query_and_no_path_like_the_charm():
    url = "redis://testingusername:testingpassword@localhost:6379?db=0&timeout=5"
    env = database_env({"redis": url})
    assert env["REDIS_DB_PATH"] == "" and "REDIS_DB_NAME" not in env
    assert env["REDIS_DB_QUERY"] == "db=0&timeout=5" and env["REDIS_DB_PORT"] == "6379"


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_every_database_kind_gives_every_name(kind):
    url = f"{kind}://user:secret-pw@host.example:1234/base;p?q=1#frag"
    env = database_env({kind: url})
    prefix = f"{kind.upper()}_DB"
    names = {f"{prefix}_CONNECT_STRING", f"{prefix}_NAME", *(f"{prefix}_{part}" for part in URL_PARTS)}
    assert names <= set(env)
    # urlparse splits ;params only for schemes such as http: here they stay in the path (as in the charm).
    assert (
        env[f"{prefix}_PARAMS"] == ""
        and env[f"{prefix}_FRAGMENT"] == "frag"
        and env[f"{prefix}_QUERY"] == "q=1"
    )
    assert env[f"{prefix}_PATH"] == "/base;p" and env[f"{prefix}_NAME"] == "base;p"
    assert env[f"{prefix}_USERNAME"] == "user" and env[f"{prefix}_PORT"] == "1234"


def test_valkey_gets_its_extra_variables_always_set():
    env = database_env({"valkey": "valkey://user:pw-valkey@valkey-primary:6379"})
    assert env["VALKEY_DB_HOSTNAME"] == "valkey-primary" and env["VALKEY_DB_PASSWORD"] == "pw-valkey"
    assert {name: env[name] for name in env if not name.startswith("VALKEY_DB_") or "ENDPOINTS" in name} == {
        "VALKEY_DB_READ_ONLY_ENDPOINTS": "",
        "VALKEY_DB_SENTINEL_ENDPOINTS": "",
        "VALKEY_MODE": "",
        "VALKEY_VERSION": "",
    }
    env = database_env(
        {
            "valkey": {
                "url": "valkey://valkey-primary:6379",
                "read_only_endpoints": "valkey-1:6379,valkey-2:6379",
                "sentinel_endpoints": "valkey-s:26379",
                "mode": "sentinel",
                "version": "9.0.1",
            }
        }
    )
    assert env["VALKEY_DB_CONNECT_STRING"] == "valkey://valkey-primary:6379"
    assert env["VALKEY_DB_READ_ONLY_ENDPOINTS"] == "valkey-1:6379,valkey-2:6379"
    assert env["VALKEY_DB_SENTINEL_ENDPOINTS"] == "valkey-s:26379"
    assert env["VALKEY_MODE"] == "sentinel" and env["VALKEY_VERSION"] == "9.0.1"


def test_empty_database_values_give_nothing():
    assert database_env({"postgresql": "", "redis": None, "valkey": {"mode": "x"}}) == {}
    assert database_env(None) == {}


# --- RabbitMQ --------------------------------------------------------------------------------------


def test_rabbitmq_like_the_charm():
    url = "amqp://testingusername:testingpassword@testinghostname:5672/%2F"
    assert rabbitmq_env(url) == {
        "RABBITMQ_CONNECT_STRING": url,
        "RABBITMQ_FRAGMENT": "",
        "RABBITMQ_HOSTNAME": "testinghostname",
        "RABBITMQ_NETLOC": "testingusername:testingpassword@testinghostname:5672",
        "RABBITMQ_PARAMS": "",
        "RABBITMQ_PASSWORD": "testingpassword",
        "RABBITMQ_PATH": "/%2F",
        "RABBITMQ_PORT": "5672",
        "RABBITMQ_QUERY": "",
        "RABBITMQ_SCHEME": "amqp",
        "RABBITMQ_USERNAME": "testingusername",
        "RABBITMQ_VHOST": "/",
    }


def test_rabbitmq_without_vhost_leaves_it_out():
    assert "RABBITMQ_VHOST" not in rabbitmq_env("amqp://u:p@h:5672/")
    assert "RABBITMQ_VHOST" not in rabbitmq_env("amqp://u:p@h:5672")
    assert rabbitmq_env("amqp://u:p@h:5672/shop")["RABBITMQ_VHOST"] == "shop"
    assert rabbitmq_env("") == {} and rabbitmq_env(None) == {}


# --- S3 --------------------------------------------------------------------------------------------

S3_FULL = {
    "access_key": "TESTINGACCESSKEY",
    "secret_key": "TESTINGSECRETKEY",
    "region": "us-west-1",
    "storage_class": "STANDARD",
    "bucket": "my-example-bucket",
    "endpoint": "https://s3.storagebucket.internal",
    "path": "uploads/",
    "api_version": "2006-03-01",
    "uri_style": "path",
    "tls_ca_chain": ["-----BEGIN CERTIFICATE-----\nFIRST\n-----END CERTIFICATE-----", "SECOND"],
    "attributes": ["header1:value1", "header2:value2"],
}


def test_s3_like_the_charm():
    assert s3_env(S3_FULL) == {
        "S3_ACCESS_KEY": "TESTINGACCESSKEY",
        "S3_ADDRESSING_STYLE": "path",
        "S3_API_VERSION": "2006-03-01",
        "S3_BUCKET": "my-example-bucket",
        "S3_ENDPOINT": "https://s3.storagebucket.internal",
        "S3_PATH": "uploads/",
        "S3_REGION": "us-west-1",
        "S3_SECRET_KEY": "TESTINGSECRETKEY",
        "S3_STORAGE_CLASS": "STANDARD",
        "S3_URI_STYLE": "path",
        "S3_ATTRIBUTES": json.dumps(S3_FULL["attributes"]),
        "S3_TLS_CA_CHAIN": json.dumps(S3_FULL["tls_ca_chain"]),
    }
    assert set(s3_env(S3_FULL)) == {f"S3_{key.upper()}" for key in S3_KEYS} | {"S3_ADDRESSING_STYLE"}


def test_s3_minimum_leaves_out_what_is_not_given():
    env = s3_env({"access_key": "a-key", "secret_key": "s-key", "bucket": "b", "attributes": []})
    assert env == {"S3_ACCESS_KEY": "a-key", "S3_SECRET_KEY": "s-key", "S3_BUCKET": "b"}


def test_s3_host_uri_style_is_the_virtual_addressing_style():
    env = s3_env({**S3_FULL, "uri_style": "host"})
    assert env["S3_URI_STYLE"] == "host" and env["S3_ADDRESSING_STYLE"] == "virtual"


def test_s3_tls_ca_chain_is_set_without_attributes():
    """The charm tests `attributes` before writing S3_TLS_CA_CHAIN (a slip); a given chain is kept here."""
    env = s3_env({key: S3_FULL[key] for key in ("access_key", "secret_key", "bucket", "tls_ca_chain")})
    assert json.loads(env["S3_TLS_CA_CHAIN"]) == S3_FULL["tls_ca_chain"] and "S3_ATTRIBUTES" not in env


# --- SMTP ------------------------------------------------------------------------------------------


def test_smtp_like_the_charm():
    smtp = {
        "host": "smtp.example.com",
        "port": 587,
        "user": "testingusername",
        "password": "testingpassword",
        "auth_type": "plain",
        "transport_security": "starttls",
        "domain": "example.com",
        "skip_ssl_verify": False,
    }
    assert smtp_env(smtp) == {
        "SMTP_AUTH_TYPE": "plain",
        "SMTP_DOMAIN": "example.com",
        "SMTP_HOST": "smtp.example.com",
        "SMTP_PASSWORD": "testingpassword",
        "SMTP_PORT": "587",
        "SMTP_SKIP_SSL_VERIFY": "False",
        "SMTP_TRANSPORT_SECURITY": "starttls",
        "SMTP_USER": "testingusername",
    }
    assert set(smtp_env(smtp)) == {f"SMTP_{key.upper()}" for key in SMTP_KEYS}


def test_smtp_none_values_are_left_out_and_skip_ssl_verify_is_python_text():
    env = smtp_env(
        {
            "host": "mail",
            "port": "25",
            "auth_type": "none",
            "transport_security": "none",
            "skip_ssl_verify": "true",
            "domain": "",
        }
    )
    assert env == {"SMTP_HOST": "mail", "SMTP_PORT": "25", "SMTP_SKIP_SSL_VERIFY": "True"}


# --- SAML, OpenFGA, tracing ------------------------------------------------------------------------


def test_saml_like_the_charm():
    saml = {
        "entity_id": "testing-entity-id",
        "metadata_url": "https://saml.example.com/metadata.xml",
        "single_sign_on_redirect_url": "http://test-single-signon-url.test/",
        "signing_certificate": ["MIIDuzCCAqOg", "MIIDuzCCAqOh"],
    }
    assert saml_env(saml) == {
        "SAML_ENTITY_ID": "testing-entity-id",
        "SAML_METADATA_URL": "https://saml.example.com/metadata.xml",
        "SAML_SINGLE_SIGN_ON_REDIRECT_URL": "http://test-single-signon-url.test/",
        "SAML_SIGNING_CERTIFICATE": "MIIDuzCCAqOg,MIIDuzCCAqOh",
    }
    assert set(saml_env(saml)) == {f"SAML_{key.upper()}" for key in SAML_KEYS}
    assert saml_env({"entity_id": "e"}) == {"SAML_ENTITY_ID": "e", "SAML_SIGNING_CERTIFICATE": ""}


def test_openfga_like_the_charm():
    fga = {
        "store_id": "test-store-id",
        "token": "test-token",
        "grpc_api_url": "localhost:8081",
        "http_api_url": "localhost:8080",
    }
    assert openfga_env(fga) == {
        "FGA_GRPC_API_URL": "localhost:8081",
        "FGA_HTTP_API_URL": "localhost:8080",
        "FGA_STORE_ID": "test-store-id",
        "FGA_TOKEN": "test-token",
    }
    assert openfga_env({"http_api_url": "http://fga:8080"}) == {"FGA_HTTP_API_URL": "http://fga:8080"}
    assert openfga_env({}) == {}


def test_tracing_like_the_charm_with_the_app_name_as_service():
    tracing = {"endpoint": "http://localhost:4318/tracing", "service_name": "testing-application-name"}
    assert tracing_env(tracing) == {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318/tracing",
        "OTEL_SERVICE_NAME": "testing-application-name",
    }
    assert tracing_env({"endpoint": "http://tempo:4318"}, "shop")["OTEL_SERVICE_NAME"] == "shop"
    assert tracing_env({}, "shop") == {}


# --- OIDC ------------------------------------------------------------------------------------------

OIDC = {
    "client_id": "test-client-id",
    "client_secret": "abc-secret",
    "api_base_url": "https://traefik_ip/model_name-hydra",
    "authorize_url": "https://traefik_ip/model_name-hydra/oauth2/auth",
    "access_token_url": "https://traefik_ip/model_name-hydra/oauth2/token",
    "user_url": "https://traefik_ip/model_name-hydra/userinfo",
    "jwks_url": "https://traefik_ip/model_name-hydra/.well-known/jwks.json",
    "scopes": "openid profile email phone",
}


def test_oidc_like_the_charm():
    assert oidc_env({"oidc": OIDC}) == {
        "FLASK_OIDC_CLIENT_ID": "test-client-id",
        "FLASK_OIDC_CLIENT_SECRET": "abc-secret",
        "FLASK_OIDC_API_BASE_URL": "https://traefik_ip/model_name-hydra",
        "FLASK_OIDC_AUTHORIZE_URL": "https://traefik_ip/model_name-hydra/oauth2/auth",
        "FLASK_OIDC_ACCESS_TOKEN_URL": "https://traefik_ip/model_name-hydra/oauth2/token",
        "FLASK_OIDC_USER_URL": "https://traefik_ip/model_name-hydra/userinfo",
        "FLASK_OIDC_CLIENT_KWARGS": '{"scope": "openid profile email phone"}',
        "FLASK_OIDC_JWKS_URL": "https://traefik_ip/model_name-hydra/.well-known/jwks.json",
    }


def test_oidc_providers_each_get_their_names():
    env = oidc_env({"google": OIDC, "Corp_SSO": OIDC})
    assert {name for name in env if name.startswith("FLASK_GOOGLE_")} == {
        f"FLASK_GOOGLE_{suffix}" for suffix in OIDC_KEYS.values()
    }
    assert "FLASK_CORP_SSO_JWKS_URL" in env


@pytest.mark.parametrize(
    ("oidc", "message"),
    [
        ({"oidc": {**OIDC, "scopes": "profile email"}}, "The 'openid' scope is required"),
        ({"my-idp": OIDC}, "provider name 'my-idp' must start with a letter and hold only letters"),
        ({"oidc": {key: OIDC[key] for key in OIDC if key != "jwks_url"}}, r"missing: jwks_url"),
        ({"oidc": {**OIDC, "userinfo_url": "x"}}, "unknown key 'userinfo_url'; known keys: client_id"),
        (
            {"oidc": {**OIDC, "user_url": "/userinfo"}},
            "deploy_oidc.oidc.user_url must be a http or https URL",
        ),
        ({"oidc": "client-id"}, "deploy_oidc.oidc must be a mapping of client_id"),
        (["oidc"], "deploy_oidc must be a mapping of provider names"),
    ],
)
def test_bad_oidc_is_refused(oidc, message):
    with pytest.raises(DeployConfigError, match=message):
        oidc_env(oidc)


# --- HTTP proxy ------------------------------------------------------------------------------------


def test_proxy_variables_in_both_cases_like_the_charm():
    env = http_proxy_env(
        {
            "http_proxy": "http://proxy:3128",
            "https_proxy": "http://proxy:3129",
            "no_proxy": ["localhost", ".internal"],
        }
    )
    assert env == {
        "http_proxy": "http://proxy:3128",
        "HTTP_PROXY": "http://proxy:3128",
        "https_proxy": "http://proxy:3129",
        "HTTPS_PROXY": "http://proxy:3129",
        "no_proxy": "localhost,.internal",
        "NO_PROXY": "localhost,.internal",
    }
    assert set(env) == set(PROXY_KEYS) | {key.upper() for key in PROXY_KEYS}
    assert http_proxy_env({"http_proxy": "", "no_proxy": "127.0.0.1"}) == {
        "no_proxy": "127.0.0.1",
        "NO_PROXY": "127.0.0.1",
    }


# --- the families together, bad inputs -------------------------------------------------------------

EVERY_FAMILY = {
    "rabbitmq": "amqp://app:rabbit-pw@rabbit:5672/shop",
    "s3": S3_FULL,
    "smtp": {"host": "mail", "port": 587, "user": "app", "password": "smtp-pw"},
    "saml": {"entity_id": "https://sp.example", "metadata_url": "https://idp.example/metadata"},
    "openfga": {"store_id": "store", "token": "fga-token", "http_api_url": "http://fga:8080"},
    "tracing": {"endpoint": "http://tempo:4318"},
    "oidc": {"google": OIDC},
    "http_proxy": {"http_proxy": "http://user:proxy-pw@proxy:3128", "no_proxy": "localhost"},
}


def test_every_family_reaches_the_app_environment_after_the_framework_and_before_deploy_env():
    env = app_environment(
        config={"google-client-id": "from-config"},
        databases={"valkey": "valkey://cache:6379"},
        integrations=EVERY_FAMILY,
        app_name="shop",
        env={"SMTP_HOST": "from-deploy-env"},
    )
    assert env["FLASK_GOOGLE_CLIENT_ID"] == "test-client-id"  # the family wins over a user option
    assert env["SMTP_HOST"] == "from-deploy-env"  # deploy_env wins over everything
    assert env["OTEL_SERVICE_NAME"] == "shop" and env["VALKEY_MODE"] == ""
    for family, value in EVERY_FAMILY.items():
        family_env = FAMILIES[family](value, "shop") if family == "tracing" else FAMILIES[family](value)
        assert family_env and all(name in env for name in family_env)


def test_unknown_family_lists_the_known_ones():
    with pytest.raises(
        DeployConfigError,
        match=r"unknown environment family 'kafka'; known families: databases, "
        r"rabbitmq, s3, smtp, saml, openfga, tracing, oidc, http_proxy",
    ):
        integrations_env({"kafka": "x"})


SECRET = "sekret-Q7-never-shown"


@pytest.mark.parametrize(
    ("databases", "integrations", "message"),
    [
        (
            {"oracle": "oracle://x"},
            {},
            "deploy_databases: unsupported database 'oracle'; supported: postgresql, "
            "mysql, mongodb, redis, valkey.",
        ),
        (
            {"postgresql": f"app:{SECRET}@db:5432/app"},
            {},
            "deploy_databases.postgresql must be a URL with a scheme, "
            "like postgresql://USER:PASSWORD@HOST:PORT/NAME",
        ),
        (
            {"postgresql": f"postgresql://app:{SECRET}@db:99999/app"},
            {},
            "deploy_databases.postgresql has an invalid port",
        ),
        ({"postgresql": ["postgresql://x"]}, {}, "deploy_databases.postgresql must be a string, got a list."),
        (["postgresql://x"], {}, "deploy_databases must be a mapping of postgresql, mysql"),
        ({"valkey": {"url": "valkey://v", "modes": "x"}}, {}, "deploy_databases.valkey: unknown key 'modes'"),
        (
            {},
            {"rabbitmq": f"guest:{SECRET}@rabbit:5672/"},
            "deploy_rabbitmq must be a URL with a scheme, like amqp://",
        ),
        ({}, {"rabbitmq": {"url": "amqp://x"}}, "deploy_rabbitmq must be a string, got a mapping."),
        (
            {},
            {"s3": {"acess_key": SECRET}},
            "deploy_s3: unknown key 'acess_key'; known keys: access_key, secret_key, "
            "region, storage_class, bucket, endpoint, path, api_version, uri_style, attributes, "
            "tls_ca_chain.",
        ),
        (
            {},
            {"s3": {"bucket": "b"}},
            "deploy_s3 needs access_key, secret_key, bucket (missing: access_key, secret_key)",
        ),
        (
            {},
            {"s3": {**S3_FULL, "attributes": "h:v"}},
            "deploy_s3.attributes must be a list of strings, got a str.",
        ),
        ({}, {"s3": {**S3_FULL, "endpoint": "s3.example"}}, "deploy_s3.endpoint must be a URL with a scheme"),
        ({}, {"s3": "bucket"}, "deploy_s3 must be a mapping of access_key"),
        (
            {},
            {"smtp": {"host": "mail", "port": 70000}},
            "deploy_smtp.port must be a port number from 1 to 65535.",
        ),
        (
            {},
            {"smtp": {"host": "mail", "port": 25, "auth_type": "login"}},
            "deploy_smtp.auth_type must be one of none, not_provided, plain.",
        ),
        (
            {},
            {"smtp": {"host": "mail", "port": 25, "transport_security": "ssl"}},
            "deploy_smtp.transport_security must be one of none, starttls, tls.",
        ),
        (
            {},
            {"smtp": {"host": "mail", "port": 25, "skip_ssl_verify": "maybe"}},
            "deploy_smtp.skip_ssl_verify must be true or false",
        ),
        ({}, {"smtp": {"port": 25}}, "deploy_smtp needs host, port (missing: host)"),
        ({}, {"saml": {"metadata_url": "https://idp"}}, "deploy_saml needs entity_id"),
        (
            {},
            {"saml": {"entity_id": "e", "metadata_url": "idp/metadata"}},
            "deploy_saml.metadata_url must be a URL",
        ),
        (
            {},
            {"openfga": {"store": "x"}},
            "deploy_openfga: unknown key 'store'; known keys: store_id, token, grpc_api_url, http_api_url.",
        ),
        ({}, {"openfga": {"token": ["t"]}}, "deploy_openfga.token must be a string, got a list."),
        ({}, {"tracing": {"service_name": "x"}}, "deploy_tracing needs endpoint"),
        ({}, {"tracing": {"endpoint": "tempo:4318"}}, "deploy_tracing.endpoint must be a http or https URL"),
        (
            {},
            {"http_proxy": {"https_proxy": f"socks5://u:{SECRET}@proxy"}},
            "deploy_http_proxy.https_proxy must be a http or https URL",
        ),
        (
            {},
            {"http_proxy": {"ftp_proxy": "x"}},
            "deploy_http_proxy: unknown key 'ftp_proxy'; known keys: http_proxy, https_proxy, no_proxy.",
        ),
        (
            {},
            {"http_proxy": {"no_proxy": {"a": 1}}},
            "deploy_http_proxy.no_proxy must be a string, got a mapping.",
        ),
        ({}, {"kafka": {}}, "unknown environment family 'kafka'"),
        ({}, "s3", "the environment families must be a mapping, got a str."),
    ],
)
def test_bad_inputs_are_refused_with_what_to_fix_and_without_the_value(databases, integrations, message):
    found = problems(databases, integrations, "shop")
    assert len(found) == 1 and message in found[0], found
    assert not any(SECRET in problem for problem in found)
    with pytest.raises(DeployConfigError) as error:
        app_environment(databases=databases, integrations=integrations, app_name="shop")
    assert SECRET not in str(error.value)
    with pytest.raises(AnsibleFilterError):
        FILTERS["deploy_app_env"]({}, databases=databases, integrations=integrations)


def test_type_names_count_subclasses_as_their_base():
    class TaggedDict(dict):
        pass

    with pytest.raises(DeployConfigError, match=r"deploy_rabbitmq must be a string, got a mapping\."):
        rabbitmq_env(TaggedDict(url="amqp://x"))
    with pytest.raises(DeployConfigError, match=r"deploy_s3.bucket must be a string, got a boolean\."):
        s3_env({"access_key": "a", "secret_key": "s", "bucket": True})
    with pytest.raises(DeployConfigError, match=r"deploy_openfga.token must be a string, got a list\."):
        openfga_env({"token": [1]})


def test_problems_reports_every_family_at_once_and_nothing_when_valid():
    found = FILTERS["deploy_env_problems"](
        {"s3": {"bucket": "b"}, "tracing": {"endpoint": "tempo"}, "kafka": 1},
        {"oracle": "x", "redis": "cache:6379"},
    )
    assert [problem.split(" ")[0] for problem in found] == [
        "deploy_databases:",
        "deploy_databases.redis",
        "unknown",
        "deploy_s3",
        "deploy_tracing.endpoint",
    ]
    assert FILTERS["deploy_env_problems"](EVERY_FAMILY, {"postgresql": "postgresql://db/app"}, "shop") == []
    assert FILTERS["deploy_env_problems"]({}) == []


# --- the failure output mask -----------------------------------------------------------------------


def test_the_mask_hides_every_secret_of_every_family():
    databases = {kind: f"{kind}://app:{kind}-pw-1234@db:1/x" for kind in DATABASE_KINDS}
    env = app_environment(databases=databases, integrations=EVERY_FAMILY, app_name="shop")
    secrets = [
        *(f"{kind}-pw-1234" for kind in DATABASE_KINDS),
        "rabbit-pw",
        "TESTINGACCESSKEY",
        "TESTINGSECRETKEY",
        "smtp-pw",
        "fga-token",
        "abc-secret",
        "proxy-pw",
    ]
    log = "app started with " + " ".join(f"{name}={value}" for name, value in env.items())
    masked = mask(log, secret_values(env_file_content(env)))
    assert [secret for secret in secrets if secret in masked] == []
    assert MASK in masked and "smtp-pw" not in masked
