"""Schema of the tasks example, run by the deploy before each release starts (idempotent)."""

import os

import psycopg

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id BIGSERIAL PRIMARY KEY,
    n INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    result BIGINT,
    worker TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS heartbeats (
    id BIGSERIAL PRIMARY KEY,
    scheduled_by TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""

with psycopg.connect(os.environ["POSTGRESQL_DB_CONNECT_STRING"]) as connection:
    connection.execute(SCHEMA)
print("tasks schema ready")
