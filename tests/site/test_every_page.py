"""Every built page, labs and 404.html included, opened once in Chromium; the tests below check what the visit saw.

One visit per page serves three checks, because a visit is the expensive part on two cores:
- no console error, no page error, and no request to any host but the loopback server that serves the site;
- every Mermaid diagram, once scrolled into view, drawn at a sensible size: not a sliver, at most two screens tall,
  within the column and not cut off (Material swaps each <pre class="mermaid"> for a <div>; a parse error leaves
  the <pre>);
- axe-core, the engine behind Lighthouse's accessibility score, finds no violation it rates serious or critical.
axe-core comes from npm at the version pinned in tests/site/node/package-lock.json, installed once per run into a
temporary directory, and is injected with a script tag: nothing loads from another host.

The visits are the longest part of the suite, so two workers share them: this module visits every other page,
starting with the first, and test_every_page_second_half.py runs the same tests on the rest.

404.html links its assets from the site's URL path ("/field-guide/assets/..."), because a server shows it at any
depth; the loopback server serves the site at "/", so requests under that path are routed to the site root.
"""

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from doc_pages import site_prefix
from playwright.sync_api import TimeoutError as PlaywrightTimeout

PACKAGE = Path(__file__).parent / "node"
HALVES, HALF = 2, 0  # this module visits page_urls(pages)[HALF::HALVES]
# mermaid-loader.js draws a diagram only once it nears the viewport, so the visit brings each one into view.
SCROLL_TO_DIAGRAMS = """async () => {
  for (const fence of document.querySelectorAll('pre.mermaid')) {
    fence.scrollIntoView();
    await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  }
  window.scrollTo(0, 0);
}"""
DRAWN = ("[...document.querySelectorAll('.mermaid')]"
         ".every(d => d.tagName === 'DIV' && d.getBoundingClientRect().height > 20)")
DIAGRAM_SIZES = """[...document.querySelectorAll('div.mermaid')].map(d => {
  const box = d.getBoundingClientRect();
  return {width: box.width, height: box.height, content: d.scrollWidth, room: d.closest('article').getBoundingClientRect().width};
})"""
# Code blocks off screen are not rendered yet (content-visibility: auto), and axe cannot judge the contrast of text
# it cannot see; so every block is rendered before axe runs.
RENDER_EVERY_CODE_BLOCK = ".md-typeset .highlight pre { content-visibility: visible !important; }"
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" "))}))"""


@dataclass
class Visit:
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    drawn: bool = True
    diagrams: list[dict] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)


@pytest.fixture(scope="session")
def axe_script(tmp_path_factory, npm_ci) -> Path:
    try:
        modules = npm_ci(PACKAGE, tmp_path_factory.mktemp("axe"))
    except RuntimeError as error:
        pytest.fail(str(error))
    return modules / "axe-core" / "axe.min.js"


def page_urls(pages) -> list[str]:
    return sorted(path.as_posix().removesuffix("index.html") for path in pages)


@pytest.fixture(scope="module")
def visits(request, site, pages, served_site, browser, axe_script) -> dict[str, Visit]:
    """{site-relative URL: what its visit saw}, for this module's half of the built pages."""
    server = urlsplit(served_site).netloc
    context = browser.new_context(base_url=served_site)
    prefix = site_prefix(site)
    if prefix != "/":
        context.route(f"{served_site}{prefix.lstrip('/')}**",
                      lambda route: route.continue_(url=route.request.url.replace(prefix, "/", 1)))
    page = context.new_page()
    seen: dict[str, Visit] = {}
    page.on("console", lambda message: message.type == "error" and visit.errors.append(message.text))
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.on("request", lambda request: urlsplit(request.url).netloc != server and visit.foreign.append(request.url))
    try:
        for url in page_urls(pages)[request.module.HALF::HALVES]:
            seen[url] = visit = Visit()
            page.goto(url or "./")
            page.evaluate(SCROLL_TO_DIAGRAMS)
            try:
                page.wait_for_function(DRAWN, timeout=10_000)
            except PlaywrightTimeout:
                visit.drawn = False
            visit.diagrams = page.evaluate(DIAGRAM_SIZES)
            page.add_style_tag(content=RENDER_EVERY_CODE_BLOCK)
            page.add_script_tag(path=axe_script)
            visit.violations = page.evaluate(RUN_AXE)
    finally:
        context.close()
    return seen


def test_every_built_page_is_visited(request, visits, pages):
    urls = page_urls(pages)
    assert len(urls) > 100 and {"", "404.html", "labs/quorums/"} <= set(urls)
    assert list(visits) == urls[request.module.HALF::HALVES]


def test_every_page_loads_without_errors_and_only_from_loopback(visits):
    assert not {url: visit.errors[:3] for url, visit in visits.items() if visit.errors}
    assert not {url: visit.foreign[:3] for url, visit in visits.items() if visit.foreign}


def test_every_diagram_is_drawn_at_a_sensible_size(visits):
    with_diagrams = {url: visit for url, visit in visits.items() if visit.diagrams or not visit.drawn}
    assert len(with_diagrams) > 5
    broken = []
    for url, visit in with_diagrams.items():
        if not visit.drawn:
            broken.append((url, "diagram not drawn"))
        for number, size in enumerate(visit.diagrams):
            fits = size["width"] <= size["room"] + 1 and size["content"] <= size["width"] + 1
            if not (size["width"] >= 100 and 40 <= size["height"] <= 1440 and fits):
                broken.append((url, number, size))
    assert not broken, broken


def test_no_page_has_a_serious_or_critical_axe_violation(visits):
    found: dict[tuple, list[str]] = {}
    for url, visit in visits.items():
        for violation in visit.violations:
            key = (violation["rule"], violation["impact"], violation["help"])
            found.setdefault(key, []).extend(f"{url or '/'}: {target}" for target in violation["targets"])
    report = [f"{rule} ({impact}, {help}) on {len(where)} element(s), e.g. {where[:3]}"
              for (rule, impact, help), where in sorted(found.items())]
    assert not report, "\n".join(report)
