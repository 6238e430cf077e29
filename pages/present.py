"""Entry shim: hands a first visit to this address to the app's router.

Streamlit's older pages/ convention runs the first session of a freshly started server
by file name, before app.py has registered its pages with st.navigation. A file named
after each url_path lets that first visit land here, and it simply runs the router, which
then shows the real page (`*_page.py`). Later visits go through app.py directly.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[1] / "app.py"), run_name="__main__")
