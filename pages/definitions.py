"""Entry shim for this address: runs the router (app.py), which shows the real page.

Needed because a `pages/` folder beside app.py puts Streamlit in its older multipage
mode, where the first visit after a server start is resolved by file name before the
router has registered its pages. README, section Layout, explains it in full.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[1] / "app.py"), run_name="__main__")
