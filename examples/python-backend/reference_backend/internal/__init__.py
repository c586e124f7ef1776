"""Database plumbing shared by every model module."""
