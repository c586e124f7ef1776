"""Mermaid, served from the site itself: fetch a release from npm, or verify the copy.

`nox -s vendor-mermaid -- VERSION` fetches the release tarball from the npm registry,
checks it against the registry's integrity hash, and writes the files and `SOURCE.json`.
The tests call `verify()`, which checks the committed files against `SOURCE.json`.
"""

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "docs/assets/vendor/mermaid"
SOURCE = VENDOR / "SOURCE.json"
REGISTRY = "https://registry.npmjs.org/mermaid"
FILES = {"mermaid.min.js": "package/dist/mermaid.min.js", "LICENSE": "package/LICENSE"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify() -> list[str]:
    """How the committed files differ from what SOURCE.json records (nothing if not)."""
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    problems = [
        f"{name}: sha256 differs from SOURCE.json"
        for name, record in source["files"].items()
        if sha256((VENDOR / name).read_bytes()) != record["sha256"]
    ]
    script = (VENDOR / "mermaid.min.js").read_text(encoding="utf-8")
    if f'version:"{source["version"]}"' not in script:
        problems.append(
            f"mermaid.min.js does not say it is version {source['version']}"
        )
    return problems


def fetch(version: str) -> None:
    """Replace the vendored files with release `version`, checked against npm."""
    with urllib.request.urlopen(f"{REGISTRY}/{version}", timeout=60) as response:
        dist = json.load(response)["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=300) as response:
        tarball = response.read()
    algorithm, digest = dist["integrity"].split("-", 1)
    if base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() != digest:
        raise SystemExit(
            f"{dist['tarball']} does not match its integrity {dist['integrity']}"
        )
    files = {}
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        for name, member in FILES.items():
            data = archive.extractfile(member).read()
            (VENDOR / name).write_bytes(data)
            files[name] = {"from": member, "sha256": sha256(data)}
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    source.update(
        version=version,
        tarball=dist["tarball"],
        integrity=dist["integrity"],
        files=files,
    )
    SOURCE.write_text(
        json.dumps(source, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    fetch(sys.argv[1])
