"""Matcher latency and memory for knowledge bases of 1, 100 and 1,000 articles.

Each size runs in a fresh process so that its RSS is its own. The real article is
always present; the others are synthetic (seeded pseudo-words, so runs compare).
Latency is per message, single thread, after warm-up, with the typo cache cleared
before every message (the worst case: no word seen before). For comparison, the same
messages go through a bare ``rapidfuzz.process.extractOne`` over every example phrase.

Run: make bench   (or .venv/bin/python bench/bench_matcher.py)
"""

from __future__ import annotations

import json
import multiprocessing
import random
import statistics
import time
from pathlib import Path

from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT.parent / "shared" / "eval" / "questions-dev.jsonl"
SIZES = (1, 100, 1000)
WARM_UP = 50
FALLBACK_MESSAGES = [
    "Times Opened stays at 0 for Outlook 2016 recipients",
    "html emial status not updaitng, recipeint on outlok",
    "Who has the spare laptop charger today?",
    "Pardot open rates dropped for Outlook users",
]


def messages() -> list[str]:
    if DEV_SET.exists():
        lines = DEV_SET.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["text"] for line in lines if line.strip()]
    return FALLBACK_MESSAGES * 50


def pseudo_word(rng: random.Random) -> str:
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 5)))


def synthetic_article(number: int, rng: random.Random) -> str:
    """YAML for a made-up article with the same shape as the real one."""

    def phrase() -> str:
        return " ".join(pseudo_word(rng) for _ in range(rng.randint(1, 3)))

    concepts = "\n".join(
        f"    c{index}:\n      weight: {rng.choice([20, 30, 40, -60])}\n"
        f"      terms: {json.dumps([phrase() for _ in range(12)])}"
        for index in range(6)
    )
    examples = json.dumps([" ".join(phrase() for _ in range(4)) for _ in range(10)])
    return f"""
id: "SYN{number:05d}"
title: "Synthetic article {number}"
source: {{name: "bench"}}
cause: "{phrase()}"
fix_summary: "{phrase()}"
versions:
  - {{id: "2013+", label: "Any", steps: ["{phrase()}"]}}
matching:
  concepts:
{concepts}
  require: [[c0, c1], [c2, c3]]
  examples: {{en: {examples}}}
"""


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(size: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from bot.knowledge import load_knowledge, parse_article
    from bot.matching import Matcher

    rng = random.Random(size)
    kb = load_knowledge(ROOT / "knowledge")
    for number in range(size - 1):
        article, problems = parse_article(synthetic_article(number, rng), f"syn{number}.yaml")
        assert article is not None, problems
        kb.articles.append(article)
    started = time.perf_counter()
    matcher = Matcher(kb)
    build_ms = (time.perf_counter() - started) * 1000
    texts = messages()
    for text in texts[:WARM_UP]:
        matcher.match(text)
    ours = []
    for text in texts:
        matcher._correct.cache_clear()
        began = time.perf_counter_ns()
        matcher.match(text)
        ours.append((time.perf_counter_ns() - began) / 1000)
    examples = [example for entry in matcher.articles for example in entry.examples]
    bare = []
    for text in texts:
        began = time.perf_counter_ns()
        process.extractOne(text, examples, scorer=fuzz.WRatio, processor=utils.default_process)
        bare.append((time.perf_counter_ns() - began) / 1000)
    queue.put(
        {
            "articles": size,
            "examples": len(examples),
            "build_ms": build_ms,
            "median_us": statistics.median(ours),
            "p99_us": percentile(ours, 0.99),
            "bare_median_us": statistics.median(bare),
            "bare_p99_us": percentile(bare, 0.99),
            "rss_mib": rss_kib() / 1024,
            "messages": len(texts),
        }
    )


def main() -> None:
    context = multiprocessing.get_context("spawn")
    rows = []
    for size in SIZES:
        queue = context.Queue()
        worker = context.Process(target=measure, args=(size, queue))
        worker.start()
        rows.append(queue.get(timeout=600))
        worker.join()
    print(f"matcher latency per message ({rows[0]['messages']} messages, single thread, "
          "typo cache cleared before each)")  # fmt: skip
    header = (
        "| articles | examples | build ms | median µs | p99 µs | bare extractOne median µs "
        "| bare p99 µs | RSS MiB |"
    )
    print(header)
    print("|---:" * 8 + "|")
    for row in rows:
        print(
            f"| {row['articles']} | {row['examples']} | {row['build_ms']:.0f} "
            f"| {row['median_us']:.0f} | {row['p99_us']:.0f} | {row['bare_median_us']:.0f} "
            f"| {row['bare_p99_us']:.0f} | {row['rss_mib']:.1f} |"
        )
    print("targets: p99 <= 1000 µs with 1 article, <= 20000 µs with 1,000 articles")


if __name__ == "__main__":
    main()
