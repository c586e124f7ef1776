"""Tables (SQLAlchemy) and payloads (Pydantic), one module per upstream model module."""
