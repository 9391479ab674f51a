"""A knowledge folder with new examples is trained once per change, not once per worker.

`serve`'s master trains (or loads) the matcher before gunicorn forks its workers, and the
workers find it in the memory the fork shares. Before, each worker trained the same model
at start, and in the image, as a user that could not write the cache, at every start.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.examples import dump_examples, parse_examples_file
from tests.conftest import KNOWLEDGE_DIR
from tests.ops.serving import serve
from tests.support.fake_slack import FakeSlackApi


def changed_knowledge(folder: Path) -> Path:
    """The shipped articles with a sample of their examples: a model no cache holds yet."""
    shutil.copytree(KNOWLEDGE_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for path in folder.glob("*.examples.yaml"):
        examples, _ = parse_examples_file(path)
        sample = examples[:: max(1, len(examples) // 40)]
        path.write_text(dump_examples(examples[0].article_id, sample), encoding="utf-8")
    return folder


def test_serve_trains_a_changed_knowledge_folder_once_for_all_workers(tmp_path: Path):
    knowledge = changed_knowledge(tmp_path / "knowledge")
    cache = tmp_path / "cache"
    env = {"KNOWLEDGE_DIR": str(knowledge), "MODEL_CACHE_DIR": str(cache), "LOG_LEVEL": "INFO"}
    with FakeSlackApi() as slack, serve(slack, tmp_path / "served", **env) as server:
        assert server.request("GET", "/healthz").status == 200
        log = server.log_text()
    trained = [line for line in log.splitlines() if "matcher model" in line]
    assert len(trained) == 1 and "trained in" in trained[0], trained  # 2 workers, 1 training
    assert len(list(cache.glob("model-*.pickle"))) == 1
    assert "not written" not in log
