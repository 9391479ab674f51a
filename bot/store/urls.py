"""Database URLs: which backend one names, and how to show one without its password."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(location: str) -> bool:
    """Does ``location`` name a PostgreSQL server (else it is a SQLite file path)?"""
    return location.startswith(URL_SCHEMES)


def redact_url(url: str) -> str:
    """A connection URL with its password (in the address or the query) shown as ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="/*")))
