"""Examples files: loading, the checker's messages, merging, and the dev-set firewall."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz, process, utils

from bot.examples import (
    Example,
    ExampleSet,
    Label,
    dump_examples,
    load_examples,
    merge_examples,
    parse_examples,
)
from tests.conftest import EVAL_SET, KNOWLEDGE_DIR

GOOD = """\
article: "A1"
groups:
  - label: positive
    family: plain
    lang: en
    source: team
    examples:
      - "opens never counted for outlook people"
      - "times opened stuck at zero"
  - label: negative
    family: chatter
    lang: fr
    source: corpus-1
    examples:
      - "qui vient déjeuner ?"
"""


def test_a_good_file_loads_every_line_with_its_labels():
    examples, problems = parse_examples(GOOD, "a.yaml")
    assert problems == []
    assert [(e.label, e.lang, e.family, e.line) for e in examples] == [
        (Label.POSITIVE, "en", "plain", 8),
        (Label.POSITIVE, "en", "plain", 9),
        (Label.NEGATIVE, "fr", "chatter", 15),
    ]


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (GOOD.replace("label: positive", "label: postive"),
         "a.yaml:3: groups[0].label: 'postive' is not allowed; did you mean 'positive'?"),
        (GOOD.replace("lang: fr", "lang: fre"),
         "a.yaml:12: groups[1].lang: 'fre' is not allowed; did you mean 'fr'?"),
        (GOOD.replace("    family: chatter", "    familly: chatter"),
         "a.yaml:11: groups[1].familly: unknown key; did you mean 'family'?"),
        (GOOD.replace('"times opened stuck at zero"', '""'),
         "a.yaml:9: groups[0].examples[1]: must be a message with words in it"),
        (GOOD.replace('"times opened stuck at zero"', '":tada: :+1:"'),
         "a.yaml:9: groups[0].examples[1]: must be a message with words in it"),
        (GOOD.replace("source: team", "source: dev-set"),
         "a.yaml:6: groups[0].source: 'dev-set' is not allowed; "
         "use one of corpus-1, team, case-log"),
        (GOOD.replace('      - "times opened stuck at zero"\n', "      - [oops\n"),
         "a.yaml:9: yaml: not valid YAML: a '[' opened here is never closed (noticed at line 10)"),
        ('article: "A1"\n', "a.yaml:1: groups: must be a non-empty list of groups"),
    ],
)  # fmt: skip
def test_each_problem_is_one_clear_line(broken, expected):
    examples, problems = parse_examples(broken, "a.yaml")
    assert examples == []
    assert [str(p) for p in problems] == [expected]


def test_duplicates_are_reported_with_both_places(tmp_path):
    path = tmp_path / "A1.examples.yaml"
    path.write_text(
        GOOD.replace('"times opened stuck at zero"', '"Opens never COUNTED, for outlook people!"')
    )
    loaded = load_examples([path])
    assert len(loaded.examples) == 2
    assert [str(p) for p in loaded.problems] == [
        f"{path}:9: examples: duplicate of {path}:8 (same words): "
        "'Opens never COUNTED, for outlook people!'"
    ]


def test_dump_is_canonical_and_loads_back():
    examples, _ = parse_examples(GOOD, "a.yaml")
    text = dump_examples("A1", examples)
    again, problems = parse_examples(text, "b.yaml")
    assert problems == []
    assert [(e.text, e.label, e.lang, e.family, e.source) for e in again] == [
        (e.text, e.label, e.lang, e.family, e.source) for e in examples
    ]
    assert dump_examples("A1", again) == text


def test_merge_adds_new_lines_and_skips_known_ones(tmp_path):
    path = tmp_path / "A1.examples.yaml"
    path.write_text(GOOD)
    new = [
        Example("Times opened: stuck at ZERO", Label.POSITIVE, "en", "plain", "team", "A1"),
        Example("ouvertures jamais comptées", Label.POSITIVE, "fr", "from_cases", "case-log", "A1"),
    ]
    assert merge_examples(path, "A1", new) == (1, 1)
    texts = [e.text for e in load_examples([path]).examples]
    assert texts[-1] == "ouvertures jamais comptées" and len(texts) == 4


def test_merge_never_rewrites_a_broken_file(tmp_path):
    path = tmp_path / "A1.examples.yaml"
    path.write_text(GOOD.replace("lang: fr", "lang: xx"))
    with pytest.raises(ValueError, match="lang"):
        merge_examples(path, "A1", [])
    assert "lang: xx" in path.read_text()


def test_shipped_examples_are_valid_and_cover_the_languages():
    loaded = _shipped()
    assert loaded.problems == []
    positive_langs = {e.lang for e in loaded.examples if e.label is Label.POSITIVE}
    assert {"en", "fr", "es", "de", "pt", "it", "nl"} <= positive_langs


@functools.cache
def _shipped() -> ExampleSet:
    """The shipped examples files, read once for the module's tests."""
    return load_examples(sorted(KNOWLEDGE_DIR.glob("*.examples.yaml")))


