"""Offline stand-in for get-pip.py, used by `ansible-test sanity`.

ansible-test bootstraps pip in its sanity venvs by downloading get-pip.py from
ci-files.testing.ansible.com, which these machines cannot reach. Like get-pip.py,
this installs pip and then runs `pip install <arguments>`, but it takes pip from
the interpreter's bundled ensurepip wheel; the packages themselves still come
from the configured package index.
"""

import ensurepip
import importlib
import os
import runpy
import ssl
import sys

SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# get-pip.py's own flags; pip install does not know them.
GET_PIP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}

saved_pip_settings = {key: value for key, value in os.environ.items() if key.startswith("PIP_")}
ensurepip.bootstrap(upgrade=True)
# ensurepip wipes PIP_* settings and points PIP_CONFIG_FILE at /dev/null: undo that.
os.environ.pop("PIP_CONFIG_FILE", None)
os.environ.update(saved_pip_settings)
# ansible-test runs this with a reduced environment; keep HTTPS through an
# intercepting proxy working by using the system trust store.
if "PIP_CERT" not in os.environ:
    for bundle in (SYSTEM_CA_BUNDLE, ssl.get_default_verify_paths().cafile):
        if bundle and os.path.exists(bundle):
            os.environ["PIP_CERT"] = bundle
            break

importlib.invalidate_caches()
sys.argv = ["pip", "install", *(arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS)]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
