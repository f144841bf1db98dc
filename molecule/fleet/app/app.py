"""The fleet scenario's app: sessions across hosts, a health page, a logged migration."""

import os

from flask import Flask, request, session

app = Flask(__name__)
app.config.from_prefixed_env()  # FLASK_SECRET_KEY -> SECRET_KEY (the deploy role generates it)


@app.route("/")
def index():
    """The health gate's page: FLEET_BROKEN=1 makes this release unhealthy on purpose."""
    if os.environ.get("FLEET_BROKEN") == "1":
        return {"error": "broken on purpose (FLEET_BROKEN=1)"}, 500
    return {"app": "fleet-app"}


@app.post("/login")
def login():
    """Mint a signed session cookie holding the user name."""
    session["user"] = request.form.get("user", "anonymous")
    return {"user": session["user"]}


@app.get("/whoami")
def whoami():
    """Read the session cookie: null unless it was signed with this host's secret key."""
    return {"user": session.get("user")}
