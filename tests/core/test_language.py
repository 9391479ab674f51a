"""Language detection: short support-chat lines in seven languages, English when unsure.

These lines are written here, not taken from the examples the model learns from, nor
from the dev set.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.language import ENGLISH, clean, detect_language, guess_language, language_score

LINES = [
    ("Opens are not counted for our Outlook users, any idea?", "en"),
    ("why does times opened stay at zero in outlook 2016", "en"),
    ("Warum zählt Salesforce keine Öffnungen, wenn Kunden Outlook benutzen?", "de"),
    ("Kunde hat die Mail gelesen, aber der Status bleibt ungeöffnet", "de"),
    ("Pourquoi le statut reste à non ouvert alors que le client a lu le mail ?", "fr"),
    ("les ouvertures ne remontent pas pour les destinataires sous Outlook", "fr"),
    ("¿Por qué Salesforce no registra las aperturas de los correos en Outlook?", "es"),
    ("el cliente abrió el correo pero sigue sin abrir en el estado", "es"),
    ("Waarom telt Salesforce geen openingen als de klant Outlook gebruikt?", "nl"),
    ("de klant heeft de mail gelezen maar de status blijft niet geopend", "nl"),
    ("Por que o Salesforce não registra as aberturas dos e-mails no Outlook?", "pt"),
    ("o cliente abriu o e-mail mas o status continua como não aberto", "pt"),
    ("Perché Salesforce non conta le aperture delle e-mail in Outlook?", "it"),
    ("il cliente ha letto la mail ma lo stato resta non aperto", "it"),
]


@pytest.mark.parametrize(("text", "language"), LINES)
def test_short_support_lines_in_each_language(text: str, language: str):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "outlook 2010?", "o365", "<@U123> ?", "SF 2007 ?"])
def test_too_little_to_tell_is_english(text: str):
    assert detect_language(text) == ENGLISH


def test_slack_markup_does_not_count():
    assert clean("<@U0AGENT> hi <https://x.example/de-de|link> `code` #support") == "hi"
    assert detect_language("<@U0BOT> " + LINES[2][0]) == "de"


def test_unsure_is_english_but_the_best_guess_is_kept():
    guess = guess_language("Outlook Salesforce HTML Email Status pixel")
    assert guess.language == ENGLISH or guess.confidence >= 0.6


def test_score_leaves_english_and_unlabelled_lines_out():
    score = language_score([(LINES[0][0], "en"), (LINES[2][0], "de"), ("x", "?"),
                            (LINES[4][0], "fr"), (LINES[6][0], "it")])  # fmt: skip
    assert (score.right, score.lines) == (2, 3)
    assert score.accuracy == pytest.approx(2 / 3)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_and_always_names_a_language(text: str):
    assert detect_language(text) in {"en", "de", "fr", "es", "nl", "pt", "it"}


def test_warm_up_trains_once_in_the_background():
    from bot.language import _model, warm_up

    thread = warm_up()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert _model() is _model()  # trained once per process


def test_the_probabilities_are_scikit_learns():
    """The written-out naive Bayes is scikit-learn's CountVectorizer + MultinomialNB."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    from bot.language import GRAMS, SMOOTHING, LanguageModel, training_lines

    texts, langs = training_lines()
    texts, langs = texts[::4], langs[::4]  # a quarter of the lines: the same arithmetic
    ours = LanguageModel.fit(texts, langs)
    theirs = make_pipeline(
        CountVectorizer(analyzer="char_wb", ngram_range=GRAMS), MultinomialNB(alpha=SMOOTHING)
    ).fit(texts, langs)
    assert ours.languages == list(theirs.classes_)
    for text, _ in [*LINES, ("zzzz qqqq", "en")]:
        assert ours.probabilities(clean(text)) == pytest.approx(
            theirs.predict_proba([clean(text)])[0], abs=1e-9
        )


def group(lang: str, text: str) -> str:
    return (
        f"  - label: positive\n    family: opens\n    source: team\n    lang: {lang}\n"
        f'    examples:\n      - "{text}"\n'
    )


def test_the_model_is_cached_and_a_damaged_cache_is_refitted(tmp_path, caplog):
    from bot.language import LanguageModel, cached_model

    folder = tmp_path / "knowledge"
    folder.mkdir()
    groups = [("en", "the customer opened it"), ("de", "der Kunde hat sie geöffnet"),
              ("fr", "le client l'a ouverte")]  # fmt: skip
    (folder / "a.examples.yaml").write_text(
        'article: "a"\ngroups:\n' + "".join(group(lang, text) for lang, text in groups),
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    first = cached_model(folder, cache)
    assert first is not None and first.languages == ["de", "en", "fr"]
    (saved,) = cache.glob("language-*.npz")
    again = cached_model(folder, cache)
    assert again is not None and again.columns == first.columns
    assert again.log_likelihood == pytest.approx(first.log_likelihood)
    saved.write_bytes(b"not a model")
    refitted = cached_model(folder, cache)
    assert "unreadable" in caplog.text
    assert refitted is not None and refitted.columns == first.columns
    assert isinstance(LanguageModel.load(saved), LanguageModel)  # written again, whole
    with (folder / "a.examples.yaml").open("a", encoding="utf-8") as more:
        more.write(group("it", "il cliente l'ha aperta"))
    changed = cached_model(folder, cache)
    assert changed is not None and "it" in changed.languages  # an edit is a new model
    assert len(list(cache.glob("language-*.npz"))) == 2


def test_answering_does_not_import_scikit_learn(tmp_path):
    """Serving loads cached counts: no process pays scikit-learn's import for the language."""
    import subprocess
    import sys

    code = ("import sys; from bot.language import detect_language; "
            "detect_language('Warum zählt Salesforce keine Öffnungen in Outlook?'); "
            "print('sklearn' in sys.modules)")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