def _training_lines() -> list[str]:
    return [e.text for e in _shipped().examples]


def lookalikes(training: Sequence[str], dev: list[str]) -> list[tuple[str, str, float]]:
    """Training lines of five or more words within token_sort_ratio 90 of a dev line."""
    long = [t for t in training if len(t.split()) >= 5]
    # token_sort_ratio is the ratio of the folded lines with their words sorted: each line
    # is folded and sorted once here, instead of once per pair (the same scores).
    scores = process.cdist(
        [_sorted_words(t) for t in long], [_sorted_words(d) for d in dev],
        scorer=fuzz.ratio, score_cutoff=90, dtype=np.float64,
    )  # fmt: skip
    found = []
    for i, text in enumerate(long):
        j = int(scores[i].argmax()) if dev else -1
        if j >= 0 and scores[i, j] >= 90:
            found.append((text, dev[j], float(scores[i, j])))
    return found


def _sorted_words(text: str) -> str:
    return " ".join(sorted(utils.default_process(text).split()))


def test_no_training_line_copies_or_paraphrases_a_dev_line():
    """The dev set measures; it never teaches."""
    dev = [json.loads(line)["text"] for line in EVAL_SET.read_text().splitlines() if line.strip()]
    assert lookalikes(_training_lines(), dev) == []


@pytest.mark.parametrize("name", ["heldback-v3.jsonl", "heldback-v4.jsonl"])
def test_no_training_line_copies_or_paraphrases_a_held_back_line(name):
    """The held-back fixtures measure new angles; a training line that copies one would
    make them measure memory instead."""
    path = Path(__file__).parent / "fixtures" / name
    held_back = [json.loads(line)["text"] for line in path.read_text().splitlines() if line]
    assert held_back and lookalikes(_training_lines(), held_back) == []


def test_the_firewall_finds_a_reworded_copy():
    dev = ["Why does Times Opened stay at zero for Outlook users, any idea?"]
    training = [
        "any idea why times opened stays at zero for outlook users",
        "five words but unrelated",
    ]
    found = lookalikes(training, dev)
    assert [t for t, _, _ in found] == [training[0]]
    expected = fuzz.token_sort_ratio(training[0], dev[0], processor=utils.default_process)
    assert found[0][1:] == (dev[0], expected)


def test_knowledge_check_validates_the_examples_files(tmp_path):
    import shutil

    from click.testing import CliRunner

    from bot.cli import main

    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, folder)
    ok = CliRunner().invoke(main, ["knowledge", "check", str(folder)])
    assert ok.exit_code == 0, ok.output
    assert any(
        line.startswith("ok: 000385822: ") and "(de, en, es, fr, it, nl, pt)" in line
        for line in ok.output.splitlines()
    )
    path = folder / "000385822.examples.yaml"
    path.write_text(path.read_text().replace("    lang: en\n", "    lang: eng\n", 1))
    bad = CliRunner().invoke(main, ["knowledge", "check", str(folder)])
    assert bad.exit_code == 1
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "lang: eng" in text)
    assert (
        f"{path}:{line}: " in bad.output
        and "'eng' is not allowed; did you mean 'en'?" in bad.output
    )
    (folder / "999.examples.yaml").write_text(GOOD.replace('"A1"', '"999"'))
    orphan = CliRunner().invoke(main, ["knowledge", "check", str(folder)])
    assert "999.examples.yaml:1: article: no article '999' is loaded" in orphan.output


def _lines(article: str, lang: str, count: int) -> list:
    from bot.examples import Example, Label

    return [Example(f"{article} {lang} {i}", Label.POSITIVE, lang, "f", "team", article)
            for i in range(count)]  # fmt: skip


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ({"a": {"en": 100}, "b": {"en": 20}}, []),  # 20 %: enough
        ({"a": {"en": 100}, "b": {"en": 19}}, ["b: 19 positive examples beside 100 for a"]),
        ({"a": {"en": 50, "fr": 50}, "b": {"en": 40, "fr": 7}},
         ["b: fewer than 8 positive examples in a language the other articles are taught in"
          " (fr 7)."]),
        ({"a": {"en": 100}}, []),  # nothing to compete with
    ],
)  # fmt: skip
def test_knowledge_check_warns_about_thin_articles(sizes, expected):
    from bot.examples import ExampleSet, balance_warnings

    examples = [e for a, by_lang in sizes.items() for lang, n in by_lang.items()
                for e in _lines(a, lang, n)]  # fmt: skip
    warnings = balance_warnings(ExampleSet(examples))
    assert len(warnings) == len(expected)
    assert all(w.startswith(e) for w, e in zip(warnings, expected, strict=True))
