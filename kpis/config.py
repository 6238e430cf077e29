"""Where the data lives: `--data-dir`, else $KPI_DATA_DIR, else ./data."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA_DIR = "KPI_DATA_DIR"


def data_dir(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(ENV_DATA_DIR) or "data")
