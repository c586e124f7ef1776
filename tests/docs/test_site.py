"""Static checks of the built site and of what it serves."""

import re
from pathlib import Path

import yaml

import block_audit
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


def plugin_config(name: str) -> dict:
    """The options mkdocs.yml gives a plugin."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    plugins = yaml.load(text, Loader=yaml.BaseLoader)["plugins"]
    return next(p[name] for p in plugins if isinstance(p, dict) and name in p)


def test_the_site_loads_the_vendored_mermaid():
    javascript = ROOT / "docs" / plugin_config("mermaid2")["javascript"]
    assert javascript == vendor_mermaid.VENDOR / "mermaid.min.js"


def test_the_audit_reads_docstrings_where_mkdocstrings_finds_them():
    paths = plugin_config("mkdocstrings")["handlers"]["python"]["paths"]
    assert tuple(paths) == block_audit.API_PATHS
    durations = ROOT / "examples/python-backend/reference_backend/utils/durations.py"
    assert durations in block_audit.audited_files()
