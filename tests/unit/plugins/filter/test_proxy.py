"""The proxy's decisions (plugin_utils/_proxy.py, filters flaskrock.paas.proxy_*) and what the proxy
modules read on a host (module_utils/_proxy_host.py)."""

import datetime
import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.flaskrock.paas.plugins.filter.proxy import FilterModule
from ansible_collections.flaskrock.paas.plugins.module_utils._proxy_host import (
    bridge_gateway,
    listening_ports,
    parse_show_proc,
    read_records,
)
from ansible_collections.flaskrock.paas.plugins.module_utils._runtime import CONTAINER_LABELS
from ansible_collections.flaskrock.paas.plugins.plugin_utils._proxy import (
    ProxyConfigError,
    check_certificate,
    proxy_app,
    proxy_config,
)
from certificates import certificate

FILTERS = FilterModule().filters()
NOW = datetime.datetime(2026, 11, 28, tzinfo=datetime.timezone.utc)
SETTINGS = {
    "http_port": 80,
    "https_port": 443,
    "bind_addresses": ["0.0.0.0"],
    "hard_stop_after": 60,
    "timeout_server": 60,
    "default_cert": "/p/tls/default.pem",
    "cert_dir": "/p/certs",
}


def record(app, domains=(), port=20000, **more):
    return {"app": app, "domains": list(domains), "slot_base": port, "port": port, "metrics_port": 0, **more}


def app_settings(app="hello", **more):
    return {"app": app, "domains": [], "metrics_port": 9102, "current_port": 0, **more}


def behind_proxy(running=True):
    return {
        "exists": True,
        "running": running,
        "labels": {CONTAINER_LABELS["settings"]: json.dumps({"proxy": True})},
    }


def test_first_app_gets_the_first_free_block_and_its_first_slot():
    decided = proxy_app({"records": {}, "listening": [20001]}, app_settings())
    assert decided["record"]["slot_base"] == 20004  # 20000-20003 has a listening port
    assert decided["next_port"] == 20004 and decided["next_metrics_port"] == 20005
    assert decided["stop_before_switch"] is False


def test_releases_alternate_between_the_two_slots():
    state = {"records": {"hello": record("hello", port=20000)}, "listening": [20000, 20001]}
    settings = app_settings(current=behind_proxy())
    settings.pop("current_port")
    decided = proxy_app(state, settings)
    assert decided["current_port"] == 20000 and decided["next_port"] == 20002
    assert decided["record"]["port"] == 20000  # the record points at the running release until the switch
    state["records"]["hello"]["port"], state["listening"] = 20002, [20002, 20003]
    assert proxy_app(state, app_settings(current_port=20002))["next_port"] == 20000


def test_a_container_in_direct_mode_is_stopped_before_the_switch():
    settings = app_settings(current={"exists": True, "running": True, "labels": {}})
    settings.pop("current_port")
    decided = proxy_app({"records": {"hello": record("hello")}}, settings)
    assert decided["current_port"] == 0 and decided["stop_before_switch"] is True


def leftover(app="hello", ports=(20002, 20003), **labels):
    """<app>-next as deploy_state reads it; by default started by a deploy of ``app``."""
    labels = labels or {CONTAINER_LABELS["app"]: app, CONTAINER_LABELS["release"]: "hello:0.1-abc"}
    return {"exists": True, "running": True, "labels": labels, "ports": list(ports)}


def test_our_leftover_next_release_is_removed_and_its_ports_count_as_free():
    state = {"records": {"hello": record("hello", port=20000)}, "listening": [20000, 20001, 20002, 20003]}
    decided = proxy_app(state, app_settings(current_port=20000, next=leftover()))
    assert decided["remove_leftover"] is True and decided["next_port"] == 20002
    # Held by something that is no <app>-next: another program's ports, refused.
    with pytest.raises(ProxyConfigError, match=r"20002 \(next release of hello\) is used by another program"):
        proxy_app(state, app_settings(current_port=20000, next={"exists": False}))
    with pytest.raises(ProxyConfigError, match="hello-next exists that no deploy of hello started"):
        proxy_app(state, app_settings(current_port=20000, next=leftover(**{"maintainer": "someone"})))
    with pytest.raises(ProxyConfigError, match=r"lacks the label io\.flaskrock\.paas\.app=hello"):
        proxy_app(state, app_settings(current_port=20000, next=leftover(app="other")))


