"""The deploy files say what docs/operations.md promises (the image cannot be built here)."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.support.wheel import Wheel

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
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


def test_dockerfile_is_multi_stage_on_a_pinned_slim_python_and_runs_as_a_numeric_user():
    (image,) = [a for a in instructions("ARG") if a.startswith("PYTHON_IMAGE=")]
    # Exact tag and digest: the same base every build, whatever `3.11-slim` points to today.
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}", image)
    bases = instructions("FROM")
    assert bases == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE}"]
    # The final stage takes only the wheels from the build stage (bind-mounted, not copied).
    (install,) = [r for r in instructions("RUN") if "from=build" in r]
    assert "--no-index" in install and "emailstatus-bot" in install
    assert "COPY . " not in DOCKERFILE  # only what is needed: bot/, pyproject, knowledge/
    # Numeric, for Kubernetes' runAsNonRoot; the same ids useradd creates.
    assert instructions("USER") == ["10001:10001"]
    assert "--uid 10001" in DOCKERFILE and "--gid 10001" in DOCKERFILE


def test_the_image_and_make_install_from_the_constraints_file():
    (wheels,) = [r for r in instructions("RUN") if r.startswith("pip wheel")]
    assert "--constraint constraints.txt" in wheels
    assert any("constraints.txt" in c.split() for c in instructions("COPY"))
    makefile = (ROOT / "Makefile").read_text()
    assert "--constraint constraints.txt -e '.[dev]'" in makefile


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_constraints_pin_every_dependency_exactly():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version
            assert re.fullmatch(r"[0-9][0-9A-Za-z.+]*", version), line
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    assert {_name(r) for r in wanted} <= pins.keys()
    assert "emailstatus-bot" not in pins


def test_dockerfile_command_port_volume_and_healthcheck():
    assert instructions("CMD") == ['["emailstatus-bot", "serve", "--host", "0.0.0.0"]']
    env = dict(re.findall(r"([A-Z_]+)=(\S+)", " ".join(instructions("ENV"))))
    assert instructions("EXPOSE") == [env["PORT"]] == ["3000"]
    # Only the database is a volume: a VOLUME for knowledge left an anonymous volume behind.
    assert instructions("VOLUME") == ['["/data"]']
    assert env["EMAILSTATUS_DB"] == "/data/emailstatus.db"
    assert env["KNOWLEDGE_DIR"] == "/app/knowledge"
    assert env["MPLCONFIGDIR"].startswith("/tmp/")  # HOME=/app is read-only
    (health,) = instructions("HEALTHCHECK")
    # The check follows PORT, the port `serve` binds when --port is not given.
    assert "os.environ.get('PORT', '3000')" in health and "/healthz" in health
    assert "3000/healthz" not in health


def test_serve_binds_port_from_the_environment():
    from bot.config import Settings

    assert Settings.from_env({"PORT": "8080"}).port == 8080
    assert Settings.from_env({}).port == 3000
    assert Settings.from_env({"PORT": "80a"}).parse_problems


def test_documented_docker_run_waits_longer_than_gunicorns_graceful_timeout():
    from bot.slack.serve import ServerSettings

    [run] = re.findall(r"docker run [^`]*?emailstatus-bot\n", OPERATIONS.replace("\\\n", " "))
    stop = re.search(r"--stop-timeout (\d+)", run)
    assert stop and int(stop.group(1)) > ServerSettings().graceful_timeout


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
    from bot.settings_registry import SETTINGS

    read = {declared.name for declared in SETTINGS}  # Settings reads only these (its tests)
    _, documented = env_example()
    assert read and read == documented
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    setting = re.compile(r"(# )?[A-Z_]+=")
    for name in read:
        at = next(i for i, line in enumerate(lines) if re.match(rf"(# )?{name}=", line))
        while setting.match(lines[at - 1]):  # a group of settings shares one explanation
            at -= 1
        assert lines[at - 1].startswith("# ") and len(lines[at - 1]) > 20, name
        assert f"`{name}`" in CONFIGURATION, name  # and docs/configuration.md's table has it


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
    text = (DEPLOY / "crontab.example").read_text()
    cron = [x for x in text.splitlines() if x[:1].isdigit()]
    assert cron and all(x.startswith("0 9 * * 1 ") for x in cron)
    assert any(x.endswith("emailstatus-bot summary --post") for x in cron)  # docker compose
    # systemd: the oneshot unit, so the summary runs as the dynamic user, never as a named
    # account (DynamicUser= creates none that cron could use) and never as root.
    assert any(x.endswith("systemctl start emailstatus-summary.service") for x in cron)
    assert not re.search(r"crontab -e -u|sudo -u|\bsu \w", text)


def test_admin_wrapper_runs_commands_as_the_service_does():
    script = (DEPLOY / "emailstatus-cli").read_text()
    properties: dict[str, list[str]] = {}
    for key, value in re.findall(r"-p (\w+)=(\S+)", script):
        properties.setdefault(key, []).append(value)
    service = unit("emailstatus-bot.service")
    for key in ("DynamicUser", "User", "StateDirectory", "CacheDirectory", "EnvironmentFile",
                "Environment", "UMask"):  # fmt: skip
        assert properties[key] == service[key], key
    assert script.startswith("#!/bin/sh") and (DEPLOY / "emailstatus-cli").stat().st_mode & 0o111
    assert '/opt/emailstatus-bot/.venv/bin/emailstatus-bot "$@"' in script


def test_socket_mode_unit_is_the_http_unit_running_run():
    http, socket_mode = unit("emailstatus-bot.service"), unit("emailstatus-bot-socket.service")
    assert socket_mode["ExecStart"] == ["/opt/emailstatus-bot/.venv/bin/emailstatus-bot run"]
    assert socket_mode["ExecStartPre"][0].endswith("config check --mode socket")
    assert socket_mode["Conflicts"] == ["emailstatus-bot.service"]
    different = {"ExecStart", "ExecStartPre", "Description", "Conflicts"}
    assert {k: v for k, v in http.items() if k not in different} == {
        k: v for k, v in socket_mode.items() if k not in different
    }


def test_the_image_trains_the_matcher_as_the_user_it_runs_as():
    """Trained at build, after the knowledge is copied, as uid 10001, into a cache folder
    that user owns: before, root trained it, and with a mounted knowledge/ every worker
    retrained at every start and said "model cache … not written"."""
    env = dict(re.findall(r"([A-Z_]+)=(\S+)", " ".join(instructions("ENV"))))
    cache = env["MODEL_CACHE_DIR"]
    (setup,) = [r for r in instructions("RUN") if "useradd" in r]
    assert f"mkdir -p /data /app/knowledge {cache}" in setup
    assert f"chown 10001:10001 /data {cache}" in setup
    runs = instructions("RUN")
    assert "emailstatus-bot knowledge train" in runs[-1]
    position = DOCKERFILE.index
    assert position("COPY knowledge /app/knowledge") < position("knowledge train")
    assert position("USER 10001:10001") < position("knowledge train")


def test_units_keep_the_trained_matcher_in_their_cache_directory():
    for name in ("emailstatus-bot.service", "emailstatus-bot-socket.service"):
        service = unit(name)
        assert service["CacheDirectory"] == ["emailstatus-bot"], name
        assert "MODEL_CACHE_DIR=/var/cache/emailstatus-bot/model" in service["Environment"], name


def test_units_give_matplotlib_a_writable_cache():
    for name in ("emailstatus-bot.service", "emailstatus-summary.service"):
        service = unit(name)
        assert service["CacheDirectory"] == ["emailstatus-bot"], name
        assert "MPLCONFIGDIR=/var/cache/emailstatus-bot" in service["Environment"], name


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


def test_the_deploy_docs_name_the_same_things():
    deploy = OPERATIONS.split("## Deploy", 1)[1].split("\n## ", 1)[0]
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
        "emailstatus-bot-socket.service",
        "deploy/emailstatus-cli",
        "emailstatus-cli cases list",
        "emailstatus-cli cases backup",
        "exec emailstatus-bot emailstatus-bot cases list",
        "exec emailstatus-bot emailstatus-bot cases backup",
        "exec emailstatus-bot emailstatus-bot summary",
        "--stop-timeout",
        "413",
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
    assert {"pyproject.toml", "README.md", "LICENSE", "bot", "knowledge"} <= set(copied)
    for source in copied:
        assert not ignored(source), source


def test_the_build_stage_copies_enough_to_build_the_wheel(wheel: Wheel):
    # The run's wheel is built from only what the build stage COPYs (tests/support/wheel.py);
    # test_packaging installs it and asks it a question.
    assert wheel.path.name.startswith("emailstatus_bot-")
