"""The sessions `noxfile.py` defines, read from its source without importing nox."""

import ast
from dataclasses import dataclass
from pathlib import Path

NOXFILE = Path(__file__).resolve().parents[1] / "noxfile.py"


@dataclass(frozen=True)
class Session:
    name: str
    summary: str
    default: bool


def sessions() -> list[Session]:
    """Every `@nox.session` of the noxfile, in the order it defines them."""
    tree = ast.parse(NOXFILE.read_text(encoding="utf-8"))
    defaults = _default_sessions(tree)
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            if ast.unparse(target) != "nox.session":
                continue
            names = [
                k.value for k in (call.keywords if call else []) if k.arg == "name"
            ]
            name = ast.literal_eval(names[0]) if names else node.name
            summary = (
                (ast.get_docstring(node) or "").split("\n\n")[0].replace("\n", " ")
            )
            found.append(Session(name, summary, name in defaults))
    return found


def _default_sessions(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and ast.unparse(node.targets[0]) == "nox.options.sessions"
        ):
            return set(ast.literal_eval(node.value))
    return set()


def render_table() -> str:
    """The Markdown table of sessions for the Getting started page."""
    rows = ["| Session | In plain `nox` | What it does |", "| --- | :---: | --- |"]
    rows += [
        f"| `{s.name}` | {'yes' if s.default else ''} | {s.summary} |"
        for s in sessions()
    ]
    return "\n".join(rows)
