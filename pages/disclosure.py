"""A button that shows or hides the controls under it.

The sidebar's select boxes sit behind one: a select box costs a first visit about a third of a bare page's time in
the browser (its scripts load with it), so they are drawn only when asked for. Unlike a popover, whose content
Streamlit puts at the end of the page, the controls come right after the button, so Tab reaches them next (WCAG's
focus order; a popover there is failure F85).
"""

from __future__ import annotations

import streamlit as st


def _flip(state: str) -> None:
    st.session_state[state] = not st.session_state.get(state, False)


def disclosure(label: str, key: str, help: str, holds: tuple[str, ...]) -> bool:
    """The button, named by what the controls hold now (`label`, Markdown); whether the controls are shown.

    `holds` are the session keys of the controls under it: their values are kept while the controls are hidden
    (Streamlit forgets the value of a widget it did not draw in a run, but not one the script set)."""
    for held in holds:
        if held in st.session_state:
            st.session_state[held] = st.session_state[held]
    state = f"_{key}_open"
    shown = bool(st.session_state.get(state))
    st.button(label, key=key, help=help, width="stretch", on_click=_flip, args=(state,),
              icon=":material/expand_less:" if shown else ":material/expand_more:")
    return shown
