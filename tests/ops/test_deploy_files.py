"""The deploy files say what the README promises (the image cannot be built here)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
README = (ROOT / "README.md").read_text()
UNITS = DEPLOY / "systemd"


def instructions(name: str) -> list[str]:
    """Dockerfile instructions of one kind, with continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_dockerfile_is_multi_stage_on_slim_python_and_runs_as_a_user():
    bases = instructions("FROM")
    assert len(bases) == 2 and all(b.startswith("python:3.11-slim") for b in bases)
    assert "--from=build" in " ".join(instructions("COPY"))
    (user,) = instructions("USER")
    assert user not in ("root", "0")


def test_dockerfile_command_port_volume_and_healthcheck():
    assert instructions("CMD") == [
        '["emailstatus-bot", "serve", "--host", "0.0.0.0", "--port", "3000"]'
    ]
    assert instructions("EXPOSE") == ["3000"]
    (volume,) = instructions("VOLUME")
    assert "/data" in volume and "/app/knowledge" in volume
    env = " ".join(instructions("ENV"))
    assert "EMAILSTATUS_DB=/data/emailstatus.db" in env and "KNOWLEDGE_DIR=/app/knowledge" in env
    (health,) = instructions("HEALTHCHECK")
    assert "127.0.0.1:3000/healthz" in health


def test_compose_matches_the_image():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    service = compose["services"]["emailstatus-bot"]
    assert service["env_file"] == ".env" and service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert "127.0.0.1:3000:3000" in service["ports"]
    volumes = service["volumes"]
    assert "emailstatus-data:/data" in volumes and "emailstatus-data" in compose["volumes"]
    assert any(v.startswith("../knowledge:/app/knowledge") for v in volumes)
    assert service["environment"]["EMAILSTATUS_DB"].startswith("/data/")


def test_env_example_lists_every_variable_the_bot_reads():
    read = set(re.findall(r'get\("([A-Z_]+)"', (ROOT / "bot" / "config.py").read_text()))
    example = (DEPLOY / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert read and read == listed
    for name in read:  # and the README documents each one
        assert f"`{name}`" in README, name


def test_systemd_units_run_serve_hardened_and_post_the_summary_weekly():
    service = unit("emailstatus-bot.service")
    assert service["ExecStart"][0].endswith("emailstatus-bot serve --host 127.0.0.1 --port 3000")
    for key, value in {
        "Restart": "on-failure",
        "DynamicUser": "yes",
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "StateDirectory": "emailstatus-bot",
    }.items():
        assert service[key] == [value], key
    assert service["EnvironmentFile"] == ["/etc/emailstatus-bot/env"]
    summary = unit("emailstatus-summary.service")
    assert summary["ExecStart"][0].endswith("emailstatus-bot summary --post")
    assert summary["User"] == service["User"]  # one dynamic user, one state directory
    timer = unit("emailstatus-summary.timer")
    assert timer["OnCalendar"] == ["Mon *-*-* 09:00:00"] and timer["Persistent"] == ["true"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_analyze_verifies_the_units(tmp_path: Path):
    executable = str(Path(sys.executable).with_name("emailstatus-bot"))
    for source in UNITS.iterdir():
        text = source.read_text().replace(
            "/opt/emailstatus-bot/.venv/bin/emailstatus-bot", executable
        )
        (tmp_path / source.name).write_text(text)
    names = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run(["systemd-analyze", "verify", *names], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_readme_deploy_section_names_the_same_things():
    deploy = README.split("## Deploy", 1)[1].split("\n## ", 1)[0]
    for promise in (
        "deploy/Dockerfile",
        "docker compose",
        "deploy/.env.example",
        "/healthz",
        "/slack/events",
        "3000",
        "systemd",
        "emailstatus-summary.timer",
        "/metrics",
    ):
        assert promise in deploy, promise
