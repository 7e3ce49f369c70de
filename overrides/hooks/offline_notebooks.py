"""Keep lab pages offline and light, drop what nbconvert's template adds around a notebook, and describe the plots.

mkdocs-jupyter renders notebooks with nbconvert's template, which
- imports Mermaid and MathJax from cdnjs on every notebook page. The labs use neither (the site's own Mermaid serves
  the Markdown pages), so both scripts go, with MathJax's configuration and the empty `<script src="">` left behind;
- inlines the whole JupyterLab theme and a Pygments theme in `<style>` blocks: about 590 kB, 89 kB gzipped, on every
  lab. They go too. docs/assets/stylesheets/extra.css styles the few `.jp-*` classes the labs use, in the site's own
  code colours (light and dark).
Style blocks inside the notebook's own outputs (between `<div class="jupyter-wrapper">` and its end) stay.

Each highlighted input cell also gets Material's class "highlight" (so its code gets the site's syntax colours) and
tabindex="0": it scrolls sideways on a narrow screen, and a keyboard user must
be able to reach it (axe: scrollable-region-focusable), as Material does for its own code blocks.

nbconvert gives every plot the alt text "No description has been provided for this image", which is all a screen
reader would say. A code cell that plots carries its own alt text in its metadata, `"alt"`: a string, or a list with
one string per image it outputs, in order. The notebooks are stored without outputs, so which cell plots is known
only once the build has run them. On the page, nbconvert marks each cell with its id; the images inside a cell take
that cell's alt texts one for one, and the build fails, naming the notebook and the cell, when the counts differ.

nbconvert also inlines each plot as a base64 PNG: 90 of the quorums lab's 102 KB gzipped, all of which a browser had
to download before it could paint the page's first line. Each plot becomes a file next to its page, plot-1.png,
plot-2.png ..., loaded lazily, with its width and height from the PNG header so that nothing moves when it arrives.
"""

import base64
import json
import re
import struct
from html import escape
from pathlib import Path

from mkdocs.exceptions import PluginError

EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?https://cdnjs\.cloudflare\.com(?:(?!</script>).)*?</script>"
                             r"|<script\b[^>]*\bsrc=\"https://cdnjs\.cloudflare\.com[^\"]*\"[^>]*>\s*</script>", re.S)
TEMPLATE_LEFTOVERS = re.compile(r"<style\b[^>]*>.*?</style>"
                                r"|<script src=\"\">\s*</script>"
                                r"|<script type=\"text/x-mathjax-config\">.*?</script>"
                                r"|<!-- (?:Load mathjax|MathJax configuration|End of mathjax configuration"
                                r"|End of mermaid configuration) -->", re.S)
NOTEBOOK = re.compile(r"<div class=\"jupyter-wrapper\">.*<!-- jupyter-wrapper -->", re.S)
INPUT_CODE = '<div class="highlight-ipynb'
INLINE_PNG = re.compile(r'<img\b([^>]*?)\ssrc="data:image/png;base64,([^"]+)"')
CELL = re.compile(r'<div\b[^>]*\bid="cell-id=([^"]+)"')
PLACEHOLDER = re.compile(r'(<img\b[^>]*?\balt=")No description has been provided for this image(")')


def strip_template(html: str) -> str:
    """Remove nbconvert's CDN scripts, inline themes and MathJax set-up outside the notebook itself."""
    html = EXTERNAL_SCRIPT.sub("", html)
    notebook = NOTEBOOK.search(html)
    if notebook is None:
        return TEMPLATE_LEFTOVERS.sub("", html)
    before, body, after = html[: notebook.start()], notebook.group(0), html[notebook.end() :]
    body = body.replace(INPUT_CODE, '<div tabindex="0" class="highlight highlight-ipynb')
    return TEMPLATE_LEFTOVERS.sub("", before) + body + TEMPLATE_LEFTOVERS.sub("", after)


def plot_alts(cell: dict, notebook: str) -> list[str]:
    """A cell's alt texts: its `"alt"` metadata, one text or a list of one per image."""
    alt = cell["metadata"].get("alt", [])
    alt = [alt] if isinstance(alt, str) else alt
    if not isinstance(alt, list) or not all(isinstance(text, str) and text.strip() for text in alt):
        raise PluginError(f"{notebook}: the \"alt\" metadata of cell {cell.get('id')} must be a non-empty string "
                          f"or a list of them, one per image")
    return alt


def describe_plots(html: str, cells: list[dict], notebook: str) -> str:
    """Replace nbconvert's placeholder alt text on each cell's images with the cell's own, in order."""
    alts = {cell.get("id"): plot_alts(cell, notebook) for cell in cells}
    starts = [(found.start(), found[1]) for found in CELL.finditer(html)]
    bounds = [0, *(start for start, _ in starts), len(html)]
    owners = [None, *(cell for _, cell in starts)]  # the text before the first cell belongs to none
    missing = {cell for cell, texts in alts.items() if texts} - set(owners)
    if missing:
        raise PluginError(f"{notebook}: cells {sorted(missing)} have alt texts but are not on the page")
    described = []
    for owner, start, end in zip(owners, bounds, bounds[1:]):
        part, texts = html[start:end], alts.get(owner, [])
        images = len(PLACEHOLDER.findall(part))
        if images != len(texts):
            raise PluginError(f"{notebook}: cell {owner} outputs {images} image(s) and has {len(texts)} alt text(s) in "
                              f"its \"alt\" metadata; a cell that plots needs one per image")
        remaining = iter(texts)
        described.append(PLACEHOLDER.sub(lambda image: image[1] + escape(next(remaining), quote=True) + image[2], part))
    return "".join(described)


def plots_as_files(html: str, directory: Path) -> str:
    """Write each inline PNG to directory/plot-N.png and point its <img> at the file, lazily loaded and sized."""
    directory.mkdir(parents=True, exist_ok=True)
    count = 0

    def as_file(image: re.Match) -> str:
        nonlocal count
        count += 1
        png = base64.b64decode(image[2])
        width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk, right after the 8-byte signature
        (directory / f"plot-{count}.png").write_bytes(png)
        return f'<img{image[1]} src="plot-{count}.png" width="{width}" height="{height}" loading="lazy"'

    return INLINE_PNG.sub(as_file, html)


def on_post_page(output: str, page, config) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return output
    cells = json.loads(Path(page.file.abs_src_path).read_text())["cells"]
    described = describe_plots(strip_template(output), cells, page.file.src_uri)
    return plots_as_files(described, Path(config["site_dir"], page.file.dest_path).parent)