def test_a_leftover_next_release_the_proxy_routes_to_is_not_removed():
    state = {"records": {"hello": record("hello", port=20002)}, "listening": [20000, 20001, 20002, 20003]}
    with pytest.raises(
        ProxyConfigError, match="hello-next serves hello's traffic: an interrupted deploy switched"
    ):
        proxy_app(state, app_settings(current_port=20000, next=leftover()))


def test_other_apps_ports_are_skipped_and_a_taken_block_is_refused():
    state = {"records": {"other": record("other", ["b.example"], port=20000)}, "listening": []}
    assert proxy_app(state, app_settings())["record"]["slot_base"] == 20004
    with pytest.raises(ProxyConfigError, match="port 20002 is already used"):
        proxy_app(state, app_settings(backend_port=20002))


def test_duplicate_domain_and_second_default_app_are_refused():
    state = {"records": {"other": record("other", ["shop.example"])}}
    with pytest.raises(ProxyConfigError, match=r"Domain shop\.example is already served by app other"):
        proxy_app(state, app_settings(domains=["Shop.Example."]))
    state = {"records": {"other": record("other")}}
    with pytest.raises(ProxyConfigError, match="already the default"):
        proxy_app(state, app_settings())
    with pytest.raises(AnsibleFilterError, match="not a host name"):
        FILTERS["proxy_app"]({"records": {}}, app_settings(domains=["bad domain"]))


def test_maintenance_survives_a_release():
    state = {"records": {"hello": record("hello", maintenance=True, retry_after=60)}}
    assert proxy_app(state, app_settings())["record"]["maintenance"] is True


def test_config_routes_domains_and_keeps_one_default():
    records = {
        "shop": record("shop", ["shop.example"], port=20004, https_redirect=True, hsts=300, tls=True),
        "hello": record("hello", metrics_port=9102, maintenance=True, retry_after=120),
    }
    config = proxy_config(records, SETTINGS)
    assert config["routes"] == [{"backend": "app_shop", "domains": ["shop.example"]}]
    assert config["default_backend"] == "app_hello"
    assert config["cert_dir"] == "/p/certs"
    shop = next(b for b in config["backends"] if b["app"] == "shop")
    assert shop["server"] == "127.0.0.1:20004" and shop["https_redirect"] and shop["hsts"] == 300
    hello = next(b for b in config["backends"] if b["app"] == "hello")
    assert hello["maintenance"] and hello["retry_after"] == 120
    assert config["metrics"] == [
        {"name": "app_hello_metrics", "bind": "127.0.0.1:9102", "server": "127.0.0.1:20001"}
    ]


def published(*bindings):
    """<app> behind the proxy as deploy_state reads it, publishing ``bindings`` (address:port)."""
    ports = sorted({int(binding.split(":")[1]) for binding in bindings})
    return {**behind_proxy(), "published": list(bindings), "ports": ports}


def test_the_next_release_is_reached_at_the_bridge_gateway_unless_opted_out():
    state = {"records": {}, "listening": [], "bridge_gateway": "172.17.0.1"}
    decided = proxy_app(state, app_settings())
    assert decided["next_address"] == "172.17.0.1" and decided["record"]["address"] == "172.17.0.1"
    assert proxy_app(state, app_settings(backend_address="auto"))["next_address"] == "172.17.0.1"
    looped = proxy_app(state, app_settings(backend_address="127.0.0.1"))
    assert looped["next_address"] == "127.0.0.1" and looped["record"]["address"] == "127.0.0.1"
    # A daemon without a default bridge ("bridge": "none"): loopback, as before.
    assert proxy_app({**state, "bridge_gateway": ""}, app_settings())["next_address"] == "127.0.0.1"
    with pytest.raises(AnsibleFilterError, match="'docker0' is neither 'auto' nor an IPv4 address"):
        FILTERS["proxy_app"](state, app_settings(backend_address="docker0"))


