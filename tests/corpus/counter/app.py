import os
import sqlite3

from flask import Flask, jsonify, render_template, request

app = Flask(__name__)
DATABASE = os.environ.get("COUNTER_DATABASE", "/tmp/counter.sqlite")


def connect():
    db = sqlite3.connect(DATABASE)
    db.execute("CREATE TABLE IF NOT EXISTS click (label TEXT PRIMARY KEY, count INTEGER NOT NULL)")
    return db


@app.get("/")
def index():
    with connect() as db:
        clicks = db.execute("SELECT label, count FROM click ORDER BY label").fetchall()
    return render_template("index.html", clicks=clicks)


@app.post("/click")
def click():
    label = request.form["label"]
    with connect() as db:
        db.execute(
            "INSERT INTO click (label, count) VALUES (?, 1)"
            " ON CONFLICT(label) DO UPDATE SET count = count + 1",
            (label,),
        )
        (count,) = db.execute("SELECT count FROM click WHERE label = ?", (label,)).fetchone()
    summary = {"label": label, "count": count}
    # A PEP 701 f-string (Python 3.12): quotes reused inside the replacement field.
    app.logger.info(f"{summary["label"]} clicked {summary["count"]} times")
    return jsonify(summary)
