"""The site's pages: each Markdown file under docs/ and where MkDocs writes it."""

from pathlib import Path

from block_audit import ROOT

DOCS = ROOT / "docs"
# Every content tab set on the site: these labels, in this order.
TABS = ("Python (FastAPI)", "Rust (axum)")
# Where the browser test saves screenshots, for CI and reviewers (not committed).
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def url_path(page: Path) -> str:
    """The page's path under the site root, as MkDocs's directory URLs give it."""
    stem = page.relative_to(DOCS).with_suffix("")
    directory = stem.parent if stem.name == "index" else stem
    return "" if directory == Path() else f"{directory.as_posix()}/"


PAGES = sorted(DOCS.rglob("*.md"))
