"""The scaled layout's plan: only nginx beyond loopback, each Rasa server with its own action server, POST retries
on the other replica, and a clear refusal of settings it cannot share between processes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from api.core.config import Settings
from api.runtime import scaled

PG = "postgresql+psycopg://tlhc@db.local/tlhc"


def settings(tmp_path: Path, **overrides: str) -> Settings:
    values = {"var_dir": tmp_path, "host": "0.0.0.0", "app_port": 9000, "rasa_port": 9100, "actions_port": 9200,
              "database_url": PG, "rasa_tracker_url": "postgresql://tlhc@db.local/rasa",
              "redis_url": "redis://127.0.0.1:6379/3"}
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


def test_layout_numbers_processes_after_the_balancers(tmp_path: Path) -> None:
    layout = scaled.Layout.of(settings(tmp_path), replicas=3, rasa_servers=2)
    assert layout.app_ports == (9001, 9002, 9003)
    assert layout.rasa_ports == (9101, 9102)
    assert layout.actions_ports == (9201, 9202)


def test_only_the_public_server_listens_beyond_loopback(tmp_path: Path) -> None:
    layout = scaled.Layout.of(settings(tmp_path))
    conf = scaled.nginx_conf(layout, tmp_path)
    listens = re.findall(r"listen (\S+?)[ ;]", conf)
    assert listens == ["0.0.0.0:9000", "127.0.0.1:9100", "127.0.0.1:9200"]
    upstream_servers = re.findall(r"server (\S+) max_fails", conf)
    assert upstream_servers == [f"127.0.0.1:{p}" for p in (9001, 9002, 9101, 9102, 9201, 9202)]
    public = conf.split("server {")[1]
    assert "proxy_next_upstream error timeout http_502 non_idempotent;" in public  # POSTs carry client_msg_id
    assert "proxy_set_header Upgrade $http_upgrade;" in public  # the widget's WebSocket
    assert "http_503" not in conf  # a busy notice is an answer, not a failure to retry


def test_each_rasa_server_calls_its_own_action_server(tmp_path: Path) -> None:
    config = settings(tmp_path)
    layout = scaled.Layout.of(config)
    for i in (0, 1):
        endpoints = yaml.safe_load(scaled.write_rasa_endpoints(config, layout, i).read_text())
        assert endpoints["action_endpoint"]["url"] == f"http://127.0.0.1:{9201 + i}/webhook"
        assert endpoints["action_endpoint"]["headers"] == {"Authorization": f"Bearer {config.action_server_token}"}
        assert endpoints["tracker_store"]["dialect"] == "postgresql"
        assert "remember_sessions" not in endpoints["tracker_store"]  # two Rasa processes: each reads the database
        assert endpoints["lock_store"]["type"] == "redis"


def test_every_process_binds_loopback(tmp_path: Path) -> None:
    config = settings(tmp_path)
    commands = scaled.commands(config, scaled.Layout.of(config), tmp_path / "model.tar.gz", Path("python"))
    names = [name for name, _, _ in commands]
    assert names == ["rasa1", "rasa2", "actions1", "actions2", "app1", "app2", "nginx"]
    for name, argv, extra in commands:
        if name.startswith(("rasa", "app")):
            flag = "--interface" if name.startswith("rasa") else "--host"
            assert argv[argv.index(flag) + 1] == "127.0.0.1", name
        if name.startswith("actions"):
            assert argv[argv.index("--interface") + 1] == "127.0.0.1"
        if name.startswith("app"):
            assert extra["TRUSTED_PROXIES"] == "127.0.0.1"  # X-Forwarded-For from nginx only


@pytest.mark.parametrize(("overrides", "named"), [
    ({"database_url": ""}, "DATABASE_URL"),
    ({"rasa_tracker_url": ""}, "RASA_TRACKER_URL"),
    ({"redis_url": ""}, "REDIS_URL"),
    ({"telegram_bot_token": "123:abc"}, "TELEGRAM_MODE=webhook"),
])
def test_settings_it_cannot_share_are_refused_by_name(tmp_path: Path, overrides: dict[str, str],
                                                      named: str) -> None:
    with pytest.raises(scaled.LayoutError, match=named):
        scaled.check(settings(tmp_path, **overrides))


@pytest.mark.skipif(not Path(scaled.NGINX_BIN).exists(), reason="nginx not installed (scripts/install_nginx.sh)")
def test_nginx_accepts_the_generated_configuration(tmp_path: Path) -> None:
    config = settings(tmp_path, host="127.0.0.1")
    conf = scaled.write_nginx_conf(config, scaled.Layout.of(config))
    done = subprocess.run([scaled.NGINX_BIN, "-t", "-p", str(conf.parent), "-c", str(conf)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    shutil.rmtree(tmp_path / "nginx", ignore_errors=True)


def test_each_process_gets_the_tokens_it_uses_and_no_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the embedded layout: Rasa checks its token (HTTP API and REST channel), the action server its own and
    calls the app with the bot API's; the app calls both. A token in the launcher's environment reaches no one."""
    config = settings(tmp_path)
    for key in scaled.TOKENS:  # (after the settings read them: a stray value in the launcher's own environment)
        monkeypatch.setenv(key, "from-the-caller")
    for name, argv, extra in scaled.commands(config, scaled.Layout.of(config), tmp_path / "model.tar.gz",
                                             Path("python")):
        tokens = {key: extra[key] for key in scaled.TOKENS if key in extra}
        if name.startswith("rasa"):
            assert argv[argv.index("--auth-token") + 1] == config.rasa_token
            assert tokens == {"RASA_TOKEN": config.rasa_token}
        elif name.startswith("actions"):
            assert argv[argv.index("-m") + 1] == "actions.server"  # rasa_sdk alone checks no token
            assert tokens == {"ACTION_SERVER_TOKEN": config.action_server_token, "BOT_API_TOKEN": config.bot_api_token}
        elif name.startswith("app"):
            assert tokens == {"RASA_TOKEN": config.rasa_token, "BOT_API_TOKEN": config.bot_api_token}
            assert extra["WARM_QUESTIONS"] == "0"  # the actions' call back goes through nginx: maybe another replica
        else:
            assert tokens == {}, name


def test_nginx_closes_an_idle_backend_connection_before_the_backend_does(tmp_path: Path) -> None:
    """Else a backend closing an idle connection as nginx reuses it resets it, and nginx takes the surviving replica
    out too (max_fails=1) right after the other was killed: "no live upstreams", 502 to citizens."""
    config = settings(tmp_path)
    layout = scaled.Layout.of(config)
    conf = scaled.nginx_conf(layout, tmp_path)
    for upstream in ("tlhc_app", "tlhc_rasa"):
        block = conf.split(f"upstream {upstream} {{")[1].split("}")[0]
        assert f"keepalive_timeout {scaled.UPSTREAM_IDLE_S}s;" in block, upstream
    for name, argv, extra in scaled.commands(config, layout, tmp_path / "model.tar.gz", Path("python")):
        if name.startswith("app"):
            assert int(argv[argv.index("--timeout-keep-alive") + 1]) > scaled.UPSTREAM_IDLE_S
        if name.startswith("rasa"):
            assert int(extra["SANIC_KEEP_ALIVE_TIMEOUT"]) > scaled.UPSTREAM_IDLE_S
