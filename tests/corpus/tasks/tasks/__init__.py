import os
import sqlite3

from flask import Flask, redirect, render_template, request


def create_app():
    app = Flask(__name__)
    app.config["DATABASE"] = os.path.join(app.instance_path, "tasks.sqlite")
    app.config.from_prefixed_env()  # FLASK_DATABASE

    def db():
        connection = sqlite3.connect(app.config["DATABASE"])
        connection.execute("CREATE TABLE IF NOT EXISTS task (id INTEGER PRIMARY KEY, title TEXT)")
        return connection

    @app.route("/tasks", methods=["GET", "POST"])
    def tasks():
        with db() as connection:
            if request.method == "POST":
                connection.execute("INSERT INTO task (title) VALUES (?)", (request.form["title"],))
                return redirect("/tasks")
            rows = connection.execute("SELECT title FROM task ORDER BY id").fetchall()
        return render_template("tasks.html", tasks=[title for (title,) in rows])

    return app
