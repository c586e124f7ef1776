"""HTTP routes, one module per upstream router, mounted by `main.create_app`."""
