"""The command line run in this process: `cli.main` with its own arguments, environment and captured output.

Most command tests need only the exit code and what was printed, which this gives without
starting Python again. The few tests that check the command as a user starts it (`python -m
kpis`, its stderr, a closed pipe) keep a real process: `in_process=False`.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

from conftest import ROOT


def run(*args: str, env: dict[str, str | None] | None = None, in_process: bool = True) -> subprocess.CompletedProcess:
    """Run `python -m kpis ARGS`; `env` sets (or, with None, removes) environment variables for the run."""
    changes = {"KPI_DATA_DIR": None, **(env or {})}
    if not in_process:
        full = {k: v for k, v in {**os.environ, **changes}.items() if v is not None}
        return subprocess.run([sys.executable, "-m", "kpis", *args], capture_output=True, text=True, cwd=ROOT, env=full, timeout=300)
    from kpis import cli

    saved = {key: os.environ.get(key) for key in changes}
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        for key, value in changes.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.chdir(ROOT)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as stop:  # argparse's usage errors
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        os.chdir(here)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return subprocess.CompletedProcess(["kpis", *args], code, out.getvalue(), err.getvalue())
