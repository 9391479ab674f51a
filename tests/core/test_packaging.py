"""Knowledge ships in the package: a wheel installed into a fresh virtualenv answers a
question from another folder, with no checkout and no KNOWLEDGE_DIR."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

from tests.support.wheel import Wheel

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Times Opened stays at 0 for our Outlook 2016 recipients"


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_every_bot_package_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bot").rglob("__init__.py")
    }
    assert found <= listed, sorted(found - listed)
    assert config["project"]["license"] == "MIT"


def test_the_wheel_builds_without_deprecation_warnings(wheel: Wheel):
    assert "License classifiers are deprecated" not in wheel.log
    assert "project.license` as a TOML table is deprecated" not in wheel.log


def test_the_wheel_installed_in_a_fresh_venv_answers_from_another_folder(
    wheel: Wheel, tmp_path: Path
):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)  # this pip installs into it: no ensurepip
    python = env_dir / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "-q", wheel.path, cwd=tmp_path)  # fmt: skip
    # Dependencies come from this test's environment through PYTHONPATH, which does not
    # run .pth files, so the editable checkout stays out of reach: only the wheel is seen.
    # The run's model cache is keyed by what the model learned, so the wheel's knowledge
    # loads the model the run trained (a knowledge folder the wheel lacked would not).
    deps = sysconfig.get_paths()["purelib"]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": deps, "HOME": str(tmp_path),
           "MODEL_CACHE_DIR": os.environ["MODEL_CACHE_DIR"]}  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run(python, "-c", "import bot, sys; print(bot.__file__)", cwd=elsewhere, env=env)
    assert str(env_dir) in where and str(ROOT) not in where
    listed = run(env_dir / "bin" / "emailstatus-bot", "knowledge", "list", cwd=elsewhere, env=env)
    assert "emailstatus_knowledge" in listed and "000385822" in listed
    answer = run(env_dir / "bin" / "emailstatus-bot", "ask", QUESTION, cwd=elsewhere, env=env)
    assert "Steps for" in answer or "Outlook 2013 and later" in answer
    assert "no valid knowledge articles" not in answer
    line = json.dumps({"text": QUESTION})
    done = subprocess.run(
        [str(env_dir / "bin" / "emailstatus-bot"), "match", "--jsonl"],
        input=line, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert json.loads(done.stdout)["article"] == "000385822", done.stderr
    # KNOWLEDGE_DIR still overrides what the package ships.
    own = tmp_path / "own"
    own.mkdir()
    fixture = ROOT / "tests" / "core" / "fixtures" / "second_article.yaml"
    (own / "relay.yaml").write_text(fixture.read_text(encoding="utf-8"), encoding="utf-8")
    env["KNOWLEDGE_DIR"] = str(own)
    listed = run(env_dir / "bin" / "emailstatus-bot", "knowledge", "list", cwd=elsewhere, env=env)
    assert "000999001" in listed and "000385822" not in listed
