"""Run order of the test modules: the longest integration modules first.

scripts/test.sh runs pytest with pytest-xdist (`-n 2 --dist loadfile --no-loadscope-reorder`):
whole modules go to the two workers in collection order, so starting with the longest ones keeps
both workers busy until the end. Costs are the seconds each module took in the last measured run
(bench/test-command/README.md); a module not listed runs after these, in its usual order.
"""

MODULE_SECONDS = {
    "test_awx_ee.py": 1000,
    "test_corpus.py": 620,
    "test_proxy.py": 420,
    "test_rock_bare.py": 400,
    "test_deploy.py": 380,
    "test_deploy_gevent.py": 280,
    "test_rock_distribute.py": 260,
    "test_awx_runner.py": 200,
    "test_app_syntax.py": 150,
    "test_rock.py": 150,
    "test_docker_engine.py": 120,
}


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: -MODULE_SECONDS.get(item.path.name, 0))
