"""The tasks example: an HTTP API that queues jobs in Redis and reads their results from PostgreSQL."""

import os

import psycopg
from flask import Flask, abort, jsonify, request
from redis import Redis
from rq import Queue

from app import jobs

app = Flask(__name__)


def queue():
    return Queue("tasks", connection=Redis.from_url(os.environ["REDIS_DB_CONNECT_STRING"]))


@app.get("/")
def index():
    return jsonify(app="tasks", endpoints=["POST /tasks {n}", "GET /tasks/<id>", "GET /heartbeats"])


@app.post("/tasks")
def submit():
    n = (request.get_json(silent=True) or {}).get("n")
    if not isinstance(n, int) or not 0 <= n <= 1_000_000:
        abort(400, description="give {'n': an integer from 0 to 1000000}")
    with psycopg.connect(jobs.database_url()) as connection:
        task_id = connection.execute("INSERT INTO tasks (n) VALUES (%s) RETURNING id", (n,)).fetchone()[0]
    queue().enqueue(jobs.sum_of_squares, task_id, n)
    return jsonify(id=task_id, status="queued"), 202


@app.get("/tasks/<int:task_id>")
def show(task_id):
    with psycopg.connect(jobs.database_url()) as connection:
        row = connection.execute(
            "SELECT id, n, status, result, worker FROM tasks WHERE id = %s", (task_id,)
        ).fetchone()
    if row is None:
        abort(404)
    return jsonify(dict(zip(("id", "n", "status", "result", "worker"), row, strict=True)))


@app.get("/heartbeats")
def heartbeats():
    with psycopg.connect(jobs.database_url()) as connection:
        count, last = connection.execute("SELECT count(*), max(at) FROM heartbeats").fetchone()
    return jsonify(count=count, last=last.isoformat() if last else None)
