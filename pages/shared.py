"""The app side: cached data, shared selections bound to the URL, and small renderers.

Everything that computes lives in `kpis`; this module only caches, reads widgets and
draws. Data is cached on the data files' names, sizes and modification times, so a
file dropped into the data folder shows on the next rerun and every session shares it.
"""

from __future__ import annotations

import html
import logging
import math
import uuid
from pathlib import Path

import polars as pl
import streamlit as st

from kpis import config, narratives, store, summary, views
from kpis.access import PassphraseBackoff, backoff_seconds, check_passphrase, is_direct_loopback
from kpis.areas import code_of
from kpis.catalogue import short_names
from kpis.formatting import format_target, format_value
from kpis.periods import Period, PeriodError, parse_period
from kpis.store import Store
from kpis.styles import DIRECTION, RAG, direction_label, rag_label

log = logging.getLogger("kpi_board")

PARAMS = ("period", "area", "kpi")


# ---- data ---------------------------------------------------------------------------


def data_dir() -> Path:
    return config.data_dir()


def refresh_signature() -> None:
    """Look at the data files once per run; every cached lookup in this run uses that."""
    st.session_state["_data_signature"] = store.signature(data_dir())


def signature() -> tuple:
    return st.session_state.get("_data_signature") or store.signature(data_dir())


# The store is immutable and can be large, so it is cached as a shared resource rather
# than copied out of the cache on every run; everything derived from it is cached as data.
@st.cache_resource(show_spinner="Loading the KPI data…", max_entries=4)
def _store(folder: str, sig: tuple) -> Store:
    return store.load(Path(folder))


def current_store() -> Store:
    return _store(str(data_dir()), signature())


@st.cache_data(show_spinner=False, max_entries=128)
def _tiles(folder: str, sig: tuple, period: str | None, area: str, kpis: tuple[str, ...]) -> list[views.Tile]:
    return views.tiles(_store(folder, sig), _period(period), area, list(kpis))


@st.cache_data(show_spinner=False, max_entries=64)
def _statuses(folder: str, sig: tuple, period: str | None, area: str) -> pl.DataFrame:
    return views.kpi_statuses(_store(folder, sig), _period(period), area)


@st.cache_data(show_spinner=False, max_entries=64)
def _report(folder: str, sig: tuple, period: str | None, area: str) -> pl.DataFrame:
    return summary.report_table(_store(folder, sig), _period(period), area)


@st.cache_data(show_spinner=False, max_entries=64)
def _trend(folder: str, sig: tuple, kpis: tuple[str, ...], areas: tuple[str, ...] | None, period: str | None) -> pl.DataFrame:
    return views.trend(_store(folder, sig), list(kpis), list(areas) if areas else None, _period(period))


@st.cache_data(show_spinner=False, max_entries=64)
def _localities(folder: str, sig: tuple, period: str | None, parent: str) -> pl.DataFrame:
    return views.localities(_store(folder, sig), _period(period), parent)


@st.cache_data(show_spinner=False, max_entries=8)
def _narratives(folder: str, sig: tuple) -> tuple[list[narratives.Narrative], list[str]]:
    return narratives.load_all(Path(folder) / "narratives")


@st.cache_data(show_spinner=False, max_entries=512)
def _sparkline_spec(folder: str, sig: tuple, period: str | None, area: str, kpi: str) -> dict:
    """A tile's sparkline as a Vega-Lite spec: built and validated once per data change, not on every rerun."""
    from kpis import charts

    (tile,) = _tiles(folder, sig, period, area, (kpi,))
    return charts.sparkline(tile.spark).to_dict()


def sparkline(period: Period | None, area: str, kpi: str) -> None:
    st.vega_lite_chart(_sparkline_spec(str(data_dir()), signature(), period.label if period else None, area, kpi), width="stretch")


def tiles(period: Period | None, area: str, kpis: list[str]) -> list[views.Tile]:
    return _tiles(str(data_dir()), signature(), period.label if period else None, area, tuple(kpis))


def statuses(period: Period | None, area: str) -> pl.DataFrame:
    return _statuses(str(data_dir()), signature(), period.label if period else None, area)


