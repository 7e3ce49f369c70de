"""The flash cards: an Anki deck and a CSV built from the question bank's pages, one card per question."""

import csv
import io
import sqlite3
import zipfile

import pytest
from flash_cards import DOWNLOADS, bank, csv_text, deck_bytes, page_url

SITE_URL = "https://guide.example/"


@pytest.fixture(scope="module")
def cards():
    return bank()


def deck_notes(package: bytes, directory) -> list[list[str]]:
    """The fields of every note in an .apkg, read from its SQLite collection; also checks one card per note."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        archive.extract("collection.anki2", directory)
    with sqlite3.connect(directory / "collection.anki2") as collection:
        notes = [fields.split("\x1f") for (fields,) in collection.execute("SELECT flds FROM notes")]
        (card_count,), = collection.execute("SELECT count(*) FROM cards")
    assert card_count == len(notes)
    return notes


def test_the_deck_has_one_card_per_question_and_every_answer_is_filled(cards, tmp_path):
    notes = deck_notes(deck_bytes(cards, SITE_URL), tmp_path)
    assert len(notes) == len(cards) > 200
    assert sorted(question for question, *_ in notes) == sorted(card.heading for card in cards)
    for question, answer, go_deeper, topic, difficulty in notes:
        assert answer.startswith("<p>") and len(answer) > 100, question
        assert go_deeper.startswith(f'<a href="{SITE_URL}') and "#" in go_deeper, question
        assert topic and difficulty in ("basic", "intermediate", "advanced")


def test_the_csv_has_the_same_questions_with_absolute_links(cards):
    rows = list(csv.DictReader(io.StringIO(csv_text(cards, SITE_URL))))
    assert [row["question"] for row in rows] == [card.heading for card in cards]
    assert all(row["answer"].strip() and row["go_deeper"].startswith(SITE_URL) for row in rows)
    assert not any("](../" in row["answer"] for row in rows), "relative links would break outside the site"


@pytest.mark.parametrize(("target", "url"), [
    ("../data/read-replicas.md#read-your-writes", SITE_URL + "data/read-replicas/#read-your-writes"),
    ("databases.md", SITE_URL + "questions/databases/"),
    ("../kafka/index.md#which-broker", SITE_URL + "kafka/#which-broker"),
    ("../index.md", SITE_URL),
    ("#a-question-on-this-page", "#a-question-on-this-page"),
])
def test_links_on_a_bank_page_become_site_urls(target, url):
    assert page_url(target, SITE_URL) == url


def test_the_built_site_offers_both_downloads_from_the_bank_page(site, pages, cards, tmp_path):
    assert len(deck_notes((site / DOWNLOADS["apkg"]).read_bytes(), tmp_path)) == len(cards)
    assert len(list(csv.DictReader(io.StringIO((site / DOWNLOADS["csv"]).read_text())))) == len(cards)
    links = {attributes.get("href") for tag, attributes in pages[site.relative_to(site) / "questions/index.html"].tags if tag == "a"}
    assert {"../downloads/questions.apkg", "../downloads/questions.csv"} <= links
