"""The handbook's FastAPI reference backend: Open WebUI 0.12.4's core API, small.

The layout follows upstream's `open_webui` package (`env`, `config`, `constants`,
`internal/db`, `models/`, `routers/`, `utils/`) so each page can point at the file
that plays the same part upstream. The Rust twin uses the same names.
"""
