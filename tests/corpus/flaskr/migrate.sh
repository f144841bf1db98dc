#!/usr/bin/env bash
# The tutorial's own command creates the schema; it drops the tables first, so run it only
# while the database does not exist yet (the migration runs before every release).
set -eo pipefail
if [ ! -f instance/flaskr.sqlite ]; then
    flask --app flaskr init-db
fi
