"""Moving around the built site in Chromium: instant navigation, the colour scheme toggle, tags, tooltips, 404.

Material's instant navigation intercepts a click only on a link listed in sitemap.xml, and it matches the link
with the sitemap's URLs after setting their scheme and host name (not port, not path) to the page's. So it works
where the site is hosted, at site_url's path on the default port, and never on the session's loopback server,
which serves the site at / on a random port. The `hosted` fixture serves the site like GitHub Pages does (under
site_url's path, with 404.html for a missing page) on loopback, and a Chromium whose resolver maps the made-up host
name field-guide.test to it opens it at http://field-guide.test/field-guide/.
"""

import re
import threading
import xml.etree.ElementTree as ElementTree
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from chromium import CHROMIUM, CHROMIUM_FLAGS
from doc_pages import page_id, site_path, source_pages
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.utils.meta import get_data
from notebook_links import page_links

HOST = "field-guide.test"


class GitHubPages(SimpleHTTPRequestHandler):
    """The site under `prefix`, and 404.html with status 404 for anything missing."""

    def __init__(self, *args, prefix: str, **kwargs):
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def translate_path(self, path):
        if not path.startswith(self.prefix):
            return "/nonexistent/" + path
        return super().translate_path("/" + path[len(self.prefix):])

    def send_error(self, code, message=None, explain=None):
        if code != 404:
            return super().send_error(code, message, explain)
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hosted(site, browser):
    """A page in a fresh Chromium that sees the site at http://field-guide.test/<site_url's path>, and that URL."""
    first = ElementTree.parse(site / "sitemap.xml").getroot()[0][0].text  # the home page's URL, from site_url
    prefix = urlsplit(first).path
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(GitHubPages, prefix=prefix, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rules = f"--host-resolver-rules=MAP {HOST} 127.0.0.1:{server.server_port}"
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, rules])
    context = chromium.new_context()
    page = context.new_page()
    page.errors, page.hosts = [], set()
    page.on("request", lambda request: page.hosts.add(urlsplit(request.url).netloc))
    page.on("console", lambda message: message.type == "error" and page.errors.append((message.text, message.location["url"])))
    page.on("pageerror", lambda error: page.errors.append((str(error), "")))
    yield page, f"http://{HOST}{prefix}"
    chromium.close()
    server.shutdown()


def test_a_nav_link_swaps_the_content_without_reloading_the_page(hosted):
    page, home = hosted
    with page.expect_response("**/sitemap.xml"):  # Material intercepts only links it found in the sitemap
        page.goto(home)
    page.evaluate("window.loadedOnce = true")  # a full page load would start a fresh window without it
    page.locator(".md-tabs__link", has_text="Kafka").click()
    page.wait_for_url("**/kafka/")
    page.locator("article h1", has_text="Kafka").wait_for()
    assert page.evaluate("window.loadedOnce") is True
    # Then a link inside the content, and the browser's back button, the same way.
    page.locator("article a[href$='/kafka/what-is-kafka/']").first.click()
    page.wait_for_url("**/kafka/what-is-kafka/")
    page.go_back()
    page.wait_for_url("**/kafka/")
    assert page.evaluate("window.loadedOnce") is True
    assert page.errors == []
    assert page.hosts == {HOST}


def test_a_missing_page_gets_the_styled_404_page_with_working_links(hosted, site):
    page, home = hosted
    page.errors.clear()
    missing = home + "kafka/no-such-page/deeper/"
    response = page.goto(missing)
    assert response.status == 404
    assert (site / "404.html").read_text() == response.text()
    # The theme: its stylesheet applied (the header takes the indigo primary colour), header, search, tabs.
    page.locator("article h1", has_text="404").wait_for()
    header = page.evaluate("getComputedStyle(document.querySelector('.md-header')).backgroundColor")
    assert header == "rgb(64, 81, 181)", header
    page.locator("input.md-search__input").wait_for(state="attached")
    assert page.locator(".md-tabs__link").count() >= 9
    # Its links are absolute from site_url's path, so they resolve from any depth: the tab leads to a real page.
    page.locator(".md-tabs__link", has_text="Fundamentals").click()
    page.wait_for_url(home + "fundamentals/")
    page.locator("article h1", has_text="Fundamentals").wait_for()
    # Chromium reports the missing page's own status, and nothing else.
    assert page.errors == [("Failed to load resource: the server responded with a status of 404 (Not Found)", missing)]
    assert page.hosts == {HOST}


