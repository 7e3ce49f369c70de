"""Prepare code blocks for being set up only near the viewport, by Material and by the browser.

Material (`content.lazy`) adds a block's copy button only when the block first scrolls into view, and only then gives
a block whose lines overflow `tabindex="0"`, so that a keyboard can scroll it sideways. Until then, a wide block below
the fold would be skipped by the Tab key. So every block starts focusable, and Material takes the attribute off each
block that does not overflow when it sets that block up.

The browser skips style and layout of a block off screen (`content-visibility: auto` in extra.css), and lays it out
at a placeholder height until it nears the viewport. For the page not to jump as blocks come into view, the
placeholder is the block's true height, which its line count gives: each block carries it as `--lines`.
"""

import re

# Not <pre class="mermaid">: diagrams are not code.
CODE_BLOCK = re.compile(r"<pre>(?P<start>(?:<span></span>)?<code)>(?P<body>.*?)</code></pre>", re.DOTALL)
TAG = re.compile(r"<[^>]+>")


def with_line_count(block: re.Match) -> str:
    lines = TAG.sub("", block["body"]).rstrip("\n").count("\n") + 1
    return f'<pre style="--lines: {lines}">{block["start"]} tabindex="0">{block["body"]}</code></pre>'


def on_page_content(html: str, page, config, files) -> str:
    return CODE_BLOCK.sub(with_line_count, html)
