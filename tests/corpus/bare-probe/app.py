"""bare-probe: a Flask app whose /probe endpoint checks what a bare rock must be able to do."""

import probe
from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/")
def index():
    return "bare-probe\n"


@app.route("/probe")
def run_probe():
    return jsonify(probe.run_all())
