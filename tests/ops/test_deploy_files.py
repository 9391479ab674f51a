"""The deploy files say what the README promises (the image cannot be built here)."""

from __future__ import annotations

import fnmatch
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
    # The final stage takes only the wheels from the build stage (bind-mounted, not copied).
    (install,) = [r for r in instructions("RUN") if "from=build" in r]
    assert "--no-index" in install and "emailstatus-bot" in install
    assert "COPY . " not in DOCKERFILE  # only what is needed: bot/, pyproject, knowledge/
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


def env_example() -> tuple[dict[str, str], set[str]]:
    """(active NAME=value lines, every documented name including commented-out ones)."""
    text = (DEPLOY / ".env.example").read_text()
    active = dict(re.findall(r"^([A-Z_]+)=(.*)$", text, re.MULTILINE))
    documented = set(re.findall(r"^(?:# )?([A-Z_]+)=", text, re.MULTILINE))
    return active, documented


def test_env_example_documents_every_variable_the_bot_reads():
    read = set(re.findall(r'get\("([A-Z_]+)"', (ROOT / "bot" / "config.py").read_text()))
    _, documented = env_example()
    assert read and read == documented
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    setting = re.compile(r"(# )?[A-Z_]+=")
    for name in read:
        at = next(i for i, line in enumerate(lines) if re.match(rf"(# )?{name}=", line))
        while setting.match(lines[at - 1]):  # a group of settings shares one explanation
            at -= 1
        assert lines[at - 1].startswith("# ") and len(lines[at - 1]) > 20, name
        assert f"`{name}`" in README, name  # and the README's table has it


def test_env_example_overrides_nothing_the_image_or_the_units_set():
    """EnvironmentFile= beats Environment= (systemd.exec(5)); env_file beats the image's ENV."""
    active, _ = env_example()
    unit_env = dict(v.split("=", 1) for v in unit("emailstatus-bot.service")["Environment"])
    image_env = dict(re.findall(r"([A-Z_]+)=(\S+)", " ".join(instructions("ENV"))))
    assert {"EMAILSTATUS_DB", "KNOWLEDGE_DIR"} <= unit_env.keys() & image_env.keys()
    assert not active.keys() & unit_env.keys()
    assert not active.keys() & image_env.keys()


def test_env_example_reads_the_same_in_sh_docker_and_systemd():
    # No quotes or spaces in active values: docker --env-file keeps quotes, sh splits spaces.
    active, _ = env_example()
    assert active
    for name, value in active.items():
        assert not re.search(r"[\s'\"$`]", value), name
    result = subprocess.run(
        ["sh", "-c", f"set -a; . {DEPLOY / '.env.example'}; set +a; env"],
        capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    seen = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert {k: seen.get(k) for k in active} == active


def test_cron_and_timer_use_the_units_paths():
    unit_env = unit("emailstatus-bot.service")["Environment"]
    summary = unit("emailstatus-summary.service")
    assert summary["Environment"] == unit_env
    assert summary["EnvironmentFile"] == unit("emailstatus-bot.service")["EnvironmentFile"]
    cron = [x for x in (DEPLOY / "crontab.example").read_text().splitlines() if x[:1].isdigit()]
    assert cron and all(x.startswith("0 9 * * 1 ") and "summary --post" in x for x in cron)
    venv_line = next(x for x in cron if ".venv/bin/emailstatus-bot" in x)
    assert ". /etc/emailstatus-bot/env" in venv_line
    assert all(setting in venv_line for setting in unit_env)


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


def test_dockerignore_keeps_secrets_and_data_out_and_what_the_image_copies_in():
    patterns = [
        line for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]  # fmt: skip

    def ignored(path: str) -> bool:  # Docker's rules: **/ matches any depth
        return any(
            fnmatch.fnmatch(path, p) or (p.startswith("**/") and fnmatch.fnmatch(path, p[3:]))
            or path.startswith(p.rstrip("/") + "/")
            for p in patterns
        )  # fmt: skip

    for secret in ("deploy/.env", ".env", "data/emailstatus.db", "x/bot.db-wal", ".git/config"):
        assert ignored(secret), secret
    copied = [s for c in instructions("COPY") if not c.startswith("--") for s in c.split()[:-1]]
    assert {"pyproject.toml", "README.md", "bot", "knowledge"} <= set(copied)
    for source in copied:
        assert not ignored(source), source
