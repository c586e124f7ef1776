"""Helpers the suites share: servers that stand in for the services Open WebUI uses."""
