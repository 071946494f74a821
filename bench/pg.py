"""Scratch-database plumbing the benchmarks share: a database URL on the same server, and
an autocommit psycopg connection from a URL (CREATE/DROP DATABASE, COPY, checks)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def url_for(url: str, dbname: str) -> str:
    """`url` pointing at database `dbname` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{dbname}"))


def connect(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        dbname=parts.path.lstrip("/") or "postgres", user=parts.username,
        password=parts.password, host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
        autocommit=True)
