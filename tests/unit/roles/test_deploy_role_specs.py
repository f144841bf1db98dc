"""The deploy role's argument specs document exactly its defaults (names, defaults, types)."""

from pathlib import Path

import pytest
import yaml
from ansible_collections.flaskrock.paas.plugins.plugin_utils._charm_env import FAMILIES

ROLE = Path(__file__).resolve().parents[3] / "roles" / "deploy"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
SPECS = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]
PYTHON_TYPES = {"str": str, "int": int, "bool": bool, "dict": dict, "list": list, "float": (int, float)}


def test_every_default_is_specified_and_nothing_else():
    assert set(SPECS["main"]["options"]) == set(DEFAULTS)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_spec_default_and_type_match_the_default(name):
    option = SPECS["main"]["options"][name]
    assert option["default"] == DEFAULTS[name]
    assert isinstance(DEFAULTS[name], PYTHON_TYPES[option["type"]])
    assert option["description"]
    if "choices" in option:
        assert DEFAULTS[name] in option["choices"]


def test_rollback_entry_point_accepts_every_main_option_and_release():
    assert set(SPECS["rollback"]["options"]) == set(DEFAULTS) | {"release"}


def test_every_variable_is_documented_in_the_readme():
    readme = (ROLE / "README.md").read_text()
    missing = [name for name in DEFAULTS if f"| `{name}` |" not in readme]
    assert not missing


# Issue 15: every variable that can carry a secret is no_log, in every entry point.
SECRET_VARIABLES = (
    "deploy_env",
    "deploy_config",
    "deploy_databases",
    "deploy_flask_secret_key",
    # Issue 14: the environment families.
    "deploy_rabbitmq",
    "deploy_s3",
    "deploy_smtp",
    "deploy_saml",
    "deploy_openfga",
    "deploy_tracing",
    "deploy_oidc",
    "deploy_http_proxy",
)


@pytest.mark.parametrize("entry_point", sorted(SPECS))
def test_secret_variables_are_no_log(entry_point):
    options = SPECS[entry_point]["options"]
    assert [name for name in SECRET_VARIABLES if name in options and not options[name].get("no_log")] == []


def test_every_family_variable_feeds_the_role_settings_and_the_playbook_check():
    role_vars = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    assert role_vars["_deploy_settings"]["integrations"] == {
        family: f"{{{{ deploy_{family} }}}}" for family in FAMILIES
    }
    playbook = yaml.safe_load((ROLE.parents[1] / "playbooks" / "deploy.yml").read_text())
    (check,) = [task for task in playbook[0]["tasks"] if "__deploy_families" in task.get("vars", {})]
    assert set(check["vars"]["__deploy_families"]) == set(FAMILIES)


def test_rock_build_env_is_no_log():
    rock = yaml.safe_load((ROLE.parent / "rock" / "meta" / "argument_specs.yml").read_text())[
        "argument_specs"
    ]
    assert rock["main"]["options"]["rock_build_env"]["no_log"] is True
