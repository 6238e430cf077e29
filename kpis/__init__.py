"""KPI performance board: the domain core.

Pure Python on Polars, Altair and pandera. Nothing here imports Streamlit, so every
figure a page shows is computed and tested without a browser.
"""

__version__ = "0.1.0"