def test_dark_mode_toggle_switches_the_palette_and_the_choice_persists(page):
    page.goto("./")
    scheme = lambda: page.evaluate("document.body.getAttribute('data-md-color-scheme')")  # noqa: E731
    before = scheme()
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    after = scheme()
    assert {before, after} == {"default", "slate"}
    page.goto("kafka/")  # a full load: the choice comes back from local storage
    assert scheme() == after
    assert page.errors == []


def front_matter_tags() -> dict[str, set[str]]:
    """Tag name -> site URLs of the pages whose front matter carries it."""
    tagged: dict[str, set[str]] = {}
    for source in source_pages():
        for tag in get_data(source.read_text())[1].get("tags", []):
            tagged.setdefault(tag, set()).add(site_path(source))
    return tagged


def test_every_front_matter_block_is_valid_yaml():
    # MkDocs shows a front matter block it cannot parse as text at the top of the page, and drops its tags.
    broken = []
    for source in source_pages():
        block = re.match(r"---\n(.*?)\n---\n", source.read_text(), re.S)
        if block is None:
            continue
        try:
            assert isinstance(yaml.safe_load(block[1]), dict)
        except (yaml.YAMLError, AssertionError) as error:
            broken.append((page_id(source), str(error).splitlines()[0]))
    assert not broken


def test_every_content_page_has_tags():
    untagged = [page_id(s) for s in source_pages() if page_id(s) != "glossary/tags.md" and not get_data(s.read_text())[1].get("tags")]
    assert not untagged


def test_the_tags_index_lists_every_tag_with_links_to_its_pages(page):
    expected = front_matter_tags()
    assert len(expected) >= 10
    page.goto("glossary/tags/")
    listed = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('article h2[id^="tag:"]')].map(h =>
        [h.querySelector('.md-tag').textContent.trim(),
         [...h.nextElementSibling.querySelectorAll('a')].map(a => new URL(a.href).pathname)]))""")
    base = page.evaluate("new URL(document.baseURI).pathname").rsplit("glossary/tags/", 1)[0]
    listed = {tag: {path.removeprefix(base) for path in paths} for tag, paths in listed.items()}
    assert listed.keys() == expected.keys()
    different = {tag: (expected[tag] - listed[tag], listed[tag] - expected[tag]) for tag in expected if expected[tag] != listed[tag]}
    assert not different, different  # per tag: (pages missing from the index, pages listed without the tag)


def test_a_tag_on_a_page_leads_to_the_index_entry_that_links_back(page):
    page.goto("kafka/consumer-groups/")
    page.locator("nav.md-tags a.md-tag", has_text="consumers").click()
    page.wait_for_url("**/glossary/tags/#tag:consumers")
    entry = page.locator("h2[id='tag:consumers'] + ul")
    entry.locator("a", has_text="Consumer groups").click()
    page.wait_for_url("**/kafka/consumer-groups/")
    assert page.errors == []


def test_hovering_an_abbreviation_shows_its_expansion(page):
    page.goto("kafka/replication/")
    page.locator("article abbr", has_text="ISR").first.hover()
    tooltip = page.locator(".md-tooltip2--active")
    tooltip.wait_for()
    assert tooltip.inner_text().startswith("In-Sync Replicas:")
    assert page.errors == []


def test_a_lab_link_to_a_page_source_becomes_the_page_url_and_a_wrong_one_fails_the_build():
    files = Files([File("kafka/backpressure.md", "docs", "site", True)])
    html = '<p><a href="../kafka/backpressure.md#lag">lag</a></p>'
    assert page_links(html, "labs/lag.ipynb", "labs/lag/", files) == '<p><a href="../../kafka/backpressure/#lag">lag</a></p>'
    with pytest.raises(PluginError, match="nope.md, which is not a page"):
        page_links('<a href="../kafka/nope.md">', "labs/lag.ipynb", "labs/lag/", files)
