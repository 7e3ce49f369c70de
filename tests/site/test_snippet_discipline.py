"""The rules that keep every copyable line of code on the site proven."""

import re
from pathlib import Path

import pytest
from doc_pages import page_id, site_path, source_pages
from snippet_captions import DIRECTIVE, ROOT, SNIPPETS, fenced_blocks, snippet_test

RUNNABLE = {
    *("python", "py", "python3", "py3", "pycon"),
    *("sql", "postgresql", "psql", "plpgsql", "sqlite", "mysql"),
    *("java", "kotlin", "scala", "javascript", "js", "typescript", "ts", "go", "csharp", "lua"),
}
MAX_INLINE_LINES = 3


def snippet_files() -> list[str]:
    return sorted(
        path.relative_to(SNIPPETS).as_posix()
        for path in SNIPPETS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


def embedded_in(markdown: str) -> set[str]:
    """The files a page embeds, without their section names."""
    return {match["target"].partition(":")[0] for line in markdown.splitlines() if (match := DIRECTIVE.match(line))}


def embedded() -> set[str]:
    return {target for page in source_pages() for target in embedded_in(page.read_text())}


def test_there_are_snippets_to_check():
    assert snippet_files()


@pytest.mark.parametrize("snippet", snippet_files())
def test_every_snippet_is_embedded_by_a_page(snippet):
    assert snippet in embedded(), f"snippets/{snippet} is on no page"


@pytest.mark.parametrize("snippet", snippet_files())
def test_every_snippet_has_a_mirror_test_that_names_it(snippet):
    path, test = Path(snippet), snippet_test(snippet)
    assert test.is_file(), f"snippets/{snippet} needs {test.relative_to(ROOT)}"
    source = test.read_text()
    named = path.name in source or re.search(rf"\bimport\b.*\b{path.stem}\b|\b{path.stem}\b.*\bimport\b", source)
    assert named, f"{test.relative_to(ROOT)} never names {path.name}"


def inline_runnable_blocks(markdown: str):
    """(language, line number, length) of each fenced block of program code written in the page itself."""
    lines = markdown.splitlines()
    for start, end, _, language in fenced_blocks(lines):
        length = sum(1 for line in lines[start + 1 : end] if line.strip() and not DIRECTIVE.match(line))
        if language in RUNNABLE and length:
            yield language, start + 1, length


@pytest.mark.parametrize("page", source_pages(), ids=page_id)
def test_pages_write_no_runnable_code_inline(page):
    too_long = [block for block in inline_runnable_blocks(page.read_text()) if block[2] > MAX_INLINE_LINES]
    assert not too_long, f"move these blocks to snippets/: {too_long}"


def test_the_inline_code_rule_catches_a_long_block():
    page = "Text\n\n```python\nimport os\nprint(1)\nprint(2)\nprint(3)\n```\n\n```sql\n--8<-- \"sql/x.sql\"\n```\n"
    page += "\n```java\nconsumer.poll(timeout);\n```\n\n```properties\nacks=all\n```\n"
    assert list(inline_runnable_blocks(page)) == [("python", 3, 4), ("java", 14, 1)]


def test_every_embedded_snippet_is_captioned_on_its_page(site):
    for page in source_pages():
        targets = embedded_in(page.read_text()) & set(snippet_files())
        if not targets:
            continue
        html = (site / site_path(page) / "index.html").read_text()
        captions = re.findall(r'<p class="snippet-caption">(.*?)</p>', html, re.DOTALL)
        for target in targets:
            test = snippet_test(target).relative_to(ROOT).as_posix()
            assert any(f"/snippets/{target}" in c and f"/{test}" in c for c in captions), (page, target)
