"""Helpers shared by the routers: credentials, tokens, guards and validation."""