def report(period: Period | None, area: str) -> pl.DataFrame:
    return _report(str(data_dir()), signature(), period.label if period else None, area)


def trend(kpis: list[str], areas: list[str] | None, period: Period | None) -> pl.DataFrame:
    return _trend(str(data_dir()), signature(), tuple(kpis), tuple(areas) if areas else None, period.label if period else None)


def localities(period: Period | None, parent: str) -> pl.DataFrame:
    return _localities(str(data_dir()), signature(), period.label if period else None, parent)


def narrative_list() -> tuple[list[narratives.Narrative], list[str]]:
    return _narratives(str(data_dir()), signature())


# ---- statistical process control (computed in kpis.spc; cached here) -----------------


def _baselines_signature(folder: str) -> tuple:
    """spc_baselines.csv is not part of the store, so its own size and time join the cache key."""
    from kpis.spc import baselines

    try:
        stat = (Path(folder) / baselines.FILE).stat()
    except OSError:
        return ()
    return (stat.st_size, stat.st_mtime_ns)


@st.cache_data(show_spinner=False, max_entries=16)
def _spc_baselines(folder: str, sig: tuple, bsig: tuple) -> tuple[pl.DataFrame, pl.DataFrame]:
    from kpis.spc import baselines

    data = _store(folder, sig)
    return baselines.load(Path(folder), data.catalogue, data.areas)


@st.cache_data(show_spinner=False, max_entries=128)
def _spc(folder: str, sig: tuple, bsig: tuple, kpi: str, area: str, period: str | None):
    from kpis import spc

    return spc.for_store(_store(folder, sig), kpi, area, _period(period), _spc_baselines(folder, sig, bsig)[0])


@st.cache_data(show_spinner=False, max_entries=64)
def _spc_summary(folder: str, sig: tuple, bsig: tuple, period: str | None, areas: tuple[str, ...]) -> pl.DataFrame:
    from kpis import spc

    return spc.summary(_store(folder, sig), _period(period), list(areas), None, _spc_baselines(folder, sig, bsig)[0])


