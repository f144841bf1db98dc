# Gunicorn settings of the flask-framework rock (flaskrock.paas.rock).
# Everything not set here is Gunicorn's default; a deployer overrides settings with
# GUNICORN_CMD_ARGS (for example "--workers 4 --timeout 60") without a new image.
bind = ["0.0.0.0:8000"]
chdir = "/flask/app"
statsd_host = "localhost:9125"

# Logs go to the container's stdout/stderr and to /var/log/flask, like the charm.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "access": {"format": "%(message)s"},
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        },
    },
    "handlers": {
        "access_stdout": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stdout",
        },
        "access_file": {
            "class": "logging.FileHandler",
            "formatter": "access",
            "filename": "/var/log/flask/access.log",
        },
        "error_stderr": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "stream": "ext://sys.stderr",
        },
        "error_file": {
            "class": "logging.FileHandler",
            "formatter": "generic",
            "filename": "/var/log/flask/error.log",
        },
    },
    "loggers": {
        "gunicorn.error": {
            "level": "INFO",
            "handlers": ["error_stderr", "error_file"],
            "propagate": False,
            "qualname": "gunicorn.error",
        },
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["access_stdout", "access_file"],
            "propagate": False,
            "qualname": "gunicorn.access",
        },
    },
    "root": {"level": "INFO", "handlers": []},
}
