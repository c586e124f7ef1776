"""The reference backend as a uvicorn factory, so uvicorn can start several workers.

`python -m reference_backend` serves one worker, as upstream's `open-webui serve` does;
the benchmarks also run it with one worker per core, which uvicorn does only for an
app it can import by name.
"""

from fastapi import FastAPI

from reference_backend.env import Settings
from reference_backend.main import create_app


def reference_app() -> FastAPI:
    return create_app(Settings.from_environ())
