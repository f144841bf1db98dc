import os
import sqlite3

from flask import Flask, g, redirect, render_template, request, url_for


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(g.database)
    return g.db


def create_app(config=None):
    app = Flask(__name__)
    app.config.from_mapping(DATABASE=os.path.join(app.instance_path, "notes.sqlite"))
    # FLASK_DATABASE=/path/to/notes.sqlite (12-factor: configuration from the environment)
    app.config.from_prefixed_env()
    if config:
        app.config.update(config)

    @app.before_request
    def open_db():
        g.database = app.config["DATABASE"]
        get_db().execute(
            "CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"
        )

    @app.teardown_appcontext
    def close_db(exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.route("/", methods=["GET", "POST"])
    def index():
        db = get_db()
        if request.method == "POST":
            db.execute("INSERT INTO note (text) VALUES (?)", (request.form["text"],))
            db.commit()
            return redirect(url_for("index"))
        notes = [row[0] for row in db.execute("SELECT text FROM note ORDER BY id")]
        return render_template("index.html", notes=notes)

    return app
