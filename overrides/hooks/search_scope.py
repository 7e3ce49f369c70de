"""Decide what goes into the search index, and keep it small.

Left out: block code and the question bank's answers. Readers search for concepts. The prose around each snippet
names what the code does, and each answer in the question bank sums up a concept page that the index already
holds, so neither adds a concept, only weight: code was a third of the index, the answers a sixth. The questions
themselves are headings and stay searchable. Material's search plugin skips an element marked
`data-search-exclude`, up to the first closing tag of the same name inside it. Code blocks (`div.highlight`, and
`div.highlight-ipynb` in the labs; neither holds another div), the hidden copy of each lab cell's code, and the
collapsible answers (`details.question`, never nested) get that mark. Inline `code` in sentences stays searchable,
so a query such as min.insync.replicas still finds the pages that explain the setting.

Kept small: Material's search bundle fetches the index, parses it on the main thread and hands it to its search
worker, which builds its search from it. overrides/partials/search-on-demand.js holds that request until a reader
reaches for search, so the index's size is part of the wait before a visit's first search results. Each section keeps
its first TEASER characters, as one plain paragraph, as the `text` a search result shows. The rest of its words go
into a `words` field that lunr searches like `text` but no result shows: lower-cased, as lunr indexes them, without a
trailing full stop or quote, without the stop words lunr drops anyway, and each at most twice, so that a word a
section keeps coming back to still outweighs a passing mention. Numbers past the teaser are left out: measurements in
running prose are not what readers search for, and lunr 2.3.9 builds a wrong token set for some mixes of numeric
tokens (its node keys join edge labels and node ids without a separator), then throws on a query such as "2"; it did
once the index had a few more numbers, and the search test caught it with "HTTP/2". That took the gzipped index from
388 KB to about 285 KB, and every query in tests/site/test_search.py still finds its page in the top three.
"""

import json
import re
from collections import Counter
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

CODE_BLOCK = r'div(?=[^>]*\sclass="(?:[^"]*\s)?(?:highlight|highlight-ipynb|clipboard-copy-txt)(?:\s[^"]*)?")'
ANSWER = r'details(?=[^>]*\sclass="question")'
EXCLUDED = re.compile(rf"<(?:{CODE_BLOCK}|{ANSWER})[^>]*")

TEASER = 160
TRAILING = ".;?'’"  # the separator keeps these on a word's end, as in "partition."; Material searches by prefix
MOST_REPEATS = 2
NUMBER = re.compile(r"[\d.,%×x+~^*-]*\d[\d.,%×x+~^*-]*$")  # 1.8, 30%, 2^17, 10× ...
TAG = re.compile(r"<[^>]+>")
STOP_WORDS = re.compile(r"stopWordFilter=\w+\.generateStopWordFilter\(\[([^\]]*)\]\)")


def on_page_content(html: str, page, config, files) -> str:
    return EXCLUDED.sub(lambda tag: tag.group(0) + " data-search-exclude", html)


@event_priority(-100)  # after the search plugin has written the index
def on_post_build(config) -> None:
    site = Path(config.site_dir)
    path = site / "search" / "search_index.json"
    index = json.loads(path.read_text())
    separator = re.compile(index["config"]["separator"])
    stop_words = lunr_stop_words(site)

    def tokens(text: str) -> list[str]:
        return [word for token in separator.split(text) if (word := token.lower().rstrip(TRAILING))]

    for doc in index["docs"]:
        text = " ".join(TAG.sub(" ", doc["text"]).split())
        if len(text) <= TEASER:
            doc["text"] = f"<p>{text}</p>" if text else ""
            continue
        cut = text.rfind(" ", 0, TEASER)
        teaser, rest = text[:cut], text[cut:]
        seen = Counter(tokens(teaser))
        words = []
        for token in tokens(rest):
            if token not in stop_words and not NUMBER.match(token) and seen[token] < MOST_REPEATS:
                seen[token] += 1
                words.append(token)
        doc["text"] = f"<p>{teaser} …</p>"  # a paragraph, as before, so a result's tags go on the next line
        doc["words"] = " ".join(words)
    index["config"]["fields"]["words"] = index["config"]["fields"]["text"]
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")))


def lunr_stop_words(site: Path) -> set[str]:
    """The stop words in the search worker Material ships, so that this list cannot drift from lunr's."""
    for worker in (site / "assets" / "javascripts" / "workers").glob("search.*.min.js"):
        if found := STOP_WORDS.search(worker.read_text()):
            return set(json.loads(f"[{found.group(1)}]"))
    raise PluginError("search_scope: no stop word list found in Material's search worker")
