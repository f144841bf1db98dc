"""The docker_engine role's argument specs, defaults and README describe the same variables."""

from pathlib import Path

import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "docker_engine"


def load(relative):
    return yaml.safe_load((ROLE / relative).read_text())


def test_argument_specs_match_defaults_exactly():
    defaults = load("defaults/main.yml")
    options = load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(options) == set(defaults)
    assert {name: spec.get("default") for name, spec in options.items()} == defaults


def test_every_variable_is_prefixed_and_documented_in_the_readme():
    readme = (ROLE / "README.md").read_text()
    for name in load("defaults/main.yml"):
        assert name.startswith("docker_engine_")
        assert f"| `{name}` |" in readme, f"{name} missing from the README's variable table"
