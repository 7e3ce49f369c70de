"""Mermaid diagrams in the built site, in real headless Chromium (Debian's), served on a loopback port.

Copy buttons: test_copy_buttons.py. Navigation, dark mode, tags, tooltips, 404: test_navigation.py. Console errors,
foreign requests, every diagram's size and axe-core on every page: test_every_page.py.
"""

from urllib.parse import urlsplit


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
