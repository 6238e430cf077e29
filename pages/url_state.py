"""Page controls bound to the address, so that every view is a link.

A control's value lives in the URL only when it differs from its default: an address
without the parameter shows the default, and opening the address in a fresh browser shows
the same view. Before its widget, `bind` takes a value from the URL when a link (or Back)
changed it; after the widget, `publish` writes the value back. A person changes one control
per rerun, so each change makes one browser history entry, and a first visit makes none.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

EMPTY = "-"  # an empty list chosen on purpose (absent means the default)


@dataclass(frozen=True)
class Kind:
    read: Callable[[list[str]], object]  # URL values to a widget value (raises ValueError when not one)
    write: Callable[[object], list[str]]


def _bool(values: list[str]) -> bool:
    if values[-1] not in ("1", "0"):
        raise ValueError(values[-1])
    return values[-1] == "1"


KINDS: dict[str, Kind] = {
    "text": Kind(lambda v: v[-1], lambda x: [str(x)]),
    "int": Kind(lambda v: int(v[-1]), lambda x: [str(int(x))]),
    "bool": Kind(_bool, lambda x: ["1" if x else "0"]),
    "list": Kind(lambda v: [] if v == [EMPTY] else list(dict.fromkeys(v)), lambda x: list(x) or [EMPTY]),
    "ints": Kind(lambda v: [] if v == [EMPTY] else list(dict.fromkeys(int(i) for i in v)), lambda x: [str(int(i)) for i in x] or [EMPTY]),
}


def _from_url(param: str, kind: str, allowed: Sequence[object] | None) -> tuple[bool, object]:
    values = st.query_params.get_all(param)
    if not values:
        return False, None
    try:
        value = KINDS[kind].read(values)
    except (ValueError, TypeError):
        return False, None
    if allowed is not None:
        if isinstance(value, list):
            value = [v for v in value if v in allowed]
        elif value not in allowed:
            return False, None
    return True, value


def bind(param: str, key: str, default: object, kind: str = "text", allowed: Sequence[object] | None = None) -> None:
    """Before the widget `key`: the URL's value when a link or Back changed it, else the widget's own, else the default."""
    seen = f"_url_seen_{param}"
    raw = st.query_params.get_all(param)
    found, value = _from_url(param, kind, allowed)
    if raw != st.session_state.get(seen):
        st.session_state[seen] = raw
        st.session_state[key] = value if found else default
    elif key not in st.session_state:
        st.session_state[key] = value if found else default


def publish(param: str, key: str, default: object, kind: str = "text") -> None:
    """After the widget: the value in the URL when it is not the default, and no parameter when it is."""
    value = st.session_state.get(key)
    wanted = [] if value == default else KINDS[kind].write(value)
    if st.query_params.get_all(param) != wanted:
        if wanted:
            st.query_params[param] = wanted if len(wanted) > 1 else wanted[0]
        else:
            del st.query_params[param]
    st.session_state[f"_url_seen_{param}"] = wanted


def current_link() -> str:
    """The address of this view, as a person would paste it."""
    base = (st.context.url or "").split("?")[0]
    pairs = [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    return base + ("?" + urlencode(pairs) if pairs else "")


# Follows a link of the board's own HTML (`components.page_anchor`) as Streamlit's page links do: the address changes, the page
# is run in the same session and nothing reloads. Streamlit opens the page in the address when the browser's history
# moves (its Back and Forward), so the script adds the address to the history and says it moved. A click with a
# modifier key (a new tab or window) is left to the browser. The script comes with Copy link's block, which every page
# with such links has: a block with a script takes room on the page (the Present page, which has neither, fits the
# screen to the pixel), so it joins the one block that has a script already.
NAV_SCRIPT = """(() => { if (window.kpiNav) return; window.kpiNav = true;
  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[data-kpi-nav]') : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const url = new URL(link.href, document.baseURI);
    if (url.origin !== window.location.origin) return;
    event.preventDefault();
    window.history.pushState({}, '', url);
    window.dispatchEvent(new PopStateEvent('popstate', {state: {}}));
  });
})();"""


_COPY = """<style>.kpi-copy {border:1px solid #8A9099;border-radius:8px;background:#FFFFFF;color:#1A1A1A;padding:4px 12px;
font:inherit;font-size:0.9rem;cursor:pointer} .kpi-copy:hover {border-color:#1A1A1A}</style><button class="kpi-copy" type="button" onclick="navigator.clipboard.writeText(window.location.href).then(
() => {this.textContent = 'Link copied'; setTimeout(() => {this.textContent = 'Copy link'}, 2000);},
() => {this.textContent = 'Copy the address bar';})">Copy link</button>"""


def copy_link() -> None:
    """Where the 'Copy link' button and the link go: filled by `render_link` once the page has run, so that the
    link holds every choice made on the page (the controls below write theirs into the address after this)."""
    st.session_state["_link_slot"] = st.empty()


def render_link() -> None:
    """Fill the slot `copy_link` left, if the page left one: the button (copies the address) and the link itself."""
    slot = st.session_state.pop("_link_slot", None)
    if slot is None:
        return
    # One block, the link escaped: an expander holding the link as text was three elements more on every page.
    slot.html(f'{_COPY}<details class="kpi-disclosure kpi-link-view"><summary>Link to this view</summary>'
              f'<div class="kpi-disclosure-body"><code>{html.escape(current_link())}</code></div></details><script>{NAV_SCRIPT}</script>',
              unsafe_allow_javascript=True)
