"""axe-core, the engine behind Lighthouse's accessibility score, run inside Chromium on every built page.

axe-core comes from npm at the version pinned in tests/site/node/package-lock.json, installed once per session into
a temporary directory, and is injected into each page with a script tag: nothing loads from another host. All pages
are checked in one browser context, one after another, and the test fails on any violation axe rates serious or
critical, listing each rule with the pages and elements it found.

The 404 page links its assets from the site's URL path ("/field-guide/assets/..."), because a server shows it at any
depth; the loopback server serves the site at "/", so requests under that path are routed to the site root.
"""

import re
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent / "node"
BLOCKING = {"serious", "critical"}
DIAGRAMS_DRAWN = "[...document.querySelectorAll('.mermaid')].every(d => d.tagName === 'DIV')"
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" "))}))"""


@pytest.fixture(scope="session")
def axe_script(tmp_path_factory, npm_ci) -> Path:
    try:
        modules = npm_ci(PACKAGE, tmp_path_factory.mktemp("axe"))
    except RuntimeError as error:
        pytest.fail(str(error))
    return modules / "axe-core" / "axe.min.js"


def site_prefix(site: Path) -> str:
    """The URL path the site is built for, e.g. "/field-guide/", read from the 404 page's stylesheet link."""
    return re.search(r'href="(/[^"]*?)assets/stylesheets/main\.', (site / "404.html").read_text()).group(1)


def test_no_page_has_a_serious_or_critical_axe_violation(site, pages, served_site, browser, axe_script):
    urls = [path.as_posix().removesuffix("index.html") for path in pages]
    assert len(urls) > 100 and "labs/quorums/" in urls and "404.html" in urls
    context = browser.new_context(base_url=served_site)
    prefix = site_prefix(site)
    if prefix != "/":
        context.route(f"{served_site}{prefix.lstrip('/')}**",
                      lambda route: route.continue_(url=route.request.url.replace(prefix, "/", 1)))
    page = context.new_page()
    found = defaultdict(list)  # (rule, impact, help) -> ["url: element", ...]
    try:
        for url in urls:
            page.goto(url)
            page.wait_for_function(DIAGRAMS_DRAWN, timeout=15_000)  # axe also checks the drawn diagrams
            page.add_script_tag(path=axe_script)
            for violation in page.evaluate(RUN_AXE):
                key = (violation["rule"], violation["impact"], violation["help"])
                found[key] += [f"{url or '/'}: {target}" for target in violation["targets"]]
    finally:
        context.close()
    report = [f"{rule} ({impact}, {help}) on {len(where)} element(s), e.g. {where[:3]}"
              for (rule, impact, help), where in sorted(found.items())]
    assert not report, "\n".join(report)
