"""The compose file's `replicas` profile: PostgreSQL, two bot replicas, one proxy in front."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def services() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"])


def test_the_single_service_still_starts_without_a_profile() -> None:
    assert "profiles" not in services()["emailstatus-bot"]


def test_two_replicas_share_one_postgres_and_nothing_on_disk() -> None:
    found = services()
    replicas = [found["emailstatus-bot-a"], found["emailstatus-bot-b"]]
    for replica in replicas:
        assert replica["profiles"] == ["replicas"] and replica["image"] == "emailstatus-bot"
        url = replica["environment"]["DATABASE_URL"]
        assert re.fullmatch(
            r"postgresql://emailstatus:\$\{POSTGRES_PASSWORD:-\}@postgres:5432/emailstatus", url
        )
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert not any(str(v).endswith(":/data") for v in replica["volumes"])
    postgres = found["postgres"]
    assert postgres["environment"]["POSTGRES_DB"] == "emailstatus"
    assert "pg_isready" in postgres["healthcheck"]["test"]


def test_the_proxy_balances_both_replicas_on_their_health() -> None:
    proxy = services()["proxy"]
    assert proxy["profiles"] == ["replicas"] and "127.0.0.1:3000:3000" in proxy["ports"]
    assert set(proxy["depends_on"]) == {"emailstatus-bot-a", "emailstatus-bot-b"}
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert "reverse_proxy emailstatus-bot-a:3000 emailstatus-bot-b:3000" in caddyfile
    assert "health_uri /healthz" in caddyfile
