"""Matcher v3 beside the v1 concept matcher and a bare rapidfuzz ``extractOne``.

For the article 000385822 alone and for the shipped knowledge (three articles), each row
runs in a fresh process so that its start-up time and RSS are its own:

- v3 cold: no model cache, so start-up trains the classifier and runs the 5-fold CV;
- v3 warm: start-up loads the fitted model from the disk cache (a restart, a second worker),
  without importing scikit-learn;
- v1: the concept rules alone;
- bare extractOne: ``rapidfuzz.process.extractOne`` over every training example.

Start-up counts from before the imports (wall clock, and the process's CPU time: a cold
start's training on a loaded machine mostly waits for a core). Latency is per message,
single thread, after a warm-up; longer messages are also scored part by part. "p99 CPU"
is the thread's own CPU time: on a shared, loaded machine the wall-clock p99 mostly
measures waiting for a core.
Messages: the dev set's texts (timing only; BENCH_MESSAGES names another file), or a
fallback list when the dev set is not beside the repository.

Run: make bench   (or .venv/bin/python bench/bench_matcher.py)
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
DEV_SET = Path(os.environ.get("BENCH_MESSAGES", ROOT.parent / "shared/eval/questions-dev.jsonl"))
WARM_UP = 30
FALLBACK_MESSAGES = [
    "Times Opened stays at 0 for Outlook 2016 recipients",
    "html emial status not updaitng, recipeint on outlok",
    "Who has the spare laptop charger today?",
    "Pardot open rates dropped for Outlook users",
]
KNOWLEDGE_SETS = {"1 article": ["000385822.yaml"], "3 articles (shipped)": None}
KINDS = ("v3 cold", "v3 warm", "v1 concept rules", "bare extractOne")
TARGETS = "targets: p99 <= 2 ms per message, warm start-up <= 1 s, RSS <= 200 MiB"


def messages() -> list[str]:
    if DEV_SET.exists():
        lines = DEV_SET.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["text"] for line in lines if line.strip()]
    return FALLBACK_MESSAGES * 50


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def knowledge_folder(files: list[str] | None, into: Path) -> Path:
    """A folder holding the chosen articles and their examples files."""
    if files is None:
        return KNOWLEDGE
    into.mkdir(parents=True, exist_ok=True)
    for name in files:
        for path in (KNOWLEDGE / name, KNOWLEDGE / name.replace(".yaml", ".examples.yaml")):
            (into / path.name).write_bytes(path.read_bytes())
    return into


def measure(kind: str, folder: str, cache: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    os.environ["MODEL_CACHE_DIR"] = cache
    started = time.perf_counter()  # start-up includes the imports (scikit-learn's was 0.8 s)
    started_cpu = time.process_time()
    from rapidfuzz import fuzz, process, utils

    from bot.concepts import ConceptMatcher
    from bot.knowledge import load_knowledge
    from bot.matching import Matcher, article_examples

    knowledge = load_knowledge(folder)
    if kind.startswith("v3"):
        match = Matcher(knowledge).match
    elif kind.startswith("v1"):
        match = ConceptMatcher(knowledge).match
    else:
        examples = [e.text for e in article_examples(knowledge).examples]

        def match(text: str) -> object:
            return process.extractOne(
                text, examples, scorer=fuzz.WRatio, processor=utils.default_process
            )

    start_ms = (time.perf_counter() - started) * 1000
    start_cpu_ms = (time.process_time() - started_cpu) * 1000  # what waiting for a core hides
    texts = messages()
    for text in texts[:WARM_UP]:
        match(text)
    timings, cpu = [], []
    for text in texts:
        began, began_cpu = time.perf_counter_ns(), time.thread_time_ns()
        match(text)
        timings.append((time.perf_counter_ns() - began) / 1000)
        cpu.append((time.thread_time_ns() - began_cpu) / 1000)
    queue.put(
        {"start_ms": start_ms, "start_cpu_ms": start_cpu_ms,
         "median_us": statistics.median(timings), "p99_us": percentile(timings, 0.99),
         "p99_cpu_us": percentile(cpu, 0.99), "rss_mib": rss_mib(), "messages": len(texts)}
    )  # fmt: skip


def run(kind: str, folder: Path, cache: Path) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = context.Process(target=measure, args=(kind, str(folder), str(cache), queue))
    worker.start()
    row: dict[str, float] = queue.get(timeout=900)
    worker.join()
    return row


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for label, files in KNOWLEDGE_SETS.items():
            folder = knowledge_folder(files, Path(scratch) / label.split()[0])
            cache = Path(scratch) / f"cache-{label.split()[0]}"  # empty: the cold row trains
            for kind in KINDS:
                rows.append((label, kind, run(kind, folder, cache)))
    print(f"matcher per message ({rows[0][2]['messages']:.0f} messages, single thread)")
    print(
        "| knowledge | matcher | start-up ms | start-up CPU ms | median µs | p99 µs | p99 CPU µs"
        " | RSS MiB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, kind, row in rows:
        print(
            f"| {label} | {kind} | {row['start_ms']:.0f} | {row['start_cpu_ms']:.0f}"
            f" | {row['median_us']:.0f} "
            f"| {row['p99_us']:.0f} | {row['p99_cpu_us']:.0f} | {row['rss_mib']:.1f} |"
        )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} (CPU time excludes waits)")
    print(TARGETS)


if __name__ == "__main__":
    main()
