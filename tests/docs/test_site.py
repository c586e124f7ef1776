"""Static checks of the built site and of what it serves."""

import re
from pathlib import Path

import yaml

import vendor_mermaid
from block_audit import ROOT
from pages import TABS


def test_every_content_tab_set_is_python_then_rust(built_site: Path):
    sets = 0
    for html in built_site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for labels in re.findall(r'<div class="tabbed-labels">(.*?)</div>', text, re.S):
            sets += 1
            assert re.findall(r"<label[^>]*>(.*?)</label>", labels) == list(TABS), html
    assert sets > 0


def test_vendored_mermaid_matches_its_record():
    assert vendor_mermaid.verify() == []


def test_the_site_loads_the_vendored_mermaid():
    config = yaml.load(
        (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader
    )
    plugin = next(
        p["mermaid2"]
        for p in config["plugins"]
        if isinstance(p, dict) and "mermaid2" in p
    )
    assert (
        ROOT / "docs" / plugin["javascript"] == vendor_mermaid.VENDOR / "mermaid.min.js"
    )
