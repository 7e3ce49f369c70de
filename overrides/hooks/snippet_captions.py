"""Caption every embedded snippet with links to its source lines and to the test that proves it.

A fenced block whose body embeds `--8<-- "topic/file.ext[:section]"` gets a caption after the
fence. The test is found by the project's mirror rule, snippets/<topic>/<stem>.<ext> is proved by
tests/<topic>/test_<stem>.py, and the build fails when that test file does not exist.
"""

import re
from pathlib import Path

from mkdocs.exceptions import PluginError

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<language>[\w+-]*)")
DIRECTIVE = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<target>[^"]+)"\s*$')
SECTION = re.compile(r"--8<-- \[(?P<edge>start|end):(?P<name>[\w-]+)\]")

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "snippets"
TESTS = ROOT / "tests"


def snippet_test(relative: str) -> Path:
    """The test file that proves snippets/<relative>, by the mirror rule."""
    path = Path(relative)
    return TESTS / path.parent / f"test_{path.stem}.py"


def section_lines(source: Path, name: str) -> tuple[int, int]:
    """First and last line numbers (1-based) of a named section's content."""
    start = end = None
    for number, line in enumerate(source.read_text().splitlines(), start=1):
        marker = SECTION.search(line)
        if marker and marker["name"] == name:
            if marker["edge"] == "start":
                start = number + 1
            else:
                end = number - 1
    if start is None or end is None:
        raise PluginError(f"snippets/{source.relative_to(SNIPPETS)} has no section named {name!r}")
    return start, end


def caption(target: str, blob_url: str) -> str:
    relative, _, section = target.partition(":")
    source = SNIPPETS / relative
    if not source.is_file():
        return ""  # not a snippet (an include from docs/includes); pymdownx.snippets checks paths
    test = snippet_test(relative)
    if not test.is_file():
        raise PluginError(f"snippets/{relative} is embedded but has no test: expected {test.relative_to(ROOT)}")
    anchor = ""
    if section:
        first, last = section_lines(source, section)
        anchor = f"#L{first}-L{last}"
    test_path = test.relative_to(ROOT).as_posix()
    return (
        f"[:material-file-code-outline: `snippets/{relative}`]({blob_url}snippets/{relative}{anchor})"
        f" · [:material-check-decagram-outline: proved by `{test_path}`]({blob_url}{test_path})"
    )


def fenced_blocks(lines: list[str]):
    """(opening index, closing index, indent, language) of each fenced code block in `lines`."""
    opening = None
    for index, line in enumerate(lines):
        match = FENCE.match(line)
        if not match:
            continue
        if opening is None:
            opening = index, match
        elif (
            not match["language"]
            and match["fence"][0] == opening[1]["fence"][0]
            and len(match["fence"]) >= len(opening[1]["fence"])
        ):
            start, fence = opening
            yield start, index, fence["indent"], fence["language"].lower()
            opening = None


def captioned(markdown: str, blob_url: str) -> str:
    lines = markdown.splitlines()
    after = {}
    for start, end, indent, _ in fenced_blocks(lines):
        targets = [match["target"] for line in lines[start + 1 : end] if (match := DIRECTIVE.match(line))]
        links = [text for text in (caption(target, blob_url) for target in targets) if text]
        if links:
            body = [f"{indent}{text}<br>" for text in links[:-1]] + [f"{indent}{links[-1]}"]
            after[end] = ["", *body, f"{indent}{{ .snippet-caption }}", ""]
    out = []
    for index, line in enumerate(lines):
        out += [line, *after.get(index, [])]
    return "\n".join(out) + "\n"


def on_page_markdown(markdown, page, config, files):
    blob_url = config["repo_url"].rstrip("/") + "/blob/main/"
    return captioned(markdown, blob_url)
