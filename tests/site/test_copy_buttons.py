"""Every copy button on every page that embeds a snippet puts exactly the embedded file text on the clipboard.

The expected text is built from the sources, the way pymdownx.snippets builds the block: each `--8<--` line in
the fence is replaced by the file's named section (other section markers dropped, dedented, as
`dedent_subsections: true` does) or by the whole file minus its section markers. A block hidden in an inactive
tab or a collapsed admonition is shown first (its tab label or summary clicked), then its copy button gets a real
mouse click.
"""

import re
import textwrap
from pathlib import Path

from doc_pages import page_id, site_path, source_pages
from snippet_captions import DIRECTIVE, SECTION, SNIPPETS, fenced_blocks, section_lines

BASE_PATHS = [SNIPPETS, SNIPPETS.parent / "docs/includes"]  # pymdownx.snippets base_path, in mkdocs.yml's order
SENTINEL = "clipboard before the click"


def file_text(target: str) -> str:
    relative, _, name = target.partition(":")
    source = next(base / relative for base in BASE_PATHS if (base / relative).is_file())
    lines = source.read_text().splitlines()
    if not name:
        return "\n".join(line for line in lines if not SECTION.search(line))
    start, end = section_lines(source, name)
    return textwrap.dedent("\n".join(line for line in lines[start - 1 : end] if not SECTION.search(line)))


def embedded_blocks(page: Path) -> list[str]:
    """The expected text of each fenced block that embeds a file from snippets/, in page order (captioned blocks)."""
    lines = page.read_text().splitlines()
    blocks = []
    for start, end, indent, _ in fenced_blocks(lines):
        body = [line[len(indent):] for line in lines[start + 1 : end]]
        targets = [match["target"] for line in body if (match := DIRECTIVE.match(line))]
        if not any((SNIPPETS / target.partition(":")[0]).is_file() for target in targets):
            continue
        blocks.append("\n".join(file_text(m["target"]) if (m := DIRECTIVE.match(line)) else line for line in body))
    return blocks


def first_difference(expected: str, copied: str) -> tuple[str, str]:
    pairs = zip(expected.splitlines() + ["<end>"], copied.splitlines() + ["<end>"])
    return next(((a, b) for a, b in pairs if a != b), ("(same lines)", "(different line endings)"))


PAGES = {page: blocks for page in source_pages() if (blocks := embedded_blocks(page))}

# The number of captioned blocks, once the page is parsed.
CAPTIONS = "document.querySelectorAll('p.snippet-caption').length"

# Shows captioned block `index` as a reader would (opens its closed <details>, selects its tab, outermost first),
# scrolls it into view and waits for its copy button, which Material adds only once a block is on screen
# (`content.lazy`). Then it puts the sentinel on the clipboard, scrolls the button to the middle of the screen and
# returns the button's centre, where the test then clicks the mouse, or null if no button came within 5 s.
PREPARE = """async ([index, sentinel]) => {
  const block = document.querySelectorAll('p.snippet-caption')[index].previousElementSibling;
  const hidden = [];
  for (let node = block; node; node = node.parentElement) {
    if (node.tagName === 'DETAILS' && !node.open) hidden.unshift(node.querySelector(':scope > summary'));
    if (node.classList.contains('tabbed-block')) {
      const set = node.closest('.tabbed-set');
      const input = set.querySelectorAll(':scope > input')[[...node.parentElement.children].indexOf(node)];
      if (!input.checked) hidden.unshift(set.querySelector(`label[for="${input.id}"]`));
    }
  }
  hidden.forEach(control => control.click());
  block.scrollIntoView({block: 'center'});
  let button;
  for (let waited = 0; !(button = block.querySelector('button[data-md-type=copy]')); waited += 50) {
    if (waited >= 5000) return null;
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  await navigator.clipboard.writeText(sentinel);
  button.scrollIntoView({block: 'center'});
  const box = button.getBoundingClientRect();
  return {x: box.x + box.width / 2, y: box.y + box.height / 2};
}"""


def test_every_snippet_embed_in_the_sources_is_checked():
    # Every `--8<--` line naming a file under snippets/, anywhere in a page, sits in a block the browser test checks.
    def snippet_lines(text: str) -> int:
        return sum(1 for line in text.splitlines()
                   if (m := DIRECTIVE.match(line)) and (SNIPPETS / m["target"].partition(":")[0]).is_file())

    everywhere = sum(snippet_lines(page.read_text()) for page in source_pages())
    in_checked_blocks = sum(snippet_lines("\n".join(
        line for start, end, _, _ in fenced_blocks(page.read_text().splitlines())
        for line in page.read_text().splitlines()[start + 1 : end])) for page in PAGES)
    assert everywhere == in_checked_blocks >= 150
    assert len(PAGES) >= 30


def test_every_copy_button_copies_exactly_the_embedded_snippet(page):
    wrong, checked = [], 0
    for source, expected in PAGES.items():
        page.goto(site_path(source), wait_until="domcontentloaded")
        count = page.evaluate(CAPTIONS)
        if count != len(expected):
            wrong.append((page_id(source), f"{count} captioned blocks, {len(expected)} in the source"))
            continue
        for index, text in enumerate(expected):
            # A real mouse click on the button. Material copies with execCommand inside the click handler, so the
            # clipboard holds the text when the click returns; a button that copies nothing leaves the sentinel.
            centre = page.evaluate(PREPARE, [index, SENTINEL])
            checked += 1
            if centre is None:
                wrong.append((page_id(source), index, "no copy button"))
                continue
            page.mouse.click(centre["x"], centre["y"])
            copied = page.evaluate("navigator.clipboard.readText()")
            if copied != text:
                wrong.append((page_id(source), index, first_difference(text, copied)))
    assert not wrong, wrong[:5]
    assert checked == sum(map(len, PAGES.values()))
    assert page.errors == []


def test_the_expected_text_is_the_dedented_section_without_markers():
    # kafka/backpressure_consumer.py has eight sections; an indented one must come out flush left.
    source = SNIPPETS / "kafka/backpressure_consumer.py"
    names = {m["name"] for line in source.read_text().splitlines() if (m := SECTION.search(line))}
    for name in names:
        text = file_text(f"kafka/backpressure_consumer.py:{name}")
        assert "--8<--" not in text
        assert not re.match(r"\s", text.splitlines()[0])
