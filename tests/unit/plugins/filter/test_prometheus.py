"""The deploy role's Prometheus file_sd target (plugin_utils/_prometheus.py, filter
flaskrock.paas.deploy_prometheus_target)."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.filter.prometheus import FilterModule
from ansible_collections.flaskrock.paas.plugins.plugin_utils._prometheus import (
    PROMETHEUS_JOB,
    prometheus_target,
)

FILTER = FilterModule().filters()["deploy_prometheus_target"]
PLAN = {"app": "hello", "version": "0.1-8ad938ff81c2"}


def settings(**more):
    return {
        "host": "web1",
        "metrics_port": "9102",  # as the role passes it: a template's string
        "metrics_bind_address": "127.0.0.1",
        "prometheus_file_sd_dir": "/etc/prometheus/file_sd",
        "prometheus_target_address": "",
        **more,
    }


def test_one_target_with_the_app_release_host_and_job_labels():
    target = prometheus_target(PLAN, settings())
    assert target["enabled"] is True
    assert target["dir"] == "/etc/prometheus/file_sd"
    assert target["path"] == "/etc/prometheus/file_sd/flaskrock-hello.yml"
    expected = [{
        "targets": ["127.0.0.1:9102"],
        "labels": {"app": "hello", "host": "web1", "job": "flaskrock", "release": "0.1-8ad938ff81c2"},
    }]
    assert target["targets"] == expected
    # The file is what Prometheus reads: YAML, the same list, after a header comment.
    assert yaml.safe_load(target["content"]) == expected
    assert target["content"].startswith("# Prometheus file_sd targets of the Flask app hello on web1")
    assert PROMETHEUS_JOB == "flaskrock"


def test_the_content_is_stable_so_a_redeploy_changes_nothing():
    first, second = prometheus_target(PLAN, settings()), prometheus_target(dict(PLAN), settings())
    assert first["content"] == second["content"]


def test_a_new_release_changes_only_the_release_label():
    before = prometheus_target(PLAN, settings())["targets"][0]
    after = prometheus_target({**PLAN, "version": "0.2-0123456789ab"}, settings())["targets"][0]
    assert after["targets"] == before["targets"]
    assert {**after["labels"], "release": "x"} == {**before["labels"], "release": "x"}
    assert after["labels"]["release"] == "0.2-0123456789ab"


@pytest.mark.parametrize(
    ("bind", "override", "address"),
    [
        ("127.0.0.1", "", "127.0.0.1:9102"),
        ("0.0.0.0", "", "127.0.0.1:9102"),  # every address: the Prometheus on this host uses loopback
        ("", "", "127.0.0.1:9102"),
        ("::", "", "127.0.0.1:9102"),
        ("10.0.0.5", "", "10.0.0.5:9102"),
        ("::1", "", "[::1]:9102"),
        ("0.0.0.0", "web1.example.com", "web1.example.com:9102"),
        ("0.0.0.0", "192.0.2.7", "192.0.2.7:9102"),
        ("0.0.0.0", "2001:db8::7", "[2001:db8::7]:9102"),
        ("0.0.0.0", "[2001:db8::7]", "[2001:db8::7]:9102"),
    ],
)
def test_scraped_address(bind, override, address):
    chosen = prometheus_target(PLAN, settings(metrics_bind_address=bind, prometheus_target_address=override))
    assert chosen["targets"][0]["targets"] == [address]


def test_the_published_metrics_port_is_scraped():
    target = prometheus_target(PLAN, settings(metrics_port=29351))
    assert target["targets"][0]["targets"] == ["127.0.0.1:29351"]


def test_an_empty_directory_turns_the_file_off():
    target = prometheus_target(PLAN, settings(prometheus_file_sd_dir=""))
    assert target["enabled"] is False and target["path"] == ""


def test_the_directory_is_normalised():
    target = prometheus_target(PLAN, settings(prometheus_file_sd_dir="/srv/prom//file_sd/"))
    assert target["path"] == "/srv/prom/file_sd/flaskrock-hello.yml"


@pytest.mark.parametrize(
    ("more", "message"),
    [
        ({"prometheus_file_sd_dir": "file_sd"},
         "deploy_prometheus_file_sd_dir must be an absolute path on the host (or empty to write no file_sd "
         "target), got 'file_sd'."),
        ({"prometheus_target_address": "http://web1:9102"},
         "deploy_prometheus_target_address must be a host name or an IP address without a port or scheme"),
        ({"prometheus_target_address": "web1:9102"},
         "deploy_prometheus_target_address must be a host name or an IP address without a port or scheme"),
        ({"prometheus_target_address": "web 1"}, "got 'web 1'."),
        ({"metrics_bind_address": "localhost:9102"},
         "deploy_metrics_bind_address must be a host name or an IP address"),
        ({"metrics_port": "ninety"}, "deploy_metrics_port must be a number, got 'ninety'."),
        ({"metrics_port": 70000}, "deploy_metrics_port must be a port number (1-65535), got 70000."),
    ],
)
def test_bad_settings_are_refused_by_the_filter_with_the_variable_named(more, message):
    with pytest.raises(AnsibleFilterError) as error:
        FILTER(PLAN, settings(**more))
    assert message in str(error.value)
    assert "Traceback" not in str(error.value)


def test_the_filter_returns_what_the_decision_returns():
    assert FILTER(PLAN, settings()) == prometheus_target(PLAN, settings())
