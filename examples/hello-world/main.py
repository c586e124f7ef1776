"""The benchmarks' Python ceiling: FastAPI answering `GET /health` and nothing else.

Served by uvicorn exactly as the reference backend is, so that the reference's
`/health` as a fraction of this app is what the reference's own layers cost.
"""

from fastapi import FastAPI


# --8<-- [start:app]
def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict:
        return {"status": True}

    return app


# --8<-- [end:app]
