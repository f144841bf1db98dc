import os
import sqlite3

from flask import Flask, render_template, request, redirect, url_for


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DATABASE=os.path.join(app.instance_path, "guestbook.sqlite"))
    if test_config is not None:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    def connect():
        db = sqlite3.connect(app.config["DATABASE"])
        db.execute("CREATE TABLE IF NOT EXISTS entry (id INTEGER PRIMARY KEY, name TEXT, message TEXT)")
        return db

    @app.get("/")
    def index():
        with connect() as db:
            entries = db.execute("SELECT name, message FROM entry ORDER BY id").fetchall()
        return render_template("index.html", entries=entries)

    @app.post("/sign")
    def sign():
        with connect() as db:
            db.execute(
                "INSERT INTO entry (name, message) VALUES (?, ?)",
                (request.form["name"], request.form["message"]),
            )
        return redirect(url_for("index"))

    return app
