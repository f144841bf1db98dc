"""Shared data of the deploy unit tests: real docker inspect output of a deploy of examples/hello
(fixtures/deploy_hello_docker.json), a fake Docker API serving it, and the deploy role's default settings."""

import copy
import json
from pathlib import Path

from ansible_collections.flaskrock.paas.plugins.module_utils._docker_sdk import NotFound

DOCKER = json.loads((Path(__file__).parent / "fixtures" / "deploy_hello_docker.json").read_text())
IMAGE = DOCKER["image_inspect"]
CURRENT = DOCKER["container_inspect"]
PREVIOUS = DOCKER["previous_inspect"]
IMAGES = DOCKER["images"]
IMAGE_REF = CURRENT["Config"]["Image"]  # hello:0.1-8ad938ff81c2
NEWER_ID = IMAGES[0]["Id"]  # an image built after the running one, not deployed yet


class FakeDockerAPI:
    """The part of docker.APIClient the deploy_state module calls, answering from the fixtures."""

    def __init__(self, images=None, containers=None, volumes=()):
        self._images = copy.deepcopy(IMAGES if images is None else images)
        self._containers = copy.deepcopy(
            {"hello": CURRENT, "hello-previous": PREVIOUS} if containers is None else containers
        )
        self._volumes = set(volumes)

    def inspect_image(self, reference):
        if reference == IMAGE_REF or reference == IMAGE["Id"]:
            return copy.deepcopy(IMAGE)
        raise NotFound(f"No such image: {reference}")

    def inspect_container(self, name):
        if name in self._containers:
            return self._containers[name]
        raise NotFound(f"No such container: {name}")

    def images(self, name=None):
        return [
            image for image in self._images if any(tag.startswith(name + ":") for tag in image["RepoTags"])
        ]

    def inspect_volume(self, name):
        if name in self._volumes:
            return {"Name": name, "Driver": "local"}
        raise NotFound(f"get {name}: no such volume")


class FakeDockerClient:
    def __init__(self, **kwargs):
        self.api = FakeDockerAPI(**kwargs)


def role_settings(**overrides):
    """The role's _deploy_settings with its defaults (roles/deploy/defaults/main.yml)."""
    settings = {
        "image": IMAGE_REF,
        "host": "web1",
        "first_host": "web1",
        "check_mode": False,
        "worker_class": "auto",
        "workers": 0,
        "workers_max": 8,
        "threads": 1,
        "timeout": 30,
        "keepalive": 2,
        "graceful_timeout": 30,
        "worker_connections": 1000,
        "http_port": 8080,
        "http_bind_address": "127.0.0.1",
        "metrics_port": 0,
        "metrics_bind_address": "127.0.0.1",
        "memory": "1g",
        "cpus": 0,
        "read_only": True,
        "log_max_size": "10m",
        "log_max_file": 3,
        "data_volume": "hello-data",
        "data_path": "",
        "migrate": True,
        "migrate_on": "first",
        "health_check_path": "/",
        "health_check_status_below": 500,
        "health_check_interval": 1,
        "health_check_timeout": 30,
        "health_check_address": "",
        "config": {"greeting": "Hi from the deploy test"},
        "env": {"HELLO_DATA_DIR": "/flask/data"},
        "databases": {},
        "integrations": {
            "rabbitmq": "",
            "s3": {},
            "smtp": {},
            "saml": {},
            "openfga": {},
            "tracing": {},
            "oidc": {},
            "http_proxy": {},
        },
        "networks": [],
        "scheduler_host": "",
        "play_hosts": ["web1"],
        "framework": {
            "env": "",
            "debug": False,
            "permanent_session_lifetime": None,
            "application_root": "",
            "session_cookie_secure": False,
            "preferred_url_scheme": "",
            "base_url": "",
        },
    }
    settings.update(overrides)
    return settings
