"""The navigation reaches every built page but 404.html. What each page does when opened: test_every_page.py."""

from pathlib import Path

NAV_LINKS = "[...new Set([...document.querySelectorAll('nav.md-nav--primary a.md-nav__link[href]')].map(a => new URL(a.href, document.baseURI).pathname))]"


def built_urls(pages) -> set[str]:
    """The URL path of every built page but 404.html, as the loopback server serves it."""
    paths = {"/" + path.parent.as_posix() + "/" for path in pages if path.name == "index.html"}
    return {"/" if path == "/./" else path for path in paths}


def test_the_navigation_reaches_every_built_page(page, pages):
    assert {path for path in pages if path.name != "index.html"} == {Path("404.html")}
    page.goto("./")
    assert set(page.evaluate(NAV_LINKS)) == built_urls(pages)
