"""Entry shim: hands a first visit to this address to the app's router (see pages/trends.py)."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[1] / "app.py"), run_name="__main__")
