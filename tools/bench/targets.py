"""The issue's targets for the twins, each checked against the shown run."""

from collections.abc import Callable
from dataclasses import dataclass

from bench import figures, formats


@dataclass(frozen=True)
class Target:
    what: str
    goal: str
    # The measured value, and the value the goal asks for; met when measured >= wanted,
    # or <= where `at_most`.
    measured: Callable[[dict], float | None]
    wanted: float
    shown_as: Callable[[float], str]
    at_most: bool = False

    def met(self, data: dict) -> bool:
        value = self.measured(data)
        if value is None:
            return False
        return value <= self.wanted if self.at_most else value >= self.wanted


def _versus_python(endpoint: str, level: int) -> Callable[[dict], float]:
    def measured(data: dict) -> float:
        rust = figures.rps(data, "one-core", "rust", endpoint, level)
        return rust / figures.rps(data, "one-core", "python", endpoint, level)

    return measured


def _of_ceiling(backend: str, hello: str, level: int) -> Callable[[dict], float]:
    def measured(data: dict) -> float:
        own = figures.rps(data, "one-core", backend, "health", level)
        return own / figures.rps(data, "one-core", hello, "health", level)

    return measured


def _of_bcrypt_bound(backend: str) -> Callable[[dict], float]:
    def measured(data: dict) -> float:
        signins = figures.rps(data, "one-core", backend, "signin", 4)
        return signins / figures.verifies_per_s(data, backend)

    return measured


# region: targets
TARGETS = (
    *(
        Target(
            f"Rust (axum) over Python (FastAPI), `{path}`, one core, c{level}",
            "≥ 10×",
            _versus_python(endpoint, level),
            10,
            formats.ratio,
        )
        for endpoint, path in (
            ("session", "GET /api/v1/auths/"),
            ("chat-list", "GET /api/v1/chats/?page=1"),
        )
        for level in (32, 128)
    ),
    *(
        Target(
            f"{title} `/health` as a share of {hello_title}, one core, c{level}",
            "≥ 70 %",
            _of_ceiling(backend, hello, level),
            0.7,
            formats.percent,
        )
        for backend, title, hello, hello_title in (
            ("rust", "Rust (axum)", "hello-rust", "the axum hello-world"),
            ("python", "Python (FastAPI)", "hello-python", "the FastAPI hello-world"),
        )
        for level in (32, 128)
    ),
    *(
        Target(
            f"{title} signins as a share of its bcrypt bound, one core, c4",
            "≥ 90 %",
            _of_bcrypt_bound(backend),
            0.9,
            formats.percent,
        )
        for backend, title in (("python", "Python (FastAPI)"), ("rust", "Rust (axum)"))
    ),
    Target(
        "Rust (axum) idle resident memory, one core",
        "≤ 20 MiB",
        lambda data: figures.server(data, "one-core", "rust", "idle_rss_bytes"),
        20 * formats.MIB,
        formats.mib,
        at_most=True,
    ),
    Target(
        "Rust (axum) start to first healthy response, one core",
        "≤ 200 ms",
        lambda data: figures.server(data, "one-core", "rust", "start_s"),
        0.2,
        formats.seconds,
        at_most=True,
    ),
    Target(
        "Rust (axum) release binary",
        "≤ 15 MB",
        lambda data: data["sizes"]["rust_binary_bytes"],
        15e6,
        formats.megabytes,
        at_most=True,
    ),
    Target(
        "`mkdocs build` of the whole site",
        "≤ 20 s",
        # Added to the run file last: the build it times shows the rest of the run.
        lambda data: data.get("site_build_s"),
        20,
        formats.seconds,
        at_most=True,
    ),
)
# endregion: targets
