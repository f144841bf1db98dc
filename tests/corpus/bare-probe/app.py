"""bare-probe: a Flask app whose /probe endpoint checks what a bare rock must be able to do."""

from flask import Flask, jsonify

import probe

app = Flask(__name__)


@app.route("/")
def index():
    return "bare-probe\n"


@app.route("/probe")
def run_probe():
    return jsonify(probe.run_all())
