"""What the harness measures: the endpoints, the connection levels and the two modes."""

from dataclasses import dataclass

# The methodology; a run may shorten them (`--quick`), and the run file records them.
WARMUP_S = 3.0
DURATION_S = 10.0
REPETITIONS = 3


# region: endpoints
@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    # `{chat_id}` is the seeded large chat.
    path: str
    levels: tuple[int, ...]
    what: str
    # How many times the standard run this endpoint's measured run lasts.
    duration_factor: int = 1

    @property
    def title(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def typical_level(self) -> int:
        """The level a single figure of this endpoint is read at: c32 where measured."""
        return 32 if 32 in self.levels else self.levels[0]


ENDPOINTS = (
    Endpoint("health", "GET", "/health", (1, 32, 128), "no auth, no database"),
    Endpoint(
        "session",
        "GET",
        "/api/v1/auths/",
        (1, 32, 128),
        "token check, session stamp and user read",
    ),
    # Without `page`, the route returns every chat of the user at once.
    Endpoint(
        "chat-list",
        "GET",
        "/api/v1/chats/?page=1",
        (1, 32, 128),
        "a page of 60 chat titles",
    ),
    Endpoint("chat", "GET", "/api/v1/chats/{chat_id}", (1, 32, 128), "one large chat"),
    Endpoint("chat-new", "POST", "/api/v1/chats/new", (1, 32, 128), "a write"),
    # One bcrypt verify at cost 12 per request: four connections keep two cores busy.
    # Each request takes a quarter of a second, so the four still in flight when a run
    # ends are a tenth of what a standard run completes: three times as long, a
    # thirtieth.
    Endpoint("signin", "POST", "/api/v1/auths/signin", (4,), "bcrypt cost 12", 3),
)
ENDPOINT = {endpoint.name: endpoint for endpoint in ENDPOINTS}
# endregion: endpoints


# region: modes
@dataclass(frozen=True)
class Mode:
    """How server and load generator share the machine's cores."""

    name: str
    title: str
    # CPU lists for taskset; None leaves the process on every core.
    server_cpus: str | None
    wrk_cpus: str | None
    # Uvicorn workers, or tokio worker threads; None: one per core.
    workers: int | None
    # c1 is unloaded latency: measured once, where nothing else shares the core.
    skip_levels: tuple[int, ...] = ()

    def wrk_threads(self, connections: int, cores: int) -> int:
        threads = 1 if self.wrk_cpus else cores
        return max(1, min(threads, connections))

    def server_workers(self, cores: int) -> int:
        return self.workers or cores


MODES = (
    Mode("one-core", "One core against one core", "0", "1", 1),
    Mode("machine", "The whole machine", None, None, None, skip_levels=(1,)),
)
MODE = {mode.name: mode for mode in MODES}
# endregion: modes


# region: backends
@dataclass(frozen=True)
class Backend:
    name: str
    title: str
    endpoints: tuple[str, ...]


BACKENDS = (
    Backend("python", "Python (FastAPI)", tuple(ENDPOINT)),
    Backend("rust", "Rust (axum)", tuple(ENDPOINT)),
    # The ceilings: the same framework and server answering /health and nothing else.
    Backend("hello-python", "FastAPI hello-world", ("health",)),
    Backend("hello-rust", "axum hello-world", ("health",)),
)
UPSTREAM = Backend("upstream", "Open WebUI 0.12.4", tuple(ENDPOINT))
BACKEND = {backend.name: backend for backend in (*BACKENDS, UPSTREAM)}
# endregion: backends
