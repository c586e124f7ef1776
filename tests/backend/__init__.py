"""Unit tests of the reference backend's token, password, config and settings code."""
