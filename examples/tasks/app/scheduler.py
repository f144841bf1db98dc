"""The tasks-scheduler service: queues a heartbeat job every HEARTBEAT_SECONDS (one host runs it)."""

import os
import signal
import socket
import sys
import time

from redis import Redis
from rq import Queue

from app import jobs


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    interval = float(os.environ.get("HEARTBEAT_SECONDS", "5"))
    queue = Queue("tasks", connection=Redis.from_url(os.environ["REDIS_DB_CONNECT_STRING"]))
    while True:
        queue.enqueue(jobs.heartbeat, socket.gethostname())
        print(f"tasks-scheduler: heartbeat queued (every {interval:g} s)", flush=True)
        time.sleep(interval)


if __name__ == "__main__":
    main()
