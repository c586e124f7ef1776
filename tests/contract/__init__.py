"""The HTTP contract of Open WebUI 0.12.4 that every implementation must keep."""
