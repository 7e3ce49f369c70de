"""The labs: notebooks stored without outputs, run by every build, plotting with the verified snippets."""

import json
import re
from pathlib import Path

import pytest
from doc_pages import DOCS
from PIL import Image
from mkdocs.exceptions import PluginError
from offline_notebooks import describe_plots, plot_alts

LABS = sorted((DOCS / "labs").glob("*.ipynb"))
CONCEPT_PAGES = [page for page in DOCS.rglob("*.md") if not {"labs", "includes"} & set(page.relative_to(DOCS).parts)]
PLACEHOLDER = "No description has been provided for this image"  # nbconvert's alt text for an image without one


def cells(lab) -> list[dict]:
    return json.loads(lab.read_text())["cells"]


def built(site, lab) -> str:
    return (site / "labs" / lab.stem / "index.html").read_text()


def test_every_lab_the_issue_lists_exists():
    assert {lab.stem for lab in LABS} >= {"consumer-lag", "rate-limiters-under-bursts", "consistent-hashing", "bloom-filter",
                                          "cache-eviction", "quorums", "retries-and-jitter"}


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.stem)
def test_a_lab_is_stored_without_outputs_imports_the_snippets_and_ends_with_knobs(lab):
    code = [cell for cell in cells(lab) if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    assert code[0]["metadata"].get("tags") == ["setup"] and "snippets" in "".join(code[0]["source"])
    imports = "\n".join("".join(cell["source"]) for cell in code[1:])
    assert re.search(r"^from (building_blocks|rate_limiting|simulations)\.\w+ import", imports, re.M)
    last = cells(lab)[-1]
    assert last["cell_type"] == "markdown" and "".join(last["source"]).startswith("## Try this")


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.stem)
def test_the_built_lab_shows_plots_no_errors_no_prompts_and_no_setup_code(site, lab):
    html = built(site, lab)
    assert "<img" in html
    assert not re.search(r'<div[^>]*data-mime-type="application/vnd\.jupyter\.stderr"', html)
    assert "Traceback" not in html and 'class="jp-InputPrompt' not in html
    assert "sys.path.insert" not in html


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.stem)
def test_every_plot_is_a_file_next_to_its_lab_loaded_lazily_at_its_own_size(site, pages, lab):
    """So the page paints before its plots arrive, and nothing moves when they do."""
    assert "data:image" not in built(site, lab)
    images = [attributes for tag, attributes in pages[Path("labs", lab.stem, "index.html")].tags if tag == "img"]
    assert images and [image["src"] for image in images] == [f"plot-{n}.png" for n in range(1, len(images) + 1)]
    for image in images:
        with Image.open(site / "labs" / lab.stem / image["src"]) as plot:
            assert plot.format == "PNG" and plot.size == (int(image["width"]), int(image["height"]))
        assert image["loading"] == "lazy"


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.stem)
def test_a_concept_page_links_to_the_lab(lab):
    assert any(f"labs/{lab.name})" in page.read_text() for page in CONCEPT_PAGES)


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.stem)
def test_every_plot_has_the_alt_text_its_cell_gives_it(pages, lab):
    """nbconvert's alt text for an image is a placeholder; each plotting cell's "alt" metadata replaces it, in order."""
    built_alts = [attributes.get("alt") for tag, attributes in pages[Path("labs", lab.stem, "index.html")].tags
                  if tag == "img"]
    assert built_alts and PLACEHOLDER not in built_alts
    assert built_alts == [text for cell in cells(lab) for text in plot_alts(cell, lab.name)]


def test_a_cell_whose_alt_texts_do_not_match_its_plots_fails_the_build_and_names_it():
    notebook = [{"cell_type": "code", "id": "plots", "metadata": {"alt": ['Two "lines" & a <dot>.', "A bar chart."]}},
                {"cell_type": "code", "id": "prints", "metadata": {}}]
    image = '<img alt="{}" src="data:image/png;base64,AA"/>'
    placeholder = image.format(PLACEHOLDER)

    def cell(cell_id: str, images: int) -> str:
        return f'<div class="jp-Cell" id="cell-id={cell_id}">' + images * placeholder + "</div>"

    assert describe_plots(cell("plots", 2) + cell("prints", 0), notebook, "labs/fake.ipynb") == (
        '<div class="jp-Cell" id="cell-id=plots">' + image.format("Two &quot;lines&quot; &amp; a &lt;dot&gt;.")
        + image.format("A bar chart.") + '</div><div class="jp-Cell" id="cell-id=prints"></div>')
    for wrong, message in ((cell("plots", 1) + cell("prints", 0), "cell plots outputs 1 image(s) and has 2"),
                           (cell("plots", 3) + cell("prints", 0), "cell plots outputs 3 image(s) and has 2"),
                           (cell("plots", 1) + cell("prints", 1), "cell plots outputs 1 image(s) and has 2"),
                           (cell("plots", 2) + cell("prints", 1), "cell prints outputs 1 image(s) and has 0"),
                           (cell("prints", 0), "cells ['plots'] have alt texts but are not on the page")):
        with pytest.raises(PluginError, match="^" + re.escape(f"labs/fake.ipynb: {message}")):
            describe_plots(wrong, notebook, "labs/fake.ipynb")
    with pytest.raises(PluginError, match=r"^labs/fake\.ipynb: the \"alt\" metadata of cell plots"):
        describe_plots(cell("plots", 1), [{"id": "plots", "metadata": {"alt": [""]}}], "labs/fake.ipynb")


def test_lab_pages_fetch_no_script_from_another_host(site):
    """nbconvert's template imports Mermaid and MathJax from a CDN inside inline scripts; the site removes them."""
    for lab in LABS:
        scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", built(site, lab), re.S)
        assert not any(re.search(r"https?://", script) for script in scripts), lab.stem
