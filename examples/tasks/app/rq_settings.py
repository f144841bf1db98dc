"""Settings of `rq worker --config app.rq_settings`: the Redis of the deploy (REDIS_DB_CONNECT_STRING)."""

import os

REDIS_URL = os.environ["REDIS_DB_CONNECT_STRING"]
