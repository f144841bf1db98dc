"""The hello-async example: an I/O-bound endpoint for gevent workers."""

import time

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello from an async rock\n"


@app.route("/io")
def io():
    # Under gevent workers time.sleep is monkey-patched and yields to other requests.
    time.sleep(0.05)
    return {"slept_ms": 50}
