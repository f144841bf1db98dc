"""The hello example: a template, a static file and an SQLite visit counter."""

import os
import sqlite3
from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__)


def database_path() -> Path:
    return Path(os.environ.get("HELLO_DATA_DIR", "/tmp/hello-data")) / "hello.db"


@app.route("/")
def index():
    greeting = os.environ.get("FLASK_GREETING", "Hello from a rock")
    return render_template("index.html", greeting=greeting)


@app.route("/visits")
def visits():
    """Count a visit; answers 503 until migrate.sh has created the table."""
    try:
        with sqlite3.connect(database_path()) as db:
            db.execute("INSERT INTO visits DEFAULT VALUES")
            (count,) = db.execute("SELECT COUNT(*) FROM visits").fetchone()
    except sqlite3.Error as error:
        return {"error": f"database not ready: {error}"}, 503
    return {"visits": count}
