"""Where the data lives: `--data-dir`, else $KPI_DATA_DIR, else ./data."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA_DIR = "KPI_DATA_DIR"


def data_dir(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(ENV_DATA_DIR) or "data")

ENV_MAX_UPLOAD_MB = "KPI_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 50


def max_upload_bytes() -> int:
    """The largest file read, in bytes: $KPI_MAX_UPLOAD_MB megabytes (default 50)."""
    raw = os.environ.get(ENV_MAX_UPLOAD_MB, "").strip()
    try:
        megabytes = float(raw) if raw else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        megabytes = DEFAULT_MAX_UPLOAD_MB
    return int(max(megabytes, 0) * 2**20) or DEFAULT_MAX_UPLOAD_MB * 2**20


def too_large(size: int, limit: int | None = None) -> str | None:
    """Why a file of `size` bytes is refused, or None when it is within the limit."""
    limit = max_upload_bytes() if limit is None else limit
    if size <= limit:
        return None
    return f"The file is {size / 2**20:.1f} MB, over the {limit / 2**20:.0f} MB limit"

ENV_DATABASE_URL = "KPI_DATABASE_URL"


def database_url(explicit: str | None = None) -> str | None:
    """The PostgreSQL store's URL: `--database-url`, else $KPI_DATABASE_URL; None means the data folder's files."""
    return (explicit or os.environ.get(ENV_DATABASE_URL, "")).strip() or None
