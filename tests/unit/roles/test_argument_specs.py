"""Every role's meta/argument_specs.yml documents exactly its defaults/main.yml, for each entry point.

Ansible does not apply argument-spec defaults: defaults/main.yml does. So for every entry point each
variable of defaults/main.yml must be an option whose ``default`` is that same value, and an option
the defaults file does not set must not claim a default (it is required or optional without one).
"""

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
ROLE_NAMES = sorted(p.name for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").is_file())
ENTRY_POINTS = [
    (role, entry_point)
    for role in ROLE_NAMES
    for entry_point in yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())[
        "argument_specs"
    ]
]


def defaults_of(role):
    path = ROLES / role / "defaults" / "main.yml"
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def options_of(role, entry_point):
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return specs[entry_point].get("options") or {}


def test_every_role_has_argument_specs():
    assert sorted(p.name for p in ROLES.iterdir() if p.is_dir()) == ROLE_NAMES


@pytest.mark.parametrize(("role", "entry_point"), ENTRY_POINTS, ids=[f"{r}:{e}" for r, e in ENTRY_POINTS])
def test_defaults_are_options_with_the_same_default(role, entry_point):
    options = options_of(role, entry_point)
    defaults = defaults_of(role)
    assert sorted(set(defaults) - set(options)) == [], "defaults/main.yml variables missing from the spec"
    spec_defaults = {name: options[name].get("default") for name in defaults}
    assert spec_defaults == defaults


@pytest.mark.parametrize(("role", "entry_point"), ENTRY_POINTS, ids=[f"{r}:{e}" for r, e in ENTRY_POINTS])
def test_options_outside_the_defaults_claim_no_default(role, entry_point):
    options = options_of(role, entry_point)
    extra = set(options) - set(defaults_of(role))
    assert sorted(name for name in extra if "default" in options[name]) == []
