"""Mermaid diagrams in the built site, in real headless Chromium (Debian's), served on a loopback port.

Copy buttons: test_copy_buttons.py. Navigation, dark mode, tags, tooltips, 404: test_navigation.py. Console errors
and foreign requests on every page: test_clean_pages.py.
"""

from urllib.parse import urlsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from doc_pages import site_path, source_pages

# Each drawn diagram's box (Material draws the SVG into a closed shadow root, which sizes the div), how wide its
# content is, and the width of the article it sits in.
DIAGRAM_SIZES = """[...document.querySelectorAll('div.mermaid')].map(d => {
  const box = d.getBoundingClientRect();
  return {width: box.width, height: box.height, content: d.scrollWidth, room: d.closest('article').getBoundingClientRect().width};
})"""


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
        # A sensible size: not a collapsed sliver, at most two screens tall, within the column and not cut off.
        for number, size in enumerate(page.evaluate(DIAGRAM_SIZES)):
            fits = size["width"] <= size["room"] + 1 and size["content"] <= size["width"] + 1
            if not (size["width"] >= 100 and 40 <= size["height"] <= 1440 and fits):
                broken.append((url, number, size))
    assert not broken, broken


def test_pages_without_a_diagram_do_not_load_mermaid(page):
    page.goto("kafka/")
    page.wait_for_load_state("networkidle")
    assert not any("mermaid.min.js" in url for url in page.requests)
    assert page.errors == []
