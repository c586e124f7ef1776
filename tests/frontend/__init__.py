"""Open WebUI's own frontend in Debian's Chromium, through the parallel-run proxy."""
