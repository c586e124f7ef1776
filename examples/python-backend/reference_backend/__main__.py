"""`python -m reference_backend`: serve the API with uvicorn, configured by env."""

import signal
import sys

import uvicorn

from reference_backend.env import Settings
from reference_backend.main import create_app


# --8<-- [start:serve]
def main() -> None:
    settings = Settings.from_environ()
    # Once it has shut down, uvicorn raises the signal that stopped it again, under
    # the handler it found; the default one kills the process (exit -15, as Open
    # WebUI's). A stop that finished its requests is a success: exit 0, as the Rust
    # twin does, so a supervisor can tell it from a crash.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        # Requests are logged by the access log; keep the rest at info.
        log_level="info",
    )


# --8<-- [end:serve]


if __name__ == "__main__":
    main()
