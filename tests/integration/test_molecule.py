"""Every Molecule scenario (molecule/<name>/), each run whole with `molecule test -s <name>`.

One class per scenario: pytest-xdist's `--dist loadscope` (scripts/test.sh) hands each class to a
worker of its own, so the scenarios share the two workers with the other integration modules
instead of running one after another at the end.
"""

import os
import subprocess
import sys

import pytest
from helpers import REPO_ROOT, VENV_BIN

pytestmark = pytest.mark.docker

SCENARIOS = sorted(path.parent.name for path in (REPO_ROOT / "molecule").glob("*/molecule.yml"))


# A hang's bound, not a time budget: fleet takes 14 min alone and 18 beside the other tests here, and
# a busier machine stretches every scenario.
SCENARIO_TIMEOUT = 2700


def run_scenario(name):
    environment = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}", ANSIBLE_FORCE_COLOR="0",
                       PY_COLORS="0")
    result = subprocess.run(
        [str(VENV_BIN / "molecule"), "test", "-s", name],
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=SCENARIO_TIMEOUT,
        check=False,
    )
    print(result.stdout[-3000:], file=sys.stderr)
    assert result.returncode == 0, f"molecule test -s {name} failed:\n{result.stdout[-12000:]}"


def _scenario_class(name):
    def test_scenario_passes(self):
        run_scenario(name)

    test_scenario_passes.__doc__ = f"molecule test -s {name}"
    return type(f"TestScenario_{name}", (), {"test_scenario_passes": test_scenario_passes})


for _name in SCENARIOS:
    globals()[f"TestScenario_{_name}"] = _scenario_class(_name)


def test_every_role_has_a_scenario():
    roles = sorted(path.name for path in (REPO_ROOT / "roles").iterdir() if path.is_dir())
    assert [role for role in roles if role not in SCENARIOS] == []
