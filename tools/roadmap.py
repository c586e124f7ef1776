"""The migration roadmap: upstream's path prefixes in phases, sized by the inventory.

A phase is a set of path prefixes that move to Rust together, behind one reverse
proxy change. The phases are data here, so that ``render_table`` can size each one
from ``docs/data/upstream-api.json`` and refuse an inventory whose prefixes the
phases do not split exactly: a router upstream adds fails the build until a phase
takes it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import api_inventory


@dataclass(frozen=True)
class Phase:
    """Path prefixes that move together, and why they belong together."""

    name: str
    rationale: str
    routers: tuple[str, ...]


# --8<-- [start:phases]
PHASES = (
    Phase(
        "Core",
        "Accounts, sign-in, chats and model records: the slice the reference "
        "backend serves, and the users every other phase's routes check.",
        (
            "/api",
            "/api/v1/auths",
            "/api/v1/users",
            "/api/v1/chats",
            "/api/v1/models",
            "/health",
            "/ready",
        ),
    ),
    Phase(
        "Workspace",
        "Database rows with access grants and no outside service.",
        ("/api/v1/groups", "/api/v1/folders", "/api/v1/prompts", "/api/v1/skills"),
    ),
    Phase(
        "Files and retrieval",
        "Uploads, storage providers, embeddings and the vector database.",
        (
            "/api/v1/files",
            "/api/v1/knowledge",
            "/api/v1/retrieval",
            "/api/v1/memories",
        ),
    ),
    Phase(
        "Model proxies and completions",
        "Streaming calls to Ollama, OpenAI-style and other model providers.",
        (
            "/ollama",
            "/openai",
            "/api/v1/chat",
            "/api/v1/messages",
            "/api/v1/embeddings",
            "/api/v1/tasks",
            "/api/v1/images",
            "/api/v1/audio",
        ),
    ),
    Phase(
        "Real time and scheduling",
        "Channels, notes and what builds on them: Socket.IO pushes, the "
        "scheduler, and search over their rows.",
        (
            "/api/v1/channels",
            "/api/v1/notes",
            "/api/v1/apps",
            "/api/v1/notifications",
            "/api/v1/search",
            "/api/v1/automations",
            "/api/v1/calendars",
        ),
    ),
    Phase(
        "Administration and sign-in providers",
        "Instance settings, analytics, OAuth and the remaining top-level routes.",
        (
            "/api/v1/configs",
            "/api/v1/analytics",
            "/api/v1/evaluations",
            "/oauth",
            "/cache",
            "/manifest.json",
            "/opensearch.xml",
        ),
    ),
    Phase(
        "User code",
        "Routes that load, run or format user Python: the hardest to port.",
        (
            "/api/v1/tools",
            "/api/v1/functions",
            "/api/v1/pipelines",
            "/api/v1/terminals",
            "/api/v1/utils",
        ),
    ),
)
# --8<-- [end:phases]


def placement_errors(data: dict) -> list[str]:
    """Why the phases do not split the inventory's prefixes exactly; empty if so."""
    placed = Counter(router for phase in PHASES for router in phase.routers)
    inventory = set(data["upstream"])
    twice = sorted(router for router, n in placed.items() if n > 1)
    missing = sorted(inventory - placed.keys())
    unknown = sorted(placed.keys() - inventory)
    return [
        *(f"{router} is in {placed[router]} phases" for router in twice),
        *(f"{router} is in no phase" for router in missing),
        *(f"{router} is not in the inventory" for router in unknown),
    ]


def phase_counts(data: dict) -> list[tuple[Phase, int, int]]:
    """Per phase: upstream's endpoints under its prefixes, and how many the backend
    serves."""
    counted = {
        router: (upstream, served)
        for router, upstream, served in api_inventory.counts(data)
    }
    rows = []
    for phase in PHASES:
        upstream, served = zip(
            *(counted[router] for router in phase.routers), strict=True
        )
        rows.append((phase, sum(upstream), sum(served)))
    return rows


def render_table(data: dict) -> str:
    """The roadmap's Markdown table, for the roadmap page.

    The count and share cells come from the inventory page's own row helper, so the
    two pages print a share the same way.
    """
    errors = placement_errors(data)
    if errors:
        raise ValueError(f"tools/roadmap.py PHASES: {'; '.join(errors)}")
    rows = phase_counts(data)
    total = sum(upstream for _, upstream, _ in rows)
    served = sum(backend for _, _, backend in rows)
    lines = [
        "| Phase, and why these move together | Path prefixes | Upstream endpoints "
        "| Python backend serves | Share |",
        "| --- | --- | ---: | ---: | ---: |",
        *(
            api_inventory.table_row(
                (
                    f"**{number}. {phase.name}**: {phase.rationale}",
                    "<br>".join(f"`{router}`" for router in phase.routers),
                ),
                upstream,
                backend,
            )
            for number, (phase, upstream, backend) in enumerate(rows, start=1)
        ),
        api_inventory.table_row(("**All**", ""), total, served),
        "",
        f"Open WebUI {data['open_webui_version']}, from `docs/data/upstream-api.json` "
        f"(read by `{data['command']}` on {data['date']}); the phases are "
        "`PHASES` in `tools/roadmap.py`.",
    ]
    return "\n".join(lines)
