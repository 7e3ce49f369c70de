"""The question bank as flash cards: an Anki deck and a CSV, generated from the bank's pages at every build.

The pages under docs/questions/ are the one source. Each question block has this shape:

    ### Heading?

    **Difficulty:** basic

    ??? question "Answer"
        The answer, three to eight sentences.

        **Go deeper:** [Page: section](../section/page.md#anchor)

`questions(path)` parses one page, and the build adds downloads/questions.apkg and downloads/questions.csv to the site.
"""

import csv
import io
import posixpath
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import genanki
import markdown
from mkdocs.structure.files import File

DIFFICULTIES = ("basic", "intermediate", "advanced")
GO_DEEPER = re.compile(r"^\*\*Go deeper:\*\* (?P<links>.+)$")
LINK = re.compile(r"\[(?P<title>[^\]]+)\]\((?P<target>[^)\s]+)\)")
DIFFICULTY = re.compile(r"^\*\*Difficulty:\*\* (?P<level>\S+)$")
FOLD = '??? question "Answer"'
DOWNLOADS = {"apkg": "downloads/questions.apkg", "csv": "downloads/questions.csv"}
DECK_ID, MODEL_ID = 1_733_552_001, 1_733_552_002  # fixed, so a re-imported deck updates the cards readers have


@dataclass(frozen=True)
class Question:
    page: str  # the page's file stem, which is its group
    section: str  # the "## " section above the question, "" when the page has none
    heading: str
    difficulty: str
    answer: str  # the folded answer, unindented, without the Go deeper line
    go_deeper: tuple[tuple[str, str], ...]  # (title, target) of every link on the Go deeper line


def questions(path: Path) -> list[Question]:
    """Every question block of one bank page, in page order.

    A block is `### Heading`, blank, `**Difficulty:** level`, blank, `??? question "Answer"`, then the answer
    indented by four spaces, a blank line and an indented `**Go deeper:**` line. Raises ValueError naming the
    page and heading when a block does not have that shape.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Question] = []
    section = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line[3:].strip()
        if not line.startswith("### "):
            index += 1
            continue
        heading = line[4:].strip()
        where = f"{path.name}: {heading!r}"
        if lines[index + 1 : index + 2] != [""]:
            raise ValueError(f"{where}: expected a blank line after the heading")
        difficulty = DIFFICULTY.match(lines[index + 2]) if index + 2 < len(lines) else None
        if difficulty is None:
            raise ValueError(f"{where}: expected '**Difficulty:** level' two lines below the heading")
        if lines[index + 3 : index + 5] != ["", FOLD]:
            raise ValueError(f"{where}: expected a blank line and {FOLD} below the difficulty")
        body: list[str] = []
        index += 5
        while index < len(lines) and (lines[index].startswith("    ") or lines[index] == ""):
            body.append(lines[index][4:])
            index += 1
        while body and body[-1] == "":
            body.pop()
        links_lines = [text for text in body if GO_DEEPER.match(text)]
        answer = "\n".join(text for text in body if not GO_DEEPER.match(text)).strip()
        go_deeper = tuple(
            (link["title"], link["target"]) for text in links_lines for link in LINK.finditer(GO_DEEPER.match(text)["links"])
        )
        found.append(Question(path.stem, section, heading, difficulty["level"], answer, go_deeper))
    return found


def bank(directory: Path = Path(__file__).resolve().parents[2] / "docs" / "questions") -> list[Question]:
    """Every question of every bank page, pages in name order."""
    return [question for page in sorted(directory.glob("*.md")) for question in questions(page)]


def page_url(target: str, site_url: str) -> str:
    """A link written on a bank page ("../data/x.md#a") as an absolute URL of the built site."""
    path, _, anchor = target.partition("#")
    if not path:
        return target
    page = posixpath.normpath(posixpath.join("questions", path)).removesuffix(".md")
    directory = page.removesuffix("index") if page == "index" or page.endswith("/index") else page + "/"
    return site_url + directory + (f"#{anchor}" if anchor else "")


def absolute_links(text: str, site_url: str) -> str:
    return LINK.sub(lambda link: f"[{link['title']}]({page_url(link['target'], site_url)})", text)


def rows(cards: list[Question], site_url: str) -> list[dict[str, str]]:
    return [{
        "topic": card.page.replace("-", " ").capitalize(), "section": card.section, "question": card.heading,
        "difficulty": card.difficulty, "answer": absolute_links(card.answer, site_url),
        "go_deeper": " ".join(page_url(target, site_url) for _, target in card.go_deeper),
    } for card in cards]


def csv_text(cards: list[Question], site_url: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["topic", "section", "question", "difficulty", "answer", "go_deeper"])
    writer.writeheader()
    writer.writerows(rows(cards, site_url))
    return out.getvalue()


MODEL = genanki.Model(
    MODEL_ID, "Field guide question",
    fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Go deeper"}, {"name": "Topic"}, {"name": "Difficulty"}],
    templates=[{
        "name": "Answer the question",
        "qfmt": "<div class=topic>{{Topic}} · {{Difficulty}}</div><h3>{{Question}}</h3>",
        "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}<p>{{Go deeper}}</p>",
    }],
    css=".card { font-family: sans-serif; font-size: 18px; text-align: left; } .topic { color: #666; font-size: 14px; }",
)


def deck_bytes(cards: list[Question], site_url: str) -> bytes:
    """An Anki package: one note and one card per question, tagged with its topic and difficulty."""
    deck = genanki.Deck(DECK_ID, "Kafka & System Design Field Guide")
    for card, row in zip(cards, rows(cards, site_url)):
        links = " ".join(f'<a href="{url}">Go deeper</a>' for url in row["go_deeper"].split())
        deck.add_note(genanki.Note(
            model=MODEL,
            fields=[card.heading, markdown.markdown(row["answer"]), links, row["topic"], card.difficulty],
            guid=genanki.guid_for(card.page, card.heading),
            tags=[card.page, card.difficulty],
        ))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "questions.apkg"
        genanki.Package(deck).write_to_file(path)
        return path.read_bytes()


def on_files(files, config):
    cards = bank(Path(config["docs_dir"]) / "questions")
    site_url = config["site_url"] or "/"
    files.append(File.generated(config, DOWNLOADS["csv"], content=csv_text(cards, site_url)))
    files.append(File.generated(config, DOWNLOADS["apkg"], content=deck_bytes(cards, site_url)))
    return files
