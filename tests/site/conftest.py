import fcntl
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from chromium import CHROMIUM, CHROMIUM_FLAGS
from playwright.sync_api import sync_playwright
from snippet_captions import ROOT


@pytest.fixture(scope="session")
def build_output(tmp_path_factory):
    """The site built once per test run with `mkdocs build --strict`: (site directory, build log).

    The build runs every lab notebook, so xdist workers share one build: the first to take the lock builds it
    into their common temporary directory, and the others wait for it and read it.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's directory, above each worker's own
    site, log = shared / "site", shared / "site-build.log"
    with open(shared / "site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not log.exists():
            build = subprocess.run(
                [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
            )
            assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr}"
            log.write_text(build.stderr)
    return site, log.read_text()


@pytest.fixture(scope="session")
def site(build_output) -> Path:
    return build_output[0]


class Page(HTMLParser):
    """Every tag with its attributes, and every id a fragment can point at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        for name in ("id", "name"):
            if attributes.get(name):
                self.ids.add(attributes[name])


@pytest.fixture(scope="session")
def pages(site) -> dict[Path, Page]:
    """Every built HTML page, parsed, keyed by its path inside the site."""
    return {path.relative_to(site): Page(path.read_text()) for path in sorted(site.rglob("*.html"))}


@pytest.fixture(scope="session")
def served_site(site, start_server):
    def serve(port, directory):
        return [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(site), str(port)]

    with start_server("site", serve) as server:
        yield f"http://127.0.0.1:{server.port}/"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served_site):
    context = browser.new_context(base_url=served_site, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()