def spc_baselines() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The usable baselines and the problems with the file."""
    folder = str(data_dir())
    return _spc_baselines(folder, signature(), _baselines_signature(folder))


def spc_result(kpi: str, area: str, period: Period | None):
    folder = str(data_dir())
    return _spc(folder, signature(), _baselines_signature(folder), kpi, area, period.label if period else None)


def spc_summary(period: Period | None, areas: list[str]) -> pl.DataFrame:
    """One row per KPI × area (`kpis.spc.summary`): variation and assurance words, and any disagreement with RAG."""
    folder = str(data_dir())
    return _spc_summary(folder, signature(), _baselines_signature(folder), period.label if period else None, tuple(areas))


def spc_lines(kpi_id: str, rows: list[dict[str, object]], period: Period | None, area: str) -> None:
    """Under a tile: SPC variation and assurance (symbol and words) per row, and where RAG and SPC disagree."""
    from kpis.areas import children

    table = spc_summary(period, [area, *children(current_store().areas, area)])
    found = {(r["kpi_id"], r["area"]): r for r in table.filter(pl.col("kpi_id") == kpi_id).iter_rows(named=True)}
    for row in rows:
        spc = found.get((kpi_id, row["area"]))
        if spc is None:
            continue
        prefix = "" if row["area"] == area else f"{row['area']}: "
        st.html(f'<div class="kpi-meta">{html.escape(prefix)}SPC: {html.escape(str(spc["variation_label"]))} · '
                f'Assurance: {html.escape(str(spc["assurance_label"]))}</div>'
                + (f'<div class="kpi-stale">{html.escape(str(spc["disagreement"]))}</div>' if spc["disagreement"] else ""))


def _period(label: str | None) -> Period | None:
    return parse_period(label) if label else None


# ---- shared selections, kept in the URL ---------------------------------------------


def _sync(param: str, options: list[str], default: str | None) -> None:
    """Before the widget: take the URL's value when a link or the user changed it.

    A selection nobody chose follows the default, so that when newer figures are
    published the board moves on to them; a chosen one (or one from a link) stays.
    """
    key, seen, defaulted = f"sel_{param}", f"_url_{param}", f"_default_{param}"
    from_url = st.query_params.get(param)
    current = st.session_state.get(key)
    if from_url in options and from_url != st.session_state.get(seen):
        st.session_state[key] = from_url
    elif current not in options or (current == st.session_state.get(defaulted) and current != default):
        st.session_state[key] = default
    st.session_state[defaulted] = default


def _publish(param: str) -> None:
    """After the widget: write the value back, so the URL always names the view (and survives page changes)."""
    value = st.session_state.get(f"sel_{param}")
    if value is None:
        return
    if st.query_params.get(param) != value:
        st.query_params[param] = value
    st.session_state[f"_url_{param}"] = value


def selectors(data: Store) -> None:
    """Reporting period, area and KPI in the sidebar, on every page."""
    periods = [p.label for p in reversed(summary.periods_available(data))]
    default_period = summary.default_period(data)
    area_names = data.areas["area"].to_list()
    kpi_ids = data.catalogue["kpi_id"].to_list()
    names = short_names(data.catalogue)
    codes = code_of(data.areas)
    roots = [a for a in area_names if data.areas.filter(pl.col("area") == a)["parent"].item() is None]
    _sync("period", periods, default_period.label if default_period else None)
    _sync("area", area_names, roots[0] if roots else (area_names[0] if area_names else None))
    _sync("kpi", kpi_ids, kpi_ids[0] if kpi_ids else None)
    with st.sidebar:
        st.markdown("### Show")
        st.selectbox("Reporting period", periods, key="sel_period", help="Each KPI shows its latest value at or before this period.")
        st.selectbox("Area", area_names, key="sel_area", format_func=lambda a: f"{a} ({codes[a]})" if codes.get(a) and codes[a] != a else a)
        st.selectbox("KPI (for trends)", kpi_ids, key="sel_kpi", format_func=lambda k: names.get(k, k))
    for param in PARAMS:
        _publish(param)


def selected_period() -> Period | None:
    label = st.session_state.get("sel_period")
    try:
        return parse_period(label) if label else None
    except PeriodError:
        return None


def selected_area() -> str | None:
    return st.session_state.get("sel_area")


def selected_kpi() -> str | None:
    return st.session_state.get("sel_kpi")


def view_params() -> dict[str, str]:
    return {p: st.session_state[f"sel_{p}"] for p in PARAMS if st.session_state.get(f"sel_{p}")}


# ---- rendering helpers --------------------------------------------------------------


def badge(rag: str) -> str:
    """Status as colour, icon and word. Built from fixed registry strings only."""
    look = RAG.get(rag, RAG["grey"])
    return (f'<span class="kpi-badge" style="background:{look.colour};color:{look.text_colour}">'
            f'<span aria-hidden="true">{look.icon}</span> {look.word}</span>')


def direction_badge(arrow: str | None, direction: str, significant: bool | None = None) -> str:
    """The direction with whether the change is significant ('↑ Improving, within normal variation')."""
    look = DIRECTION.get(direction, DIRECTION["unknown"])
    return f'<span class="kpi-direction" style="color:{look.colour}">{html.escape(direction_label(arrow, direction, significant))}</span>'


def chip(code: str, value: str, rag: str) -> str:
    look = RAG.get(rag, RAG["grey"])
    return (f'<span class="kpi-chip" style="border-color:{look.colour}">'
            f'<b>{html.escape(code)}</b> {html.escape(value)} <span style="color:{look.colour}" title="{look.word}">{look.icon}</span></span>')


def style_sheet() -> None:
    st.html("""<style>
    .kpi-badge {display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:0.9rem;white-space:nowrap}
    .kpi-direction {font-weight:600;font-size:0.9rem;white-space:nowrap}
    .kpi-chip {display:inline-block;border:2px solid;border-radius:10px;padding:0 8px;margin:2px 4px 2px 0;font-size:0.85rem;white-space:nowrap}
    .kpi-value {font-size:2rem;font-weight:700;line-height:1.1}
    .kpi-count {font-size:2rem;font-weight:700}
    .kpi-meta {color:#4A4F57;font-size:0.88rem}
    .kpi-stale {color:#8A4B00;font-weight:600;font-size:0.85rem}
    </style>""")


def value_text(row: dict[str, object]) -> str:
    return format_value(row.get("value"), str(row["unit"]), int(row["decimals"] or 0))


def target_text(kpi: dict[str, object], row: dict[str, object] | None = None) -> str:
    target = row.get("target") if row else kpi.get("target")
    return format_target(target, kpi.get("target_wording") if (row is None or target == kpi.get("target")) else None,
                         str(kpi["unit"]), int(kpi["decimals"] or 0))


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")


def csv_bytes(frame: pl.DataFrame) -> bytes:
    from kpis.problems import neutralise_csv_cells

    return neutralise_csv_cells(frame).write_csv().encode("utf-8-sig")


def rag_word(rag: str) -> str:
    return rag_label(rag)


def require_data() -> Store:
    """The store, or a clear message (and stop) when the catalogue or areas cannot be read."""
    data = current_store()
    if not data.ok:
        st.error("The KPI catalogue or the list of areas could not be read, so there is nothing to show yet.", icon=":material/warning:")
        st.dataframe(data.problems.to_pandas(), hide_index=True)
        st.stop()
    if data.left_out:
        st.warning(f"Not shown, because their row in catalogue.csv or areas.csv has an error: {', '.join(data.left_out)}. "
                   "The Data page lists the problems.", icon=":material/warning:")
    return data


def render_tile(tile: views.Tile, period: Period | None, area: str, codes: dict[str, str], compact: bool = False) -> None:
    """One KPI tile: value, target, period and age, status (colour, icon, word), direction, sparkline, parts, why, link."""
    kpi = tile.kpi
    row = tile.status_row
    with st.container(border=True):
        st.markdown(f"**{kpi['short_name']}**", help=str(kpi["name"]))
        if tile.main is not None:
            main = tile.main
            st.html(f'<div class="kpi-value">{html.escape(value_text(main))}</div>'
                    f'<div class="kpi-meta">Target {html.escape(target_text(kpi, main))} · {html.escape(str(main["period"]))}</div>')
            if main["stale"]:
                st.html(f'<div class="kpi-stale">Older figure: the latest is for {html.escape(str(main["period"]))}, before the selected period</div>')
            st.html(f'{badge(str(main["rag"]))} &nbsp; {direction_badge(main["arrow"], str(main["direction"]), main.get("change_significant"))}'
                    + (f'<span class="kpi-meta"> vs {html.escape(str(main["prior_period"]))}</span>' if main.get("prior_period") else ""))
        elif tile.parts:
            worst = str(row["rag"]) if row else "grey"
            same = len({p["rag"] for p in tile.parts}) == 1
            st.html(f'<div class="kpi-meta">No {html.escape(area)} figure; reported by area. Target {html.escape(target_text(kpi))}</div>'
                    f'{badge(worst)} <span class="kpi-meta">{"all areas" if same else "worst area"}</span>')
            stale = [p for p in tile.parts if p["stale"]]
            if stale:
                st.html(f'<div class="kpi-stale">Older figures: the latest are for {html.escape(str(stale[0]["period"]))}, before the selected period</div>')
        else:
            st.html(f'<div class="kpi-meta">No figure for {html.escape(area)} at or before {html.escape(period.label if period else "this period")}.</div>'
                    f'{badge("grey")}')
        if tile.parts:
            st.html("".join(chip(codes.get(str(p["area"]), str(p["area"])), value_text(p), str(p["rag"])) for p in tile.parts)
                    + (" " + " ".join(direction_badge(p["arrow"], str(p["direction"]), p.get("change_significant")).replace(">", f' title="{html.escape(str(p["area"]))}">', 1)
                                      for p in tile.parts) if not compact else ""))
        if tile.main is not None or tile.parts:
            spc_lines(str(kpi["kpi_id"]), [tile.main] if tile.main is not None else tile.parts, period, area)
        if tile.spark.height > 1:
            sparkline(period, area, str(kpi["kpi_id"]))
        if row is not None:
            with st.expander("Why this status?"):
                rows = [tile.main] if tile.main is not None else tile.parts
                for r in rows:
                    prefix = "" if tile.main is not None else f"{r['area']}: "
                    st.markdown(prefix + summary.why(r))
        st.page_link("pages/trends_page.py", label="Open trend", icon=":material/show_chart:",
                     query_params={"kpi": str(kpi["kpi_id"]), "area": area, **({"period": period.label} if period else {})})


# ---- analysts: access, checking, publishing ------------------------------------------------

MAX_UPLOAD_MB = int(__import__("os").environ.get("KPI_MAX_UPLOAD_MB", "50"))
PREVIEW_ROWS = 5_000  # rows a table shows in the browser; downloads hold everything


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # no secrets file, or one that cannot be parsed: nothing is configured
        return {}


def _connection() -> tuple[str | None, dict[str, str]]:
    """The peer address as Streamlit reports it (None for 127.0.0.1 and ::1) and the request headers."""
    return st.context.ip_address, dict(st.context.headers)


def is_local_visitor() -> bool:
    """A visitor on this machine: a loopback peer and Host, and no proxy header (see `kpis.access`)."""
    try:
        ip, headers = _connection()
    except Exception:
        return False
    return is_direct_loopback(remote_ip=ip, headers=headers)


# One record of wrong passphrases for the whole server, shared by every session.
PASSPHRASE_BACKOFF = PassphraseBackoff()


def _backoff_keys() -> tuple[str, str]:
    """Wrong passphrases count against this browser session and against the address it comes from."""
    try:
        ip, _ = _connection()
    except Exception:
        ip = None
    session = st.session_state.setdefault("_backoff_session", uuid.uuid4().hex)
    return f"session:{session}", f"address:{ip or 'loopback'}"


def _try_passphrase(phrase: str, salt: str, expected: str) -> None:
    """Check a passphrase unless this session or address is still waiting; log each failure, never the phrase."""
    guard, keys = PASSPHRASE_BACKOFF, _backoff_keys()
    wait = guard.wait(keys)
    if wait > 0:
        st.error(f"Too many wrong passphrases. Try again in {math.ceil(wait)} s.", icon=":material/timer:")
        return
    if check_passphrase(phrase, salt, expected):
        guard.succeed(keys)
        st.session_state["_analyst_ok"] = True
        st.rerun()
    failures = guard.fail(keys)
    log.warning("wrong analyst passphrase from %s (%d failures)", keys[1].removeprefix("address:"), failures)
    st.error(f"That passphrase is not right. Try again in {math.ceil(backoff_seconds(failures))} s.", icon=":material/error:")


def access_panel():
    """Who may publish here, shown and decided once per run."""
    from kpis import access, batches

    secrets = _secrets()
    analyst = dict(secrets.get("analyst", {}))
    oidc = "auth" in secrets
    email = None
    if oidc:
        try:
            email = st.user.get("email") if st.user.is_logged_in else None
        except Exception:
            email = None
    salt, expected = str(analyst.get("passphrase_salt", "")), str(analyst.get("passphrase_hash", ""))
    decision = access.decide(
        oidc_configured=oidc, logged_in_email=email, allowed_emails=list(analyst.get("emails", [])),
        passphrase_configured=bool(expected), passphrase_ok=bool(st.session_state.get("_analyst_ok")),
        is_local=is_local_visitor(), local_user=batches.local_user(),
    )
    with st.container(border=True):
        if decision.can_publish:
            st.markdown(f":material/verified_user: **You can publish.** {decision.reason}")
        else:
            st.markdown(f":material/visibility: **Viewing only.** {decision.reason}")
        if oidc:
            if email is None and st.button("Log in", key="login"):
                st.login()
            elif email is not None and st.button("Log out", key="logout"):
                st.logout()
        elif expected and not decision.can_publish:
            with st.form("passphrase_form", border=False):
                phrase = st.text_input("Analyst passphrase", type="password", key="passphrase")
                if st.form_submit_button("Unlock publishing"):
                    _try_passphrase(phrase, salt, expected)
    return decision


def check_uploads(uploads: list, mapping_name: str) -> list:
    """Check uploads once per content, sheet, mapping and data version, with progress shown for large files."""
    from kpis import batches, layouts
    from kpis import publish as pub

    # Each upload has an id of its own, so content is not hashed again on every rerun.
    key = (tuple((u.ref or batches.sha256(u.data), u.sheet, u.name) for u in uploads), mapping_name, signature())
    cache = st.session_state.setdefault("_checked", {})
    if key not in cache:
        data = current_store()
        try:
            mapping = layouts.load_mapping(data_dir(), mapping_name) if mapping_name != "(none)" else None
        except (OSError, ValueError) as error:  # a hand-edited mapping file that is not valid JSON, or gone
            st.error(f"The mapping '{mapping_name}' could not be read ({error}). Choose another, or save it again.", icon=":material/error:")
            st.stop()
        results = []
        with st.status("Checking files…", expanded=False) as status:
            for i, upload in enumerate(uploads, 1):
                status.update(label=f"Checking {pub.display_name(upload.name)} ({i} of {len(uploads)})…")
                results += pub.check_uploads([upload], data, mapping, max_bytes=MAX_UPLOAD_MB * 2**20)
            status.update(label=f"Checked {len(uploads)} file(s)", state="complete")
        cache.clear()
        cache[key] = pub.cross_file_conflicts(results)
    return cache[key]


def preview(checked: list):
    from kpis import publish as pub

    key = (tuple((c.sha256, c.name, c.frame.height) for c in checked), signature())
    cache = st.session_state.setdefault("_preview", {})
    if key not in cache:
        cache.clear()
        cache[key] = pub.preview(checked, current_store())
    return cache[key]


def set_withdrawn(batch_id: str, user: str, withdrawn: bool) -> None:
    from kpis import batches

    try:
        batches.set_withdrawn(data_dir(), batch_id, user, withdrawn)
    except batches.BusyError as error:
        st.warning(str(error))
        return
    st.session_state["published_message"] = f"{'Withdrew' if withdrawn else 'Restored'} batch {batch_id}."
    st.rerun()


def mapping_editor(files: list, can_save: bool) -> None:
    """Map another system's columns and codes onto the board's, and save the mapping under a name."""
    from kpis import layouts

    headers: list[str] = []
    for f in files:
        headers += [h for h in layouts.headers(f.getvalue(), f.name) if h not in headers]
    if not headers:
        st.caption("Upload a file to map its columns.")
        return
    st.caption("Choose which of the file's columns holds each field, and translate its codes. Save the mapping to reuse it "
               "next quarter (also from the command line: `python -m kpis ingest FILE --mapping NAME`).")
    columns: dict[str, str] = {}
    grid = st.columns(4)
    for i, target in enumerate(layouts.CANONICAL):
        choice = grid[i % 4].selectbox(target, ["(not in file)", *headers], key=f"map_col_{target}",
                                       index=(headers.index(target) + 1) if target in headers else 0)
        if choice != "(not in file)" and choice != target:
            columns[choice] = target
    kpi_codes = st.text_area("KPI codes (one per line: CODE = kpi_id)", key="map_kpis", height=90)
    area_codes = st.text_area("Area codes (one per line: CODE = area name)", key="map_areas", height=90)
    name = st.text_input("Save as", key="map_name", placeholder="e.g. health-visiting-export")
    if st.button("Save mapping", disabled=not can_save or not name, key="map_save", icon=":material/save:",
                 help=None if can_save else "Saving a mapping needs the analyst role"):
        try:
            layouts.save_mapping(data_dir(), name, layouts.Mapping(columns, layouts.parse_code_lines(kpi_codes), layouts.parse_code_lines(area_codes)))
        except ValueError as error:
            st.error(str(error))
        else:
            st.success(f"Saved the mapping '{name}'. Choose it above to use it.")
