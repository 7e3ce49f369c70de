import pytest
import snippet_captions
from mkdocs.exceptions import PluginError

BLOB = "https://example.org/repo/blob/main/"


def test_a_fenced_snippet_gets_a_caption_linking_its_lines_and_its_test():
    page = 'Intro\n\n```python\n--8<-- "rate_limiting/token_bucket.py:limiter"\n```\n\nAfter\n'
    start, end = snippet_captions.section_lines(snippet_captions.SNIPPETS / "rate_limiting/token_bucket.py", "limiter")
    out = snippet_captions.captioned(page, BLOB)
    assert f"({BLOB}snippets/rate_limiting/token_bucket.py#L{start}-L{end})" in out
    assert f"({BLOB}tests/rate_limiting/test_token_bucket.py)" in out
    assert out.index("{ .snippet-caption }") > out.index("```\n") and out.rstrip().endswith("After")


def test_section_lines_point_at_the_section_content():
    source = snippet_captions.SNIPPETS / "rate_limiting/token_bucket.py"
    start, end = snippet_captions.section_lines(source, "limiter")
    lines = source.read_text().splitlines()
    assert lines[start - 1].startswith('"""Token bucket')
    assert "--8<-- [end:limiter]" in lines[end]


def test_a_caption_inside_a_tab_keeps_the_tab_indentation():
    page = '=== "Code"\n\n    ```python\n    --8<-- "rate_limiting/token_bucket.py:usage"\n    ```\n'
    out = snippet_captions.captioned(page, BLOB)
    assert "\n    { .snippet-caption }" in out


def test_fences_without_snippets_and_includes_are_left_alone():
    page = "```text\nplain\n```\n\n```text\n--8<-- \"abbreviations.md\"\n```\n"
    assert snippet_captions.captioned(page, BLOB) == page


def test_a_snippet_without_a_test_fails_the_build(tmp_path, monkeypatch):
    (tmp_path / "snippets/topic").mkdir(parents=True)
    (tmp_path / "snippets/topic/orphan.py").write_text("x = 1\n")
    monkeypatch.setattr(snippet_captions, "SNIPPETS", tmp_path / "snippets")
    monkeypatch.setattr(snippet_captions, "TESTS", tmp_path / "tests")
    monkeypatch.setattr(snippet_captions, "ROOT", tmp_path)
    with pytest.raises(PluginError, match="orphan.py is embedded but has no test"):
        snippet_captions.captioned('```python\n--8<-- "topic/orphan.py"\n```\n', BLOB)


def test_an_unknown_section_fails_the_build():
    with pytest.raises(PluginError, match="no section named 'nope'"):
        snippet_captions.captioned('```python\n--8<-- "rate_limiting/token_bucket.py:nope"\n```\n', BLOB)


def test_fences_nest_by_character_and_length_and_close_without_a_language():
    lines = ["````markdown", "```python", "x = 1", "```", "````", "~~~sql", "select 1;", "~~~"]
    assert list(snippet_captions.fenced_blocks(lines)) == [(0, 4, "", "markdown"), (5, 7, "", "sql")]
