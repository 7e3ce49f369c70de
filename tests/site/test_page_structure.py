"""The house structure of concept pages and of the question bank, read from the Markdown sources."""

import re
from pathlib import Path

import pytest
from doc_pages import DOCS, page_id, source_pages
from snippet_captions import fenced_blocks

QUESTIONS = DOCS / "questions"
NOT_CONCEPTS = {"questions", "glossary", "labs", "includes"}
LINK = re.compile(r"\[[^\]]+\]\((?P<target>[^)\s]+)\)")
DIFFICULTY = re.compile(r"^\*\*Difficulty:\*\* (basic|intermediate|advanced)$")
# Kafka tools that work on local files or start a server, and so take no bootstrap address
OFFLINE_TOOLS = {"kafka-storage.sh", "kafka-server-start.sh", "kafka-server-stop.sh", "kafka-dump-log.sh", "kafka-run-class.sh"}


def concept_pages() -> list[Path]:
    return [page for page in source_pages() if page.name != "index.md" and not NOT_CONCEPTS & set(page.relative_to(DOCS).parts)]


def question_pages() -> list[Path]:
    return sorted(QUESTIONS.glob("*.md"))


def outside_fences(markdown: str) -> list[str]:
    """The page's lines with every fenced block blanked, so code cannot pose as a heading."""
    lines = markdown.splitlines()
    for start, end, _, _ in fenced_blocks(lines):
        lines[start : end + 1] = [""] * (end + 1 - start)
    return lines


def sections(markdown: str, level: int) -> list[tuple[str, list[str]]]:
    """(heading, body lines) for each heading of exactly `level` hashes."""
    marker = "#" * level + " "
    found: list[tuple[str, list[str]]] = []
    for line in outside_fences(markdown):
        if line.startswith(marker):
            found.append((line[len(marker) :].strip(), []))
        elif found and re.match(rf"^#{{1,{level}}} ", line):
            found.append(("", []))
        elif found:
            found[-1][1].append(line)
    return [section for section in found if section[0]]


@pytest.mark.parametrize("page", concept_pages(), ids=page_id)
def test_concept_pages_end_with_interview_angle_then_related(page):
    headings = [heading for heading, _ in sections(page.read_text(), 2)]
    assert headings[-2:] == ["Interview angle", "Related"], headings


@pytest.mark.parametrize("page", concept_pages(), ids=page_id)
def test_interview_angle_links_only_into_the_question_bank(page):
    body = dict(sections(page.read_text(), 2))["Interview angle"]
    targets = [match["target"] for line in body for match in LINK.finditer(line)]
    assert targets, "the interview angle names no question"
    resolved = [(page.parent / target.partition("#")[0]).resolve() for target in targets]
    assert all(target.parent == QUESTIONS and "#" in link for target, link in zip(resolved, targets)), targets


def questions() -> list[tuple[Path, str, list[str]]]:
    return [(page, heading, body) for page in question_pages() for heading, body in sections(page.read_text(), 3)]


def test_the_question_bank_has_questions():
    assert len(questions()) >= 20


@pytest.mark.parametrize(("page", "question", "body"), questions(), ids=lambda value: value if isinstance(value, str) else "")
def test_each_question_has_a_difficulty_a_folded_answer_and_a_way_deeper(page, question, body):
    text = [line for line in body if line.strip()]
    assert DIFFICULTY.match(text[0]), f"{question}: first line must be the difficulty"
    assert text[1] == '??? question "Answer"', f"{question}: the answer must be folded"
    answer = text[2:]
    assert all(line.startswith("    ") for line in answer), f"{question}: the whole answer sits inside the fold"
    deeper = [line for line in answer if line.strip().startswith("**Go deeper:**")]
    assert deeper and LINK.search(deeper[0]), f"{question}: no Go deeper link"


def normalised(question: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", question.lower()).strip()


def test_each_question_appears_once_in_the_whole_bank():
    seen: dict[str, str] = {}
    repeated = []
    for page, question, _ in questions():
        key = normalised(question)
        if key in seen:
            repeated.append((question, seen[key], page_id(page)))
        seen[key] = page_id(page)
    assert not repeated


def shell_commands(markdown: str):
    """Each command in the page's shell blocks, with backslash continuations joined."""
    lines = markdown.splitlines()
    for start, end, _, language in fenced_blocks(lines):
        if language not in ("bash", "sh", "shell", "console"):
            continue
        joined = "\n".join(lines[start + 1 : end]).replace("\\\n", " ")
        yield from (command.strip().removeprefix("$ ") for command in joined.splitlines() if command.strip())


def kafka_tool(command: str) -> str | None:
    match = re.search(r"(kafka-[\w-]+\.sh)", command)
    return match[1] if match else None


def commands_without_bootstrap(markdown: str) -> list[str]:
    """Kafka CLI commands that would not reach a KRaft-era cluster."""
    online = [c for c in shell_commands(markdown) if kafka_tool(c) and kafka_tool(c) not in OFFLINE_TOOLS]
    return [c for c in online if "--zookeeper" in c or not re.search(r"--bootstrap-(server|controller)\b", c)]


@pytest.mark.parametrize("page", sorted((DOCS / "kafka").glob("*.md")), ids=page_id)
def test_kafka_cli_examples_connect_with_bootstrap_flags(page):
    assert not commands_without_bootstrap(page.read_text())


def test_the_cli_rule_joins_continuations_and_catches_zookeeper():
    page = "```bash\nbin/kafka-topics.sh --alter --topic t \\\n  --partitions 6 --bootstrap-server b:9092\n```\n"
    page += "```bash\nkafka-topics.sh --zookeeper z:2181 --list\nbin/kafka-storage.sh format -t id -c server.properties\n```\n"
    assert commands_without_bootstrap(page) == ["kafka-topics.sh --zookeeper z:2181 --list"]