def test_the_record_keeps_the_address_the_running_release_publishes_on():
    old = record("hello", port=20000)  # written by a version without the gateway binding: no address
    state = {"records": {"hello": old}, "listening": [20000, 20001], "bridge_gateway": "172.17.0.1"}

    def decide(current, **more):
        settings = app_settings(current=current, **more)
        settings.pop("current_port")
        return proxy_app(state, settings)

    # Started by the older version: loopback only, so the proxy keeps reaching it there until the release.
    upgraded = decide(published("127.0.0.1:20000", "127.0.0.1:20001"))
    assert upgraded["current_port"] == 20000 and upgraded["record"]["address"] == "127.0.0.1"
    assert upgraded["next_address"] == "172.17.0.1" and upgraded["next_port"] == 20002
    switched = FILTERS["proxy_with_port"](upgraded["record"], upgraded["next_port"], upgraded["next_address"])
    assert (switched["port"], switched["address"]) == (20002, "172.17.0.1")
    # Started with the gateway binding: reached there; opting out moves the proxy to loopback at once.
    both = published("127.0.0.1:20000", "127.0.0.1:20001", "172.17.0.1:20000", "172.17.0.1:20001")
    assert decide(both)["record"]["address"] == "172.17.0.1"
    assert decide(both, backend_address="127.0.0.1")["record"]["address"] == "127.0.0.1"
    # Published on the gateway, recorded there, while the gateway read now differs: the recorded one.
    state["records"]["hello"] = {**old, "address": "172.17.0.1"}
    state["bridge_gateway"] = "172.18.0.1"
    assert decide(both)["record"]["address"] == "172.17.0.1"
    # The running release read without its bindings (current_port given): the record's address.
    assert proxy_app(state, app_settings(current_port=20000))["record"]["address"] == "172.17.0.1"
    state["records"]["hello"] = old
    assert proxy_app(state, app_settings(current_port=20000))["record"]["address"] == "127.0.0.1"


def test_config_reaches_each_release_at_its_recorded_address():
    records = {
        "new": record("new", ["new.example"], port=20004, address="172.17.0.1", metrics_port=9103),
        "old": record("old", port=20000, metrics_port=9102),  # no address: an older version's record
    }
    config = proxy_config(records, SETTINGS)
    servers = {backend["app"]: backend["server"] for backend in config["backends"]}
    assert servers == {"new": "172.17.0.1:20004", "old": "127.0.0.1:20000"}
    assert [(m["bind"], m["server"]) for m in config["metrics"]] == [
        ("127.0.0.1:9103", "172.17.0.1:20005"),
        ("127.0.0.1:9102", "127.0.0.1:20001"),
    ]
    with pytest.raises(AnsibleFilterError, match="not an IPv4 address a release can be reached at"):
        FILTERS["proxy_config"]({"x": record("x", address="1.2.3.4:80 backup")}, SETTINGS)


def test_bridge_gateway_from_the_engine():
    def network(*configs):
        return {"Name": "bridge", "IPAM": {"Driver": "default", "Config": list(configs)}}

    assert bridge_gateway(network({"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"})) == "172.17.0.1"
    # Docker 20.10 with the bridge it chose itself reports the subnet only: its first address.
    assert bridge_gateway(network({"Subnet": "172.17.0.0/16"})) == "172.17.0.1"
    bip = {"Subnet": "192.168.5.0/24", "Gateway": "192.168.5.254"}
    assert bridge_gateway(network(bip)) == "192.168.5.254"
    ipv6 = {"Subnet": "fd00::/64", "Gateway": "fd00::1"}
    assert bridge_gateway(network(ipv6, {"Subnet": "10.9.0.0/24"})) == "10.9.0.1"
    assert bridge_gateway(None) == "" and bridge_gateway(network()) == ""  # "bridge": "none"
    assert bridge_gateway({"IPAM": {"Config": None}}) == ""


