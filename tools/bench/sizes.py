"""What each backend needs on disk: the release binary, or Python and its packages."""

import importlib.metadata
import sys
import sysconfig
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GROUP = "backend"


def _lock_packages() -> dict[str, dict]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {package["name"]: package for package in lock["package"]}


def backend_distributions(group: str = GROUP) -> list[str]:
    """The distributions the backend group installs, extras included, per uv.lock.

    A dependency whose marker excludes this platform is in the lock but not installed:
    only installed ones count.
    """
    packages = _lock_packages()
    project = next(
        p for p in packages.values() if group in p.get("dev-dependencies", {})
    )
    pending = list(project["dev-dependencies"][group])
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while pending:
        dependency = pending.pop()
        key = (dependency["name"], tuple(dependency.get("extra", ())))
        if key in seen:
            continue
        seen.add(key)
        package = packages[key[0]]
        pending += package.get("dependencies", [])
        for extra in key[1]:
            pending += package.get("optional-dependencies", {}).get(extra, [])
    found = {name for name, _ in seen}
    return sorted(name for name in found if _installed(name))


def _installed(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def distribution_bytes(name: str) -> int:
    """The bytes of the files a distribution installed, as its RECORD lists them."""
    distribution = importlib.metadata.distribution(name)
    total = 0
    for file in distribution.files or ():
        path = Path(distribution.locate_file(file))
        if path.is_file():
            total += path.stat().st_size
    return total


def tree_bytes(root: Path, skip: Path | None = None) -> int:
    total = 0
    for path in root.rglob("*"):
        if skip and path.is_relative_to(skip):
            continue
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def measure(binaries: dict[str, Path]) -> dict:
    packages = {name: distribution_bytes(name) for name in backend_distributions()}
    base = Path(sys.base_prefix)
    return {
        "rust_binary_bytes": binaries["rust"].stat().st_size,
        "hello_rust_binary_bytes": binaries["hello-rust"].stat().st_size,
        "python_packages_bytes": sum(packages.values()),
        "python_packages": packages,
        # The interpreter and its standard library, without whatever else it has
        # installed into its own site-packages.
        "python_interpreter_bytes": tree_bytes(
            base, skip=Path(sysconfig.get_paths(vars={"base": str(base)})["purelib"])
        ),
    }
