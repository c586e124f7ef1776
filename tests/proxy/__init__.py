"""The parallel-run reverse proxy: nginx from examples/parallel-run/, tested."""
