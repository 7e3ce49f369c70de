"""The glossary page and the tooltip abbreviations: enough terms, each defined and linked, and no dead or duplicate abbreviations."""

import re
from collections import Counter

import pytest
from doc_pages import DOCS, source_pages

GLOSSARY = DOCS / "glossary" / "index.md"
ABBREVIATIONS = DOCS / "includes" / "abbreviations.md"
DEFINITION = re.compile(r"^\*\[([^\]]+)\]:(.*)$", re.MULTILINE)
LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")

REQUIRED = [
    "ISR", "URP", "EOS", "KRaft", "DLQ", "CDC", "CQRS", "PACELC", "LSM", "SSTable", "TTL", "LRU", "LFU",
    "GCRA", "RPS", "LEO", "WAL", "MVCC", "SLO", "SLA", "SLI", "p99",
]  # fmt: skip


def glossary_terms() -> dict[str, str]:
    """Each `###` term heading of the glossary, mapped to the text below it up to the next heading."""
    terms: dict[str, str] = {}
    current = None
    for line in GLOSSARY.read_text().splitlines():
        if line.startswith("#"):
            current = line[4:].strip() if line.startswith("### ") else None
            if current is not None:
                assert current not in terms, f"glossary term {current!r} appears twice"
                terms[current] = ""
        elif current is not None:
            terms[current] += line + "\n"
    return terms


def abbreviations() -> list[tuple[str, str]]:
    return [(name, expansion.strip()) for name, expansion in DEFINITION.findall(ABBREVIATIONS.read_text())]


def prose(text: str) -> str:
    """Page text that the abbr extension can mark up: fenced and inline code removed."""
    text = re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"`[^`\n]*`", "", text)


def test_the_glossary_has_at_least_100_terms():
    assert len(glossary_terms()) >= 100


def test_every_term_has_a_definition_and_a_link():
    for term, body in glossary_terms().items():
        definition = LINK.sub("", body).replace("See .", "").strip()
        assert len(definition.split()) >= 8, f"{term!r} has no real definition"
        assert LINK.search(body), f"{term!r} links to no page"


def test_every_term_links_to_an_existing_page():
    # Anchors are checked by the strict build and test_build.py; here the target file must exist.
    for term, body in glossary_terms().items():
        for href in LINK.findall(body):
            target = (GLOSSARY.parent / href.split("#")[0]).resolve()
            assert target.is_file(), f"{term!r} links to a missing page {href}"


def test_terms_are_in_alphabetical_order_within_each_group():
    groups: list[list[str]] = []
    for line in GLOSSARY.read_text().splitlines():
        if line.startswith("## "):
            groups.append([])
        elif line.startswith("### "):
            assert groups, "a term comes before the first group heading"
            groups[-1].append(re.sub(r"[^a-z0-9]", "", line[4:].lower()))
    assert len(groups) >= 5
    for terms in groups:
        assert terms == sorted(terms)


@pytest.mark.parametrize("name", REQUIRED)
def test_required_abbreviation_is_defined_with_an_expansion(name):
    expansions = dict(abbreviations())
    assert name in expansions
    assert expansions[name]


def test_every_expansion_is_non_empty():
    assert all(expansion for _, expansion in abbreviations())


def test_no_abbreviation_is_defined_twice():
    counts = Counter(name for name, _ in abbreviations())
    assert [name for name, count in counts.items() if count > 1] == []


def test_every_abbreviation_is_used_on_some_page():
    # Python-Markdown's abbr matches the exact word between \b boundaries, so "SHA-256" uses SHA.
    text = "\n".join(prose(page.read_text()) for page in source_pages())
    unused = [
        name for name, _ in abbreviations() if not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)
    ]
    assert unused == []
