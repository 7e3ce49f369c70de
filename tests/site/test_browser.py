"""The built site in real headless Chromium (Debian's), served on a loopback port."""

import textwrap
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from doc_pages import site_path, source_pages
from snippet_captions import SNIPPETS, section_lines


def section(relative: str, name: str) -> str:
    source = SNIPPETS / relative
    first, last = section_lines(source, name)
    return textwrap.dedent("\n".join(source.read_text().splitlines()[first - 1 : last]))


def test_mermaid_renders_from_the_site_itself_and_nothing_leaves_loopback(page):
    page.goto("./")
    diagram = page.locator("div.mermaid").first
    diagram.wait_for(state="attached", timeout=15_000)
    # Until Mermaid has drawn into it, the div is empty and has no height.
    page.wait_for_function("(r => r.width > 400 && r.height > 50)(document.querySelector('div.mermaid').getBoundingClientRect())")
    assert any(url.endswith("/vendor/mermaid.min.js") for url in page.requests)
    assert {urlsplit(url).hostname for url in page.requests} == {"127.0.0.1"}
    assert page.errors == []


def pages_with_diagrams() -> list[str]:
    """Site URLs, relative to its root, of every page with a Mermaid fence in its source."""
    return [site_path(page) for page in source_pages() if "```mermaid" in page.read_text()]


def test_every_diagram_on_every_page_renders_without_errors(page):
    urls = pages_with_diagrams()
    assert len(urls) > 10
    broken = []
    for url in urls:
        page.errors.clear()
        page.goto(url)
        try:
            # Material swaps each <pre class="mermaid"> for a drawn <div>; a parse error leaves the <pre>.
            page.wait_for_function("[...document.querySelectorAll('.mermaid')].every(d => d.tagName === 'DIV' && d.getBoundingClientRect().height > 20)", timeout=10_000)
        except PlaywrightTimeout:
            broken.append((url, page.errors[:1] or ["diagram not drawn"]))
            continue
        if page.errors:
            broken.append((url, page.errors[:1]))
    assert not broken


def test_pages_without_a_diagram_do_not_load_mermaid(page):
    page.goto("kafka/")
    page.wait_for_load_state("networkidle")
    assert not any("mermaid.min.js" in url for url in page.requests)
    assert page.errors == []


def test_copy_button_copies_exactly_the_snippet_section(page):
    page.goto("traffic-control/rate-limiting/token-bucket/")
    block = page.locator(".highlight", has_text="class TokenBucket").first
    block.hover()
    block.locator("button[data-md-type=copy]").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == section("rate_limiting/token_bucket.py", "limiter")


def test_dark_mode_toggle_switches_the_palette(page):
    page.goto("./")
    scheme = lambda: page.evaluate("document.body.getAttribute('data-md-color-scheme')")  # noqa: E731
    before = scheme()
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    assert {before, scheme()} == {"default", "slate"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("token bucket", "traffic-control/rate-limiting/token-bucket/"),
        ("429", "traffic-control/rate-limiting/http/"),
        ("burst", "traffic-control/rate-limiting/token-bucket/"),
    ],
)
def test_search_finds_the_concept_in_its_top_three_results(page, query, expected):
    page.goto("./")
    page.locator("input.md-search__input").click()
    page.keyboard.type(query)  # typing, not fill(): search runs on key events
    page.locator(".md-search-result__item").first.wait_for()
    top = page.evaluate("[...document.querySelectorAll('.md-search-result__item > a')].slice(0, 3).map(a => a.href)")
    assert any(expected in href for href in top), top
