"""Run order of the tests: the longest integration scopes first.

scripts/test.sh runs pytest with pytest-xdist (`-n 2 --dist loadscope --no-loadscope-reorder`):
each module (each class, for test_molecule.py's one class per scenario) goes whole to one of the
two workers, in collection order, so starting with the longest keeps both workers busy until the
end. Costs are estimates of each scope's seconds alone on the 2-core machine, from the measured
runs (bench/test-command/README.md); a scope not listed runs after these, in its usual order.
"""

SCOPE_SECONDS = {
    "test_molecule.py::TestScenario_fleet": 1400,  # 3 hosts over SSH, 5 playbook runs: 14 min alone
    "test_corpus.py": 700,
    "test_proxy.py": 640,
    "test_deploy.py": 410,  # + ~8 s: the bad environment families (issue 14)
    "test_tasks.py": 360,
    "test_awx_ee.py": 350,
    "test_molecule.py::TestScenario_deploy": 350,
    "test_molecule.py::TestScenario_rock": 350,
    "test_rock_bare.py": 300,
    "test_molecule.py::TestScenario_docker_engine": 180,
    "test_molecule.py::TestScenario_proxy": 250,
    "test_rock_distribute.py": 180,
    "test_deploy_gevent.py": 160,
    "test_awx_runner.py": 150,
    "test_app_syntax.py": 100,
    "test_rock.py": 100,
    "test_docker_engine.py": 80,
    "test_deploy_prometheus_tasks.py": 20,
}


def scope_name(item):
    return f"{item.path.name}::{item.cls.__name__}" if item.cls else item.path.name


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: -SCOPE_SECONDS.get(scope_name(item), 0))
