"""Jobs the tasks-worker service (RQ) runs: their results go into PostgreSQL."""

import os
import socket

import psycopg


def database_url():
    return os.environ["POSTGRESQL_DB_CONNECT_STRING"]


def sum_of_squares(task_id, n):
    result = sum(i * i for i in range(n + 1))
    with psycopg.connect(database_url()) as connection:
        connection.execute(
            "UPDATE tasks SET status = 'done', result = %s, worker = %s, done_at = now() WHERE id = %s",
            (result, socket.gethostname(), task_id),
        )
    return result


def heartbeat(scheduled_by):
    with psycopg.connect(database_url()) as connection:
        connection.execute("INSERT INTO heartbeats (scheduled_by) VALUES (%s)", (scheduled_by,))
