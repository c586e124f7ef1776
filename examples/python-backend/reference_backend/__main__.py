"""`python -m reference_backend`: serve the API with uvicorn, configured by env."""

import uvicorn

from reference_backend.env import Settings
from reference_backend.main import create_app


# --8<-- [start:serve]
def main() -> None:
    settings = Settings.from_environ()
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
