"""`python3 noxfile.py` on a machine without nox: install the pinned nox, then run it.

The pin is the noxfile's own inline script metadata (PEP 723), the same block nox reads
when it is started as `nox`, so both ways run the same version.
"""

import os
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOXFILE = ROOT / "noxfile.py"
ENVIRONMENT = ROOT / ".nox" / "_bootstrap"
SCRIPT_BLOCK = re.compile(r"(?m)^# /// script$\s(?P<content>(^#(| .*)$\s)+)^# ///$")


def script_dependencies(path: Path = NOXFILE) -> list[str]:
    """The `dependencies` of a file's inline script metadata."""
    match = SCRIPT_BLOCK.search(path.read_text(encoding="utf-8"))
    if match is None:
        raise SystemExit(f"{path} has no '# /// script' block")
    toml = "".join(line[2:] for line in match["content"].splitlines(keepends=True))
    return tomllib.loads(toml)["dependencies"]


def run_pinned_nox(argv: list[str]) -> None:
    """Replace this process with the noxfile run by the pinned nox."""
    python = ENVIRONMENT / "bin" / "python"
    installed = ENVIRONMENT / "installed.txt"
    wanted = "\n".join(script_dependencies())
    if not installed.is_file() or installed.read_text(encoding="utf-8") != wanted:
        print(
            f"Installing {wanted.replace(chr(10), ', ')} into {ENVIRONMENT}",
            file=sys.stderr,
        )
        venv.create(ENVIRONMENT, with_pip=True, clear=True)
        pip = [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]
        subprocess.run([*pip, *wanted.splitlines()], check=True)
        installed.write_text(wanted, encoding="utf-8")
    os.execv(python, [str(python), str(NOXFILE), *argv])
