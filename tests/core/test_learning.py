"""`learn`: the case log's candidates, reviewed into the examples, on real files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.examples import dump_examples, load_examples, parse_examples_file
from bot.learning import guess_language
from bot.store import Store
from tests.conftest import KNOWLEDGE_DIR

ARTICLE = "000385822"
FIXED = "opens never show for the buyer on outlook, sorted by the safe senders steps"
REJECTED = "our newsletter tool shows opens but salesforce reports look odd"
DIRECT_MISS = "le compteur de la campagne ne bouge plus depuis lundi"
CHANNEL_MISS = "anyone seen the new dashboards?"


@pytest.fixture(scope="module")
def sampled_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped articles with a sample of each examples file: `learn` reads every
    examples file to leave out what they already have, and these tests are about the
    case log's candidates, not about the size of the shipped files."""
    folder = tmp_path_factory.mktemp("sampled") / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, folder)
    for path in folder.glob("*.examples.yaml"):
        examples, problems = parse_examples_file(path)
        assert examples and not problems
        sample = examples[:: max(1, len(examples) // 60)]
        path.write_text(dump_examples(examples[0].article_id, sample), encoding="utf-8")
    return folder


@pytest.fixture
def setup(sampled_knowledge: Path, tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(sampled_knowledge, knowledge)
    db = tmp_path / "cases.db"
    store = Store(db)
    fixed = store.cases.open(source="channel", level="answer", question=FIXED, article_id=ARTICLE)
    rejected = store.cases.open(
        source="channel", level="suggest", question=REJECTED, article_id=ARTICLE
    )
    store.cases.open(
        source="dm", level="answer", question="no click on this one", article_id=ARTICLE
    )
    store.cases.record_click(fixed.id, "U1", "case_resolved")
    store.cases.record_click(rejected.id, "U2", "suggestion_rejected")
    store.gaps.record(source="dm", reason="no article matched", question=DIRECT_MISS)
    store.gaps.record(source="channel", reason="no article matched", question=CHANNEL_MISS)
    store.close()
    for name in ("STORE_QUESTION_TEXT", "MATCH_ANSWER_THRESHOLD", "MATCH_SUGGEST_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("EMAILSTATUS_DB", str(db))
    return knowledge, tmp_path / "candidates.yaml"


def learn(*args: str):
    return CliRunner().invoke(main, ["learn", *args])


def test_out_lists_each_kind_of_candidate_with_its_case_and_reason(setup):
    _, out = setup
    result = learn("--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.endswith(
        f"3 candidate(s) written to {out}: 1 positive, 1 negative, 1 to review.\n"
    )
    rows = yaml.safe_load(out.read_text())["candidates"]
    assert [(r["case"], r["gap"], r["label"], r["reason"], r["text"], r["lang"]) for r in rows] == [
        (1, None, "positive", "answer marked 'That fixed it'", FIXED, "en"),
        (2, None, "negative", "suggestion answered 'No'", REJECTED, "en"),
        (None, 1, "review", "asked directly, no article matched", DIRECT_MISS, "fr"),
    ]
    assert any("learn --accept" in line for line in out.read_text().splitlines()[:8])
    assert [(r["article"], r["file"]) for r in rows] == [
        (ARTICLE, str(setup[0] / f"{ARTICLE}.examples.yaml")),
        (ARTICLE, str(setup[0] / f"{ARTICLE}.examples.yaml")),
        ("", "(the article you name)"),  # unmatched: no article pre-filled as "the answer"
    ]


def test_a_fixed_case_that_ended_escalated_is_no_positive(setup, tmp_path):
    store = Store(tmp_path / "cases.db")
    escalated = store.cases.open(
        source="console", level="answer", question="gmail readers never count as opened",
        article_id=ARTICLE,
    )  # fmt: skip
    store.cases.record_click(escalated.id, "console", "case_resolved")
    store.cases.record_click(escalated.id, "console", "case_escalate")
    assert store.cases.get(escalated.id).status == "escalated"
    store.close()
    _, out = setup
    assert learn("--out", str(out)).exit_code == 0
    rows = yaml.safe_load(out.read_text())["candidates"]
    assert escalated.id not in [r["case"] for r in rows]
    assert [r["case"] for r in rows if r["label"] == "positive"] == [1]


def test_no_candidate_is_offered_twice(setup, tmp_path):
    _, out = setup
    assert learn("--out", str(out)).output.endswith("1 to review.\n")
    again = learn("--out", str(out))
    assert again.exit_code == 0 and "0 candidate(s)" in again.output
    assert learn("--out", str(out), "--again").output.startswith("3 candidate(s)")


def test_merged_candidates_are_not_offered_again(setup, tmp_path):
    _, out = setup
    learn("--out", str(out), "--again")
    assert learn("--accept", str(out)).exit_code == 0
    result = learn("--out", str(out), "--again")
    assert "0 positive, 0 negative, 1 to review" in result.output  # the review one stays


def test_since_leaves_older_cases_out(setup):
    _, out = setup
    result = learn("--out", str(out), "--since", "2999-01-01")
    assert result.exit_code == 0 and "0 candidate(s)" in result.output
    assert "Invalid value" in learn("--out", str(out), "--since", "last week").output


def test_accept_merges_reviewed_lines_skips_duplicates_and_undecided(setup):
    knowledge, out = setup
    assert learn("--out", str(out)).exit_code == 0
    before = load_examples([knowledge / f"{ARTICLE}.examples.yaml"]).examples
    result = learn("--accept", str(out))
    assert result.exit_code == 0, result.output
    assert (
        "2 added, 0 already known, 1 left for review. Next: emailstatus-bot replay" in result.output
    )
    after = load_examples([knowledge / f"{ARTICLE}.examples.yaml"]).examples
    new = [(e.text, e.label.value, e.source, e.family) for e in after[len(before) :]]
    assert sorted(new) == sorted([
        (FIXED, "positive", "case-log", "from_cases"),
        (REJECTED, "negative", "case-log", "from_cases"),
    ])  # fmt: skip
    again = learn("--accept", str(out))
    assert "0 added, 2 already known, 1 left for review" in again.output


def test_accept_refuses_a_bad_review_and_names_the_item(setup):
    knowledge, out = setup
    learn("--out", str(out))
    out.write_text(out.read_text().replace("label: negative", "label: maybe"))
    result = learn("--accept", str(out))
    assert result.exit_code == 1
    assert "candidates[1]: label must be positive, negative or review, not 'maybe'" in result.output
    assert len(load_examples([knowledge / f"{ARTICLE}.examples.yaml"]).problems) == 0


def test_with_question_text_off_there_is_nothing_to_learn(setup, monkeypatch):
    _, out = setup
    monkeypatch.setenv("STORE_QUESTION_TEXT", "false")
    result = learn("--out", str(out))
    assert result.exit_code == 1
    assert "nothing to learn from: STORE_QUESTION_TEXT=false" in result.output
    assert not out.exists()


def test_out_and_accept_are_one_or_the_other(setup):
    assert learn().exit_code == 2


@pytest.mark.parametrize(
    ("text", "lang"),
    [("why is the status not updating for my emails", "en"),
     ("pourquoi le statut ne change pas pour les e-mails", "fr"),
     ("por que el estado no se actualiza en los correos", "es"),
     ("warum ist der Status nicht aktualisiert bei den Mails", "de"),
     ("por que o status não atualiza nos e-mails do cliente", "pt"),
     ("perché lo stato non si aggiorna per le email", "it"),
     ("waarom is de status niet bijgewerkt bij mijn mails", "nl"),
     ("12345", "en")],
)  # fmt: skip
def test_guess_language_prefills_the_reviewers_lang(text, lang):
    assert guess_language(text) == lang
