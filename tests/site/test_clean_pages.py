"""Every page in the navigation, labs included, opened in Chromium: no console error, no page error, and no request
to any host other than the loopback server that serves the site.

404.html is the one built page outside the navigation; its links are absolute from site_url's path, so it is
opened where that path exists, in test_navigation.py.
"""

from pathlib import Path
from urllib.parse import urlsplit

NAV_LINKS = "[...new Set([...document.querySelectorAll('nav.md-nav--primary a.md-nav__link[href]')].map(a => new URL(a.href, document.baseURI).pathname))]"


def built_urls(pages) -> set[str]:
    """The URL path of every built page but 404.html, as the loopback server serves it."""
    paths = {"/" + path.parent.as_posix() + "/" for path in pages if path.name == "index.html"}
    return {"/" if path == "/./" else path for path in paths}


def test_the_navigation_reaches_every_built_page(page, pages):
    assert {path for path in pages if path.name != "index.html"} == {Path("404.html")}
    page.goto("./")
    assert set(page.evaluate(NAV_LINKS)) == built_urls(pages)


def test_every_page_loads_without_errors_and_only_from_loopback(page, pages, served_site):
    server = urlsplit(served_site).netloc
    urls = sorted(built_urls(pages))
    assert len(urls) > 100 and any(url.startswith("/labs/") and url != "/labs/" for url in urls)
    errors, foreign = {}, set()
    for url in urls:
        page.errors.clear()
        page.requests.clear()
        page.goto(url.lstrip("/") or "./")
        if page.errors:
            errors[url] = page.errors[:3]
        foreign |= {(url, request) for request in page.requests if urlsplit(request).netloc != server}
    assert not errors
    assert not foreign
