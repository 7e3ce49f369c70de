"""What the built site loads only when a reader needs it: Mermaid diagrams and code blocks' copy buttons once they come
into view, code blocks' rendering once they near it, the search index once a reader reaches for search. In real
headless Chromium (Debian's), served on a loopback port.

Copy buttons: test_copy_buttons.py. Navigation, dark mode, tags, tooltips, 404: test_navigation.py. Console errors,
foreign requests, every diagram's size and axe-core on every page: test_every_page.py.
"""

from urllib.parse import urlsplit

import pytest
from test_every_page import RENDER_EVERY_CODE_BLOCK
from test_page_weight import SEARCH_INDEX


def test_mermaid_loads_from_the_site_itself_only_when_a_diagram_nears_the_viewport(page):
    page.goto("./")
    page.wait_for_load_state("networkidle")
    fence = page.locator("pre.mermaid").first
    height = page.viewport_size["height"]
    assert fence.bounding_box()["y"] > 1.5 * height  # further down than the loader looks ahead
    assert not any("mermaid.min.js" in url for url in page.requests)
    fence.scroll_into_view_if_needed()
    # Until Mermaid has drawn into it, the div is empty and has no height.
    page.wait_for_function("(box => box?.width > 300 && box.height > 50)"
                           "(document.querySelector('div.mermaid')?.getBoundingClientRect())")
    assert any(url.endswith("/vendor/mermaid.min.js") for url in page.requests)
    assert {urlsplit(url).hostname for url in page.requests} == {"127.0.0.1"}
    assert page.errors == []


def test_pages_without_a_diagram_do_not_load_mermaid(page):
    page.goto("kafka/")
    page.wait_for_load_state("networkidle")
    assert not any("mermaid.min.js" in url for url in page.requests)
    assert page.errors == []


# For each code block on the page: whether it has a copy button, whether the Tab key can reach it, and whether its
# lines overflow it.
CODE_BLOCKS = """[...document.querySelectorAll('pre:not(.mermaid) > code')].map(code => ({
  button: !!code.parentElement.querySelector('button[data-md-type=copy]'),
  focusable: code.getAttribute('tabindex') === '0',
  overflows: code.scrollWidth > code.clientWidth,
}))"""


def test_a_code_block_gets_its_copy_button_in_view_and_is_focusable_before(page):
    page.goto("data/query-optimization/")
    page.wait_for_load_state("networkidle")
    blocks = page.evaluate(CODE_BLOCKS)
    assert len(blocks) >= 10
    assert sum(block["button"] for block in blocks) < len(blocks) / 2  # the first screen's blocks at most
    assert blocks[-1]["button"] is False and blocks[-1]["focusable"] is True
    page.locator("pre:not(.mermaid) > code").last.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelectorAll('pre:not(.mermaid) > code')[%d]"
                           ".parentElement.querySelector('button[data-md-type=copy]')" % (len(blocks) - 1))
    last = page.evaluate(CODE_BLOCKS)[-1]
    assert last["button"] is True
    # Once set up, a block keeps the keyboard stop only if a reader needs it to scroll the block sideways.
    assert page.evaluate("matchMedia('(hover)').matches") is True
    assert last["focusable"] == last["overflows"]
    assert page.errors == []


# Each code block's height, and whether the browser skips rendering it for now (content-visibility: auto; a block
# in a hidden tab is not rendered either, but is not skipped).
CODE_BLOCK_HEIGHTS = """[...document.querySelectorAll('.highlight pre > code')].map(code => ({
  height: code.parentElement.getBoundingClientRect().height,
  skipped: code.checkVisibility() && !code.checkVisibility({contentVisibilityAuto: true}),
}))"""


@pytest.mark.parametrize("width", [412, 1280, 2000])  # a phone; a laptop; a screen on which Material sets larger type
def test_code_blocks_off_screen_are_not_rendered_yet_and_hold_their_true_height(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("kafka/backpressure/")
    page.wait_for_load_state("networkidle")
    placeholders = page.evaluate(CODE_BLOCK_HEIGHTS)
    assert len(placeholders) >= 5 and sum(block["skipped"] for block in placeholders) >= len(placeholders) - 2
    page.add_style_tag(content=RENDER_EVERY_CODE_BLOCK)
    rendered = page.evaluate(CODE_BLOCK_HEIGHTS)
    assert not any(block["skipped"] for block in rendered)
    # So the page does not move as blocks come into view: each placeholder is the block's height to a pixel.
    heights = [(round(placeholder["height"], 1), round(block["height"], 1))
               for placeholder, block in zip(placeholders, rendered)]
    assert all(abs(placeholder - block) <= 1 for placeholder, block in heights), heights
    assert page.errors == []


def index_requests(page) -> int:
    return sum(urlsplit(url).path.endswith("/" + SEARCH_INDEX) for url in page.requests)


def test_the_search_index_loads_only_once_a_reader_opens_search(page):
    page.goto("kafka/")
    page.wait_for_load_state("networkidle")
    page.mouse.move(1, 1)  # pointer over the page, away from the search box
    page.wait_for_timeout(300)
    assert index_requests(page) == 0
    page.keyboard.press("/")  # Material's shortcut focuses the search box
    page.keyboard.type("ISR")
    first = page.locator(".md-search-result__item a").first
    first.wait_for()
    assert urlsplit(first.get_attribute("href")).path.endswith("/kafka/replication/")
    assert index_requests(page) == 1
    assert page.errors == []


def test_a_pointer_over_the_search_box_starts_loading_the_index(page):
    page.goto("kafka/")
    page.wait_for_load_state("networkidle")
    with page.expect_request(lambda request: urlsplit(request.url).path.endswith("/" + SEARCH_INDEX), timeout=5_000):
        page.locator("input.md-search__input").hover()
    assert page.evaluate("document.activeElement.tagName") == "BODY"  # loaded ahead, before the box is used


def test_a_page_opened_from_a_search_result_loads_the_index_and_highlights_the_query(page):
    page.goto("kafka/replication/?h=watermark")
    page.locator("mark[data-md-highlight]").first.wait_for()
    assert "watermark" in page.locator("mark[data-md-highlight]").first.inner_text().lower()
    assert index_requests(page) == 1
    assert page.errors == []
