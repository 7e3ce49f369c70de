"""Mermaid diagrams in the built site, in real headless Chromium (Debian's), served on a loopback port.

Copy buttons: test_copy_buttons.py. Navigation, dark mode, tags, tooltips, 404: test_navigation.py. Console errors,
foreign requests, every diagram's size and axe-core on every page: test_every_page.py.
"""

from urllib.parse import urlsplit


def test_mermaid_renders_from_the_site_itself_and_nothing_leaves_loopback(page):
    page.goto("./")
    diagram = page.locator("div.mermaid").first
    diagram.wait_for(state="attached", timeout=15_000)
    # Until Mermaid has drawn into it, the div is empty and has no height.
    page.wait_for_function("(r => r.width > 400 && r.height > 50)(document.querySelector('div.mermaid').getBoundingClientRect())")
    assert any(url.endswith("/vendor/mermaid.min.js") for url in page.requests)
    assert {urlsplit(url).hostname for url in page.requests} == {"127.0.0.1"}
    assert page.errors == []


def test_pages_without_a_diagram_do_not_load_mermaid(page):
    page.goto("kafka/")
    page.wait_for_load_state("networkidle")
    assert not any("mermaid.min.js" in url for url in page.requests)
    assert page.errors == []
