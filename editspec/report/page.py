# ruff: noqa: RUF001 -- typographic signs (times, en dash, minus) are the page's text
"""The report page: :func:`render_page` turns the report's data into one HTML file.

Everything is inline (style, script, data with its JPEG thumbnails); nothing is fetched
when the page is opened, except the render itself when it is referenced rather than
embedded (``<video src>`` relative to the page).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from editspec.report.assets import SCRIPT, STYLE


def _json_for_script(data: dict[str, Any]) -> str:
    """JSON that cannot end its ``<script>`` element early (``<`` is written ``\\u003c``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _fmt_time(s: float) -> str:
    m, sec = divmod(s, 60.0)
    return f"{int(m)}:{sec:06.3f}"


def _chips(d: dict[str, Any]) -> str:
    items = [("", f"{d['size'][0]}×{d['size'][1]}"), ("", f"{d['fps_text']} fps"),
             ("", f"{_fmt_time(d['duration'])}"), ("shots ", str(len(d["events"]))),
             ("cuts ", str(len(d["cuts"])))]
    if d.get("tempo"):
        items.append(("", f"{float(d['tempo']):.1f} BPM"))
    if d.get("tracker"):
        items.append(("tracker ", str(d["tracker"])))
    return "".join(f'<span class="chip">{escape(k)}<b>{escape(v)}</b></span>' for k, v in items)


def _edit_panel(d: dict[str, Any]) -> str:
    music = d.get("music")
    rows = [("recipe", d.get("recipe") or "–"),
            ("music", f"{music['name']} from {music['start']:.2f}s" if music else "–"),
            ("output", f"{d['size'][0]}×{d['size'][1]} at {d['fps_text']} fps, "
                       f"{d['duration_frames']} frames"),
            ("metre", f"{d['beats_per_bar']}/4" if d.get("beats_per_bar") else "–"),
            ("beats", f"{len(d['beats'])} ({len(d['downbeats'])} downbeats)"),
            ("sections", " · ".join(s["label"] for s in d["sections"]) or "–"),
            ("seed", str(d.get("seed", 0)))]
    body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f'<section class="card"><h2>Edit</h2><dl class="kv">{body}</dl></section>'


def _rules_panel(d: dict[str, Any]) -> str:
    total = max(1, len(d["cuts"]))
    if not d["rules"]:
        return ('<section class="card"><h2>Rules that fired</h2>'
                '<div class="muted">no cuts: one shot</div></section>')
    rows = []
    for i, r in enumerate(d["rules"]):
        pct = 100.0 * r["count"] / total
        rows.append(f'<div class="rule" data-r="{i}"><span class="sw" style="background:'
                    f'{r["color"]}"></span><span>{escape(r["name"])}</span>'
                    f'<span class="num">{r["count"]} cut{"s" if r["count"] != 1 else ""}</span>'
                    f'<span class="bar"><i style="width:{pct:.1f}%;background:{r["color"]}"></i>'
                    f"</span></div>")
    return f'<section class="card"><h2>Rules that fired</h2>{"".join(rows)}</section>'


def _check_panel(d: dict[str, Any]) -> str:
    c = d.get("check")
    if not c:
        return ""
    hard, off, off_beat = c["hard_cuts"], c["off_frame"], c.get("off_beat", 0)
    if off == 0 and off_beat == 0:
        status = f'<div class="status ok">✓ all {hard} hard cuts on their frame and beat</div>'
    else:
        status = (f'<div class="status bad">✗ {off} of {hard} hard cuts off their frame, '
                  f'{off_beat} off their beat</div>')
    errs = [abs(x["beat_ms"]) for x in c["cuts"]
            if x["beat_ms"] is not None and x.get("on_beat", True)]
    mean = f"{sum(errs) / len(errs):.1f} ms" if errs else "–"
    worst = f"{max(errs):.1f} ms" if errs else "–"
    rows = [("tempo", f"{c['tempo']:.2f} BPM (the plan's)"),
            ("to the plan's beats", f"mean {mean}, worst {worst} (cuts on a beat; from the "
                                    f"{c.get('beats_from', 'analysis')})"),
            ("drift", f"{c['drift_ms_per_min']:+.2f} ms/min"),
            ("decoded", f"{c['frames']} frames")]
    body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return (f'<section class="card" id="check"><h2>Beat-grid check of the render</h2>{status}'
            f'<dl class="kv">{body}</dl></section>')


def _player(d: dict[str, Any]) -> str:
    v = d.get("video")
    if not v:
        return ""
    return (f'<section class="card playercard"><video id="player" controls preload="auto" '
            f'playsinline src="{escape(v["src"], quote=True)}"></video>'
            f'<div class="readout" id="readout"></div></section>')


def render_page(data: dict[str, Any]) -> str:
    """Return the whole HTML page of a report.

    Parameters
    ----------
    data : dict
        From :func:`editspec.report.data.build_report_data`.

    Returns
    -------
    str
        One self-contained HTML document.
    """
    colors = "".join(f"--{k}:{v};" for k, v in data["colors"].items())
    readout = "" if data.get("video") else '<div class="readout" id="readout"></div>'
    check_head = '<th class="n">frame err</th><th class="n">beat ms</th>' if data.get("check") \
        else ""
    legend = [("waveform", data["colors"]["wave"]), ("energy", data["colors"]["energy"]),
              ("cut salience", data["colors"]["salience"]), ("beats", data["colors"]["beat"]),
              ("downbeats", data["colors"]["downbeat"]), ("playhead", "#e11d48")]
    legend_html = "".join(f'<span><i style="background:{c}"></i>{escape(n)}</span>'
                          for n, c in legend)
    gutter = [("", 22), ("sections", 26), ("music", 118), ("cuts", 20), ("shots", 64)]
    if data.get("check"):
        gutter.append(("beat error", 42))
    gutter_html = "".join(f'<div style="height:{h}px">{escape(n)}</div>' for n, h in gutter)
    notes = "".join(f"<div>{escape(n)}</div>" for n in data.get("notes", []))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{escape(data['generator'])}">
<title>{escape(data['title'])} · editspec report</title>
<link rel="icon" href="data:,">
<style>:root{{{colors}}}{STYLE}</style>
</head><body>
<header><span class="brand">editspec</span><h1>{escape(data['title'])}</h1>
<div class="chips">{_chips(data)}</div></header>
<main>
<div class="top">{_player(data)}<div class="panels">{_edit_panel(data)}{_rules_panel(data)}
{_check_panel(data)}</div></div>
<section class="card"><div class="tl-head"><h2>Timeline</h2><div class="legend">{legend_html}</div>
<div class="zoom">{readout}<button id="zoom-out" title="zoom out (-)">−</button>
<button id="zoom-fit" title="fit the whole edit">fit</button>
<button id="zoom-in" title="zoom in (+)">+</button><span id="zoomlabel" class="num"></span></div>
</div>
<div class="timeline"><div class="gutter">{gutter_html}</div>
<div class="scroller" id="scroller"><div id="svg"></div><div class="guide" id="guide"></div>
<div class="playhead" id="playhead"></div></div></div>
<div class="hint">Click to seek · hover a cut for why it is there · ←/→ previous/next cut ·
,/. one frame · ctrl+wheel or +/− to zoom{' · space plays' if data.get('video') else ''}</div>
</section>
<section class="card"><h2>Cuts</h2><div class="tablewrap"><table class="cuts"><thead><tr>
<th class="n">#</th><th class="n">time</th><th class="n">frame</th><th>musical event</th>
<th>energy</th><th>salience</th><th>clip</th><th class="n">segment (s)</th><th>rule</th>
{check_head}</tr></thead><tbody id="cut-rows"></tbody></table></div></section>
{f'<section class="card notes">{notes}</section>' if notes else ''}
</main>
<footer>{escape(data['generator'])} · one self-contained file: data, thumbnails and script
inline{'; the render is referenced relative to this file' if data.get('video') and
not data['video'].get('embedded') else ''}</footer>
<div class="tip" id="tip"></div>
<script type="application/json" id="report-data">{_json_for_script(data)}</script>
<script>{SCRIPT}</script>
</body></html>
"""
