"""schema-audit: audit a PostgreSQL schema against a written specification."""

__version__ = "0.1.0"
