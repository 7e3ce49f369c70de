"""The navigation reaches every built page but 404.html. What each page does when opened: test_every_page.py."""

from pathlib import Path

# Follows the primary navigation from the open page to every page it leads to, and returns their URL paths. Each
# page lists only its own part of the navigation (`navigation.prune`), so the crawl reads every page it reaches.
CRAWL_NAV = """async () => {
  const seen = new Set([location.pathname]), queue = [location.href];
  while (queue.length) {
    const url = queue.shift();
    const html = await (await fetch(url)).text();
    const nav = new DOMParser().parseFromString(html, 'text/html').querySelectorAll('nav.md-nav--primary a.md-nav__link[href]');
    for (const link of nav) {
      const next = new URL(link.getAttribute('href'), url);
      if (!seen.has(next.pathname)) { seen.add(next.pathname); queue.push(next.href); }
    }
  }
  return [...seen];
}"""


def built_urls(pages) -> set[str]:
    """The URL path of every built page but 404.html, as the loopback server serves it."""
    paths = {"/" + path.parent.as_posix() + "/" for path in pages if path.name == "index.html"}
    return {"/" if path == "/./" else path for path in paths}


def test_the_navigation_reaches_every_built_page(page, pages):
    assert {path for path in pages if path.name != "index.html"} == {Path("404.html")}
    page.goto("./")
    assert set(page.evaluate(CRAWL_NAV)) == built_urls(pages)
