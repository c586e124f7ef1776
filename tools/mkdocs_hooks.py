"""MkDocs hooks: fill a page's generated sections from committed data.

A page asks for one with a line of its own, ``<!-- generated:NAME -->``; an unknown
name fails the build, so a typo cannot leave a silent hole in a page.
"""

import re

import api_inventory
import block_audit
import compat_checklist
import nox_sessions
import reliability
import roadmap
import twin_layout
from bench import report

GENERATED = re.compile(r"^<!-- generated:(?P<name>[\w-]+) -->$", flags=re.MULTILINE)

RENDERERS = {
    "block-audit": lambda: block_audit.render_table(block_audit.load()),
    "nox-sessions": nox_sessions.render_table,
    "compat-checklist": compat_checklist.render_checklist,
    "contract-tests": compat_checklist.render_reference,
    "api-inventory": lambda: api_inventory.render_table(api_inventory.load()),
    "roadmap": lambda: roadmap.render_table(api_inventory.load()),
    "twin-layout": twin_layout.render_table,
    **report.RENDERERS,
    **reliability.RENDERERS,
}


def render(name: str) -> str:
    """The Markdown that replaces ``<!-- generated:NAME -->``."""
    if name not in RENDERERS:
        raise KeyError(f"no generated section {name!r}; known: {sorted(RENDERERS)}")
    return RENDERERS[name]()


def on_page_markdown(markdown, **_):
    return GENERATED.sub(lambda match: render(match["name"]), markdown)
