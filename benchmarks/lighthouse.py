"""Lighthouse scores for four kinds of page, mobile preset, medians of several runs.

Builds the site (or takes a built one with --site) and serves it on a free loopback port with Debian's nginx and
gzip, as a static host does. Installs Lighthouse from benchmarks/node/package-lock.json with npm ci, and runs it in
Debian's headless Chromium (CHROME_PATH=/usr/bin/chromium) on the home page, a long concept page, a snippet-heavy
page and a lab. Lighthouse's default is the mobile preset: a
Moto G Power-sized screen, simulated slow 4G and a 4x slower CPU. Each page is measured --runs times, in interleaved
order; the table in docs/includes/benchmarks/lighthouse.md has the median score of each category, and the
lowest and highest performance score, because on a small shared machine single runs differ by 10 points or more.
Its footer gives the range of Lighthouse's benchmark index over the runs: Lighthouse's own measure of how fast the
CPU was at each run's start (higher is faster), which shows how much the machine's speed moved while it measured.

    make bench          # or: .venv/bin/python benchmarks/lighthouse.py --runs 5
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "support")]

from chromium import CHROMIUM  # noqa: E402
from conftest import npm_install, running_server  # noqa: E402
from nginx_config import nginx_command  # noqa: E402
from report import machine  # noqa: E402

OUTPUT = ROOT / "docs" / "includes" / "benchmarks" / "lighthouse.md"
PACKAGE = ROOT / "benchmarks" / "node"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
CATEGORIES = {"performance": "Performance", "accessibility": "Accessibility", "best-practices": "Best practices",
              "seo": "SEO"}
PAGES = {  # what each page stands for -> its path in the site
    "Home page": "",
    "Long concept page (Kafka backpressure)": "kafka/backpressure/",
    "Snippet-heavy page (query optimization, 12 snippets)": "data/query-optimization/",
    "Lab (quorums, 3 plots)": "labs/quorums/",
}


STATIC_HOST = """\
    include /etc/nginx/mime.types;
    gzip on;
    gzip_comp_level 6;
    gzip_types text/css text/xml application/javascript application/json image/svg+xml;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        error_page 404 /404.html;
    }}"""


def build(directory: Path) -> Path:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(directory)],
                   cwd=ROOT, env=env, check=True)
    return directory


def lighthouse(node_modules: Path, url: str, report: Path) -> dict:
    """One Lighthouse run: {category id: score 0-100, "failed": [audit ids that scored below 1], "benchmark index": n}."""
    command = ["node", str(node_modules / "lighthouse" / "cli" / "index.js"), url, "--quiet", "--output=json",
               f"--output-path={report}", f"--chrome-flags={CHROME_FLAGS}",
               f"--only-categories={','.join(CATEGORIES)}"]
    subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True, capture_output=True, timeout=300)
    result = json.loads(report.read_text())
    scores = {name: round(100 * result["categories"][name]["score"]) for name in CATEGORIES}
    audits = {ref["id"] for category in result["categories"].values() for ref in category["auditRefs"] if ref["weight"]}
    scores["failed"] = sorted(name for name in audits if (result["audits"][name].get("score") is not None
                                                        and result["audits"][name]["score"] < 1))
    scores["benchmark index"] = round(result["environment"]["benchmarkIndex"])
    return scores


def table(scores: dict[str, list[dict]], runs: int) -> str:
    """Each page's median score per category, and the lowest and highest performance score of its runs."""
    others = [name for name in CATEGORIES if name != "performance"]
    header = ["Page", "Performance", "Performance, lowest to highest run", *(CATEGORIES[name] for name in others)]
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    for page, page_runs in scores.items():
        median = {name: round(statistics.median(run[name] for run in page_runs)) for name in CATEGORIES}
        performance = [run["performance"] for run in page_runs]
        cells = [page, str(median["performance"]), f"{min(performance)} to {max(performance)}",
                 *(str(median[name]) for name in others)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + f"\n\nMedian of {runs} Lighthouse {'run' if runs == 1 else 'runs'} per page, mobile preset."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="Lighthouse runs per page (default 5)")
    parser.add_argument("--pages", nargs="*", choices=list(PAGES), default=list(PAGES), metavar="PAGE",
                        help="which of the four pages to measure (default: all)")
    parser.add_argument("--site", type=Path, help="an already built site (default: build one)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        work = Path(tmp)
        site = args.site or build(work / "site")
        node_modules = npm_install(PACKAGE, work / "node")

        static_host = nginx_command(lambda port, directory: STATIC_HOST.format(port=port, site=site.resolve()))
        with running_server("site", static_host) as server:
            scores = {page: [] for page in args.pages}
            for run in range(args.runs):
                for page in args.pages:
                    url = f"http://127.0.0.1:{server.port}/{PAGES[page]}"
                    scores[page].append(lighthouse(node_modules, url, work / "report.json"))
                    print(f"run {run + 1}: {page}: {scores[page][-1]}", file=sys.stderr)

    speeds = sorted(run["benchmark index"] for page_runs in scores.values() for run in page_runs)
    footer = (f"Lighthouse's benchmark index of the machine, higher is faster: median {statistics.median(speeds):.0f}, "
              f"{speeds[0]} to {speeds[-1]} over the runs.\n\n"
              f"Measured {datetime.date.today():%Y-%m-%d} with Lighthouse "
              f"{json.loads((PACKAGE / 'package.json').read_text())['dependencies']['lighthouse']} "
              f"and Debian's Chromium, site served on loopback, on {machine()}.")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table(scores, args.runs) + "\n\n" + footer + "\n")
    print(args.output.read_text())


if __name__ == "__main__":
    main()