def test_config_without_https_or_apps():
    config = proxy_config(
        {"a": record("a", ["a.example"], https_redirect=True)}, {**SETTINGS, "https_port": 0}
    )
    assert config["https_binds"] == [] and config["default_backend"] == "no_app" and config["cert_dir"] == ""
    assert config["backends"][0]["https_redirect"] is False  # nowhere to redirect to


def test_pem_of_certificate_chain_and_key():
    assert FILTERS["proxy_pem"]("CERT\n", "", " KEY") == "CERT\nKEY\n"
    assert FILTERS["proxy_pem"]("CERT", "CHAIN", "KEY") == "CERT\nCHAIN\nKEY\n"
    assert FILTERS["proxy_pem"]("", "", "KEY") == ""


def test_records_filters():
    updated = FILTERS["proxy_records"]({"a": record("a")}, record("b", port=20004))
    assert sorted(updated) == ["a", "b"]
    assert FILTERS["proxy_with_port"](record("a"), 20002)["port"] == 20002
    assert "address" not in FILTERS["proxy_with_port"](record("a"), 20002)
    assert FILTERS["proxy_maintenance"](record("a", address="172.17.0.1"), True)["address"] == "172.17.0.1"
    assert FILTERS["proxy_maintenance"](record("a"), True, 30)["retry_after"] == 30


def test_certificate_checks():
    cert, key = certificate(["shop.example", "*.shop.example"], start=NOW - datetime.timedelta(days=1))
    assert check_certificate(cert, key, ["shop.example", "www.shop.example"], "shop", NOW) == ""
    assert "does not cover a.b.shop.example" in check_certificate(
        cert, key, ["a.b.shop.example"], "shop", NOW
    )
    _other, other_key = certificate(["shop.example"], start=NOW - datetime.timedelta(days=1))
    assert "does not match" in check_certificate(cert, other_key, ["shop.example"], "shop", NOW)
    old, old_key = certificate(["shop.example"], start=NOW - datetime.timedelta(days=90))
    assert "expired on" in check_certificate(old, old_key, ["shop.example"], "shop", NOW)
    assert "not a PEM certificate" in check_certificate("junk", key, [], "shop", NOW)
    assert "not an unencrypted PEM private key" in check_certificate(cert, "junk", [], "shop", NOW)


def test_listening_ports_and_records(tmp_path):
    tcp = (
        "  sl  local_address rem_address   st\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000\n"
        "   1: 0100007F:1F91 0100007F:D431 01 00000000:00000000\n"
    )
    assert listening_ports([tcp]) == [8080]
    (tmp_path / "hello.json").write_text(json.dumps(record("hello")))
    (tmp_path / "broken.json").write_text("{")
    records, problems = read_records(str(tmp_path))
    assert list(records) == ["hello"] and problems[0].startswith("broken.json")
    assert read_records(str(tmp_path / "missing")) == ({}, [])


def test_show_proc_of_haproxy_2_8_and_2_4():
    text_28 = (
        "#<PID>          <type>          <reloads>       <uptime>        <version>\n"
        "1               master          2 [failed: 1]   0d00h00m03s     2.8.30\n"
        "# workers\n"
        "31              worker          0               0d00h00m01s     2.8.30\n"
        "# old workers\n"
        "9               worker          1               0d00h00m03s     2.8.30\n"
        "# programs\n"
    )
    parsed = parse_show_proc(text_28)
    assert parsed["reloads"] == 2 and parsed["failed"] == 1
    assert [w["pid"] for w in parsed["workers"]] == [31] and [w["pid"] for w in parsed["old_workers"]] == [9]
    text_24 = (
        "#<PID>          <type>          <relative PID>  <reloads>       <uptime>        <version>\n"
        "1               master          0               1               0d00h00m03s     2.4.30\n"
        "# workers\n"
    )
    assert parse_show_proc(text_24)["failed"] == 0
