"""One wheel for the whole test run, built from what the image's build stage copies.

No Docker here: the files the Dockerfile's build stage COPYs are copied to a folder and
the wheel is built from only those, so a file the image forgets fails the packaging
tests. xdist's workers share one build: the first builds it under a lock, the others
wait and reuse it.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


@dataclass(frozen=True)
class Wheel:
    path: Path
    log: str  # pip wheel -v output: the build backend's warnings


@contextmanager
def locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def copy_build_stage(dest: Path) -> None:
    """Copy into ``dest`` what the Dockerfile's build stage COPYs from the context."""
    build_stage = DOCKERFILE.read_text().split("\nFROM ", 2)[1]
    for line in re.sub(r"\\\n\s*", " ", build_stage).splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            *sources, _target = line.split()[1:]
            for name in sources:
                source = ROOT / name
                if source.is_dir():
                    skip = shutil.ignore_patterns("__pycache__")
                    shutil.copytree(source, dest / name, ignore=skip)
                else:
                    shutil.copy(source, dest / name)


def build(folder: Path) -> Wheel:
    src, out = folder / "src", folder / "dist"
    src.mkdir()
    copy_build_stage(src)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    (built,) = out.glob("emailstatus_bot-*.whl")
    (folder / "build.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    return Wheel(built, done.stdout + done.stderr)


def shared_wheel(factory: pytest.TempPathFactory) -> Wheel:
    # Under xdist each worker's base temp is <run>/popen-gwN: <run> is this run's, shared.
    base = factory.getbasetemp()
    run_folder = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = run_folder / "wheel"
    with locked(run_folder / "wheel.lock"):
        built = list((folder / "dist").glob("emailstatus_bot-*.whl")) if folder.exists() else []
        if built:
            return Wheel(built[0], (folder / "build.log").read_text(encoding="utf-8"))
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        return build(folder)
