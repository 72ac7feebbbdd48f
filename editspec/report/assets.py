# ruff: noqa: E501, RUF001 -- CSS and JavaScript text, not Python: lines and typography are theirs
"""The report page's style sheet and script, inlined into every report (no network).

Plain CSS and JavaScript (ES2017, no framework): the script reads the JSON of
:func:`editspec.report.data.build_report_data` from ``<script id="report-data">`` and
draws the timeline as one SVG. Colours come from :data:`editspec.plot.COLORS` as CSS
variables, so the page and the ``--plot`` PNGs share one look.
"""

STYLE = r"""
*{box-sizing:border-box}
html,body{margin:0;background:#f4f5f7;color:var(--text);
  font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.num,td.n,.tc{font-variant-numeric:tabular-nums}
header{display:flex;align-items:baseline;gap:14px;flex-wrap:wrap;padding:14px 22px 10px;
  background:#fff;border-bottom:1px solid var(--grid)}
header .brand{font-weight:700;letter-spacing:.02em;color:#fff;background:var(--text);
  border-radius:4px;padding:1px 7px;font-size:12px}
header h1{font-size:18px;margin:0;font-weight:650}
header .chips{display:flex;gap:6px;flex-wrap:wrap;margin-left:auto}
.chip{background:#eef1f4;border-radius:999px;padding:2px 10px;font-size:12px;color:#3e4c59;
  white-space:nowrap}
.chip b{font-weight:650;color:var(--text)}
main{padding:14px 22px 30px;display:flex;flex-direction:column;gap:14px}
.card{background:#fff;border:1px solid var(--grid);border-radius:8px;padding:12px 14px;
  box-shadow:0 1px 2px rgba(15,23,42,.04)}
.card h2{font-size:11px;text-transform:uppercase;letter-spacing:.08em;color:#7b8794;
  margin:0 0 8px;font-weight:650}
.top{display:flex;gap:14px;align-items:stretch;flex-wrap:wrap}
.top .panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:14px;
  flex:1;min-width:300px;align-content:start}
.playercard{display:flex;flex-direction:column;gap:8px;align-items:center}
video{background:#111;border-radius:6px;max-height:380px;max-width:100%;display:block}
.readout{font-size:12px;color:#52606d;text-align:center}
.readout b{color:var(--text)}
dl.kv{display:grid;grid-template-columns:auto 1fr;gap:3px 12px;margin:0}
dl.kv dt{color:#7b8794}
dl.kv dd{margin:0;font-variant-numeric:tabular-nums}
.rule{display:grid;grid-template-columns:12px 1fr auto;gap:8px;align-items:center;
  padding:3px 0;cursor:default}
.rule .sw{width:12px;height:12px;border-radius:3px}
.rule .bar{grid-column:2/4;height:4px;border-radius:2px;background:#eef1f4;overflow:hidden}
.rule .bar i{display:block;height:100%}
.rule.dim{opacity:.35}
.status{font-size:15px;font-weight:650;margin-bottom:6px}
.ok{color:#1f8a70}.bad{color:#c0392b}.muted{color:#7b8794}
.tl-head{display:flex;align-items:center;gap:14px;flex-wrap:wrap;margin-bottom:8px}
.tl-head h2{margin:0}
.legend{display:flex;gap:12px;flex-wrap:wrap;font-size:12px;color:#52606d}
.legend span{display:inline-flex;align-items:center;gap:5px}
.legend i{display:inline-block;width:14px;height:3px;border-radius:2px}
.zoom{margin-left:auto;display:flex;gap:4px;align-items:center;font-size:12px;color:#52606d}
button{font:inherit;border:1px solid var(--grid);background:#fff;border-radius:5px;
  padding:2px 9px;cursor:pointer;color:var(--text)}
button:hover{background:#f0f2f5}
.timeline{display:flex;border:1px solid var(--grid);border-radius:6px;overflow:hidden}
.gutter{flex:0 0 78px;background:#fafbfc;border-right:1px solid var(--grid)}
.gutter div{display:flex;align-items:center;justify-content:flex-end;padding-right:8px;
  font-size:11px;color:#7b8794;border-bottom:1px solid #f0f2f5}
.scroller{flex:1;overflow-x:auto;overflow-y:hidden;position:relative}
.scroller svg{display:block;cursor:crosshair;user-select:none}
.playhead{position:absolute;top:0;bottom:0;width:2px;margin-left:-1px;background:#e11d48;
  pointer-events:none;box-shadow:0 0 0 1px rgba(255,255,255,.6)}
.playhead:before{content:"";position:absolute;top:0;left:-5px;border:6px solid transparent;
  border-top:7px solid #e11d48}
.guide{position:absolute;top:0;bottom:0;width:1px;background:rgba(31,41,51,.35);
  pointer-events:none;display:none}
.hint{font-size:11px;color:#9aa5b1;margin-top:6px}
.cut path{transition:transform .08s;transform-box:fill-box;transform-origin:50% 0}
.cut:hover path,.cut.hl path{transform:scale(1.5)}
.cut-line.hl{stroke-width:2.5;stroke-opacity:1}
.shot.cur rect.frame{stroke:#e11d48;stroke-width:2}
.tip{position:fixed;z-index:10;pointer-events:none;background:#1f2933;color:#f5f7fa;
  border-radius:7px;padding:9px 11px;font-size:12px;box-shadow:0 6px 20px rgba(0,0,0,.25);
  max-width:340px;display:none}
.tip h3{margin:0 0 6px;font-size:12.5px;font-weight:650}
.tip table{border-collapse:collapse}
.tip td{padding:1px 8px 1px 0;vertical-align:top}
.tip td:first-child{color:#9aa5b1}
.tip .thumbs{display:flex;align-items:center;gap:6px;margin:2px 0 7px}
.tip .thumbs img{height:64px;border-radius:3px;display:block}
.tip .meter{display:inline-block;width:60px;height:5px;border-radius:3px;background:#3e4c59;
  vertical-align:middle;margin-left:6px;overflow:hidden}
.tip .meter i{display:block;height:100%}
table.cuts{width:100%;border-collapse:collapse;font-size:12px}
table.cuts th{text-align:left;font-weight:600;color:#7b8794;border-bottom:1px solid var(--grid);
  padding:4px 8px;position:sticky;top:0;background:#fff}
table.cuts td{padding:3px 8px;border-bottom:1px solid #f3f4f6;white-space:nowrap}
table.cuts td.n{text-align:right}
table.cuts tr{cursor:pointer}
table.cuts tbody tr:hover,table.cuts tr.hl{background:#f0f7fb}
table.cuts tr.cur{background:#fff1f2}
.tablewrap{max-height:340px;overflow:auto}
.pill{display:inline-block;border-radius:3px;padding:0 5px;color:#fff;font-size:11px}
.minibar{display:inline-block;width:36px;height:5px;background:#eef1f4;border-radius:3px;
  margin-right:5px;vertical-align:middle;overflow:hidden}
.minibar i{display:block;height:100%}
footer{font-size:11px;color:#9aa5b1;padding:0 22px 20px}
.notes{color:#a15c07;font-size:12px}
"""

SCRIPT = r"""
(function () {
"use strict";
var D = JSON.parse(document.getElementById("report-data").textContent);
var C = D.colors, FPS = D.fps, NF = D.duration_frames, DUR = D.duration;
var OK = "#1f8a70", BAD = "#c0392b", GREY = "#9aa5b1";
var LANES = [["ruler", 22, ""], ["sections", 26, "sections"], ["music", 118, "music"],
             ["cuts", 20, "cuts"], ["shots", 64, "shots"]];
if (D.check) LANES.push(["check", 42, "beat error"]);
var Y = {}, H = 0;
LANES.forEach(function (l) { Y[l[0]] = H; H += l[1]; });
var LH = {}; LANES.forEach(function (l) { LH[l[0]] = l[1]; });
var $ = function (s) { return document.querySelector(s); };
var scroller = $("#scroller"), svgHost = $("#svg"), playhead = $("#playhead"), guide = $("#guide");
var tip = $("#tip"), video = $("#player");
var state = {pps: 0, fit: true, t: 0, frame: 0};
var checkByFrame = {};
if (D.check) D.check.cuts.forEach(function (c) { checkByFrame[c.planned] = c; });

function esc(s) {
  return String(s).replace(/[&<>"']/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
  });
}
function fmtTime(t, digits) {
  var m = Math.floor(t / 60), s = t - 60 * m;
  var ss = s.toFixed(digits === undefined ? 3 : digits);
  if (s < 10) ss = "0" + ss;
  return m + ":" + ss;
}
function r1(v) { return Math.round(v * 10) / 10; }

// Thumbnails: decode the inlined data URIs once into blob URLs (short strings in the SVG).
var thumbUrl = D.events.map(function (e) {
  if (!e.thumb) return null;
  var b64 = e.thumb.slice(e.thumb.indexOf(",") + 1), bin = atob(b64);
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return URL.createObjectURL(new Blob([bytes], {type: "image/jpeg"}));
});

function eventAt(frame) {
  var lo = 0, hi = D.events.length - 1;
  while (lo < hi) {
    var mid = (lo + hi + 1) >> 1;
    if (D.events[mid].rec_in <= frame) lo = mid; else hi = mid - 1;
  }
  return lo;
}

function niceStep(pps) {
  var steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600];
  for (var i = 0; i < steps.length; i++) if (steps[i] * pps >= 72) return steps[i];
  return 1200;
}

function polyline(values, rate, pps, top, h, maxPts) {
  var n = values.length, k = Math.max(1, Math.floor(n / maxPts)), pts = [];
  for (var i = 0; i < n; i += k) {
    var v = 0;
    for (var j = i; j < Math.min(n, i + k); j++) v = Math.max(v, values[j]);
    pts.push(r1(i / rate * pps) + "," + r1(top + h - v / 1000 * h));
  }
  return pts.join(" ");
}

function wavePath(w, pps, top, h, maxPts) {
  var p = w.peaks, n = p.length, k = Math.max(1, Math.floor(n / maxPts)), up = [], dn = [];
  var mid = top + h / 2;
  for (var i = 0; i < n; i += k) {
    var v = 0;
    for (var j = i; j < Math.min(n, i + k); j++) v = Math.max(v, p[j]);
    var x = r1((i + k / 2) / w.rate * pps), a = v / 255 * h * 0.46;
    up.push(x + "," + r1(mid - a));
    dn.push(x + "," + r1(mid + a));
  }
  return "M" + up.join("L") + "L" + dn.reverse().join("L") + "Z";
}

function medianGap(frames) {
  if (frames.length < 2) return NF;
  var gaps = [];
  for (var i = 1; i < frames.length; i++) gaps.push(frames[i] - frames[i - 1]);
  gaps.sort(function (a, b) { return a - b; });
  return gaps[gaps.length >> 1];
}
var BEAT_GAP = medianGap(D.beats), DOWN_GAP = medianGap(D.downbeats);
var CUT_GAP = medianGap(D.cuts.map(function (c) { return c.frame; }));

function render() {
  var avail = scroller.clientWidth || 800;
  var fitPps = avail / DUR;
  if (state.fit || state.pps < fitPps) { state.pps = fitPps; state.fit = true; }
  var pps = state.pps, W = Math.max(avail, Math.ceil(DUR * pps));
  var maxPts = Math.min(4000, Math.ceil(W / 1.5));
  var fpx = pps / FPS, cutPx = CUT_GAP * fpx;
  var o = [];
  o.push('<svg xmlns="http://www.w3.org/2000/svg" width="' + W + '" height="' + H + '">');
  // lane backgrounds
  o.push('<rect x="0" y="0" width="' + W + '" height="' + H + '" fill="#fff"/>');
  o.push('<rect x="0" y="' + Y.music + '" width="' + W + '" height="' + LH.music + '" fill="#fbfcfd"/>');
  LANES.forEach(function (l) {
    o.push('<line x1="0" x2="' + W + '" y1="' + (Y[l[0]] + l[1] - 0.5) + '" y2="' + (Y[l[0]] + l[1] - 0.5) +
           '" stroke="#f0f2f5"/>');
  });
  // ruler
  var step = niceStep(pps), minor = step / 5;
  for (var m = 0; m <= DUR + 1e-9; m += minor) {
    var xm = r1(m * pps);
    o.push('<line x1="' + xm + '" x2="' + xm + '" y1="' + (LH.ruler - 5) + '" y2="' + LH.ruler + '" stroke="#cbd2d9"/>');
  }
  for (var s = 0; s <= DUR + 1e-9; s += step) {
    var xs = r1(s * pps);
    o.push('<line x1="' + xs + '" x2="' + xs + '" y1="' + (LH.ruler - 10) + '" y2="' + H + '" stroke="' + C.grid + '" stroke-opacity="' + (s === 0 ? 0 : 0.7) + '"/>');
    o.push('<text x="' + (xs + 3) + '" y="12" font-size="10" fill="#7b8794">' + fmtTime(s, step < 1 ? 1 : 0) + '</text>');
  }
  // sections
  D.sections.forEach(function (sec, i) {
    var x0 = sec.start / FPS * pps, x1 = sec.end / FPS * pps;
    o.push('<g class="section" data-s="' + i + '"><rect x="' + r1(x0) + '" y="' + (Y.sections + 2) + '" width="' +
           r1(Math.max(1, x1 - x0 - 1)) + '" height="' + (LH.sections - 4) + '" rx="4" fill="' + sec.color + '"/>');
    if (x1 - x0 > sec.label.length * 7 + 12) o.push('<text x="' + r1(x0 + 7) + '" y="' + (Y.sections + 17) + '" font-size="11" font-weight="600" fill="' + C.text + '">' + esc(sec.label) + '</text>');
    o.push('</g>');
    o.push('<rect x="' + r1(x0) + '" y="' + Y.music + '" width="' + r1(x1 - x0) + '" height="' + LH.music +
           '" fill="' + sec.color + '" fill-opacity="0.18" pointer-events="none"/>');
  });
  // music: downbeats, waveform, curves, beats
  var mt = Y.music + 6, mh = LH.music - 16;
  if (DOWN_GAP * fpx >= 6) D.downbeats.forEach(function (f) {
    var x = r1(f / FPS * pps);
    o.push('<line x1="' + x + '" x2="' + x + '" y1="' + Y.music + '" y2="' + (Y.music + LH.music) + '" stroke="' + C.downbeat + '" stroke-opacity="0.22"/>');
  });
  if (D.wave) o.push('<path d="' + wavePath(D.wave, pps, mt, mh, maxPts) + '" fill="' + C.wave + '" fill-opacity="0.55"/>');
  if (D.curves) {
    if (D.curves.salience) o.push('<polyline class="salience" points="' + polyline(D.curves.salience, D.curves.fps, pps, mt, mh, maxPts) + '" fill="none" stroke="' + C.salience + '" stroke-width="1" stroke-opacity="0.85"/>');
    o.push('<polyline class="energy" points="' + polyline(D.curves.energy, D.curves.fps, pps, mt, mh, maxPts) + '" fill="none" stroke="' + C.energy + '" stroke-width="1.8" stroke-linejoin="round"/>');
  }
  var bt = Y.music + LH.music - 8, bpath = [];
  if (BEAT_GAP * fpx >= 4) D.beats.forEach(function (f) { var x = r1(f / FPS * pps); bpath.push("M" + x + "," + bt + "V" + (bt + 7)); });
  if (bpath.length) o.push('<path class="beats" d="' + bpath.join("") + '" stroke="' + C.beat + '" stroke-width="1.2"/>');
  // cut lines over sections and music
  D.cuts.forEach(function (c, i) {
    var x = r1(c.frame / FPS * pps), col = D.rules[c.rule_index].color;
    o.push('<line class="cut-line" data-i="' + i + '" x1="' + x + '" x2="' + x + '" y1="' + Y.sections + '" y2="' + (Y.shots + LH.shots) +
           '" stroke="' + col + '" stroke-opacity="' + (cutPx >= 12 ? 0.5 : 0.2) + '" pointer-events="none"/>');
  });
  // shots: thumbnails
  var st = Y.shots + 2, sh = LH.shots - 4;
  D.events.forEach(function (e, i) {
    var x0 = e.rec_in / FPS * pps, w = Math.max(1, (e.rec_out - e.rec_in) / FPS * pps - 1);
    o.push('<g class="shot" data-e="' + i + '">');
    if (thumbUrl[i]) o.push('<image href="' + thumbUrl[i] + '" x="' + r1(x0) + '" y="' + st + '" width="' + r1(w) + '" height="' + sh + '" preserveAspectRatio="xMidYMid slice"/>');
    else {
      o.push('<rect x="' + r1(x0) + '" y="' + st + '" width="' + r1(w) + '" height="' + sh + '" fill="#e5e7eb"/>');
      if (w > 40) o.push('<text x="' + r1(x0 + 4) + '" y="' + (st + 14) + '" font-size="10" fill="#52606d">' + esc(e.clip.slice(0, Math.floor(w / 6))) + '</text>');
    }
    o.push('<rect class="frame" x="' + r1(x0) + '" y="' + st + '" width="' + r1(w) + '" height="' + sh + '" fill="none" stroke="rgba(255,255,255,.85)"/></g>');
  });
  // cut handles (drawn last in their lane: on top)
  var hw = Math.max(2, Math.min(5, cutPx * 0.42)), hit = Math.max(3, Math.min(7, cutPx / 2));
  D.cuts.forEach(function (c, i) {
    var x = r1(c.frame / FPS * pps), col = D.rules[c.rule_index].color, y = Y.cuts;
    o.push('<g class="cut" data-i="' + i + '" data-frame="' + c.frame + '">' +
           '<rect x="' + r1(x - hit) + '" y="' + y + '" width="' + r1(2 * hit) + '" height="' + LH.cuts + '" fill="transparent"/>' +
           '<path d="M' + r1(x - hw) + ',' + (y + 4) + 'L' + r1(x + hw) + ',' + (y + 4) + 'L' + x + ',' + (y + 14) + 'Z" fill="' + col + '"' + (hw >= 4 ? ' stroke="#fff" stroke-width="0.8"' : '') + '/></g>');
  });
  // beat-grid check
  if (D.check) {
    var cy = Y.check + LH.check / 2, lim = 1000 / FPS;
    D.check.cuts.forEach(function (c) { if (c.beat_ms !== null) lim = Math.max(lim, Math.abs(c.beat_ms)); });
    o.push('<line x1="0" x2="' + W + '" y1="' + cy + '" y2="' + cy + '" stroke="#cbd2d9" stroke-dasharray="3,3"/>');
    var fy = (LH.check / 2 - 5) / lim * (1000 / FPS);
    o.push('<rect x="0" y="' + r1(cy - fy) + '" width="' + W + '" height="' + r1(2 * fy) + '" fill="' + OK + '" fill-opacity="0.07"/>');
    D.check.cuts.forEach(function (c, i) {
      var x = c.planned / FPS * pps, col = checkColor(c);
      var v = c.beat_ms === null ? 0 : c.beat_ms / lim * (LH.check / 2 - 5);
      o.push('<g class="check-mark" data-i="' + i + '"><line x1="' + r1(x) + '" x2="' + r1(x) + '" y1="' + cy + '" y2="' + r1(cy - v) + '" stroke="' + col + '" stroke-width="2"/>' +
             '<circle cx="' + r1(x) + '" cy="' + r1(cy - v) + '" r="3" fill="' + col + '"/></g>');
    });
  }
  o.push("</svg>");
  svgHost.innerHTML = o.join("");
  $("#zoomlabel").textContent = pps >= 10 ? Math.round(pps) + " px/s" : pps.toFixed(1) + " px/s";
  placePlayhead(false);
}

function checkColor(c) {
  if (c.transition !== "cut") return GREY;
  return c.frame_error === 0 ? OK : BAD;
}

function meter(v, col) {
  if (v === null || v === undefined) return "–";
  return v.toFixed(2) + '<span class="meter"><i style="width:' + Math.round(v * 100) + '%;background:' + col + '"></i></span>';
}

function checkText(c) {
  if (!c) return "";
  var f = c.transition !== "cut" ? c.transition + " (not frame-checked)" :
          c.frame_error === null ? "cut not found" :
          c.frame_error === 0 ? "on its frame" : (c.frame_error > 0 ? "+" : "") + c.frame_error + " frames off";
  var b = c.beat_ms === null ? "" : ", " + (c.beat_ms >= 0 ? "+" : "") + c.beat_ms.toFixed(1) + " ms to beat";
  return f + b;
}

function cutTip(i) {
  var c = D.cuts[i], ev = i + 1, rule = D.rules[c.rule_index];
  var h = '<h3>Cut ' + (i + 1) + ' · ' + fmtTime(c.frame / FPS) + ' · frame ' + c.frame + '</h3>';
  if (thumbUrl[ev - 1] || thumbUrl[ev])
    h += '<div class="thumbs">' + (thumbUrl[ev - 1] ? '<img src="' + thumbUrl[ev - 1] + '">' : "") +
         '<span>→</span>' + (thumbUrl[ev] ? '<img src="' + thumbUrl[ev] + '">' : "") + '</div>';
  h += "<table>";
  h += "<tr><td>time</td><td>" + c.time.toFixed(3) + " s</td></tr>";
  h += "<tr><td>frame</td><td>" + c.frame + "</td></tr>";
  h += "<tr><td>event</td><td>" + esc(c.event || "–") + "</td></tr>";
  h += "<tr><td>energy</td><td>" + meter(c.energy, C.energy) + "</td></tr>";
  h += "<tr><td>salience</td><td>" + meter(c.salience, C.salience) + "</td></tr>";
  h += "<tr><td>clip</td><td>" + esc(c.clip) + "</td></tr>";
  h += "<tr><td>segment</td><td>" + c.src_in.toFixed(2) + "–" + c.src_out.toFixed(2) + " s</td></tr>";
  h += '<tr><td>rule</td><td><span class="pill" style="background:' + rule.color + '">' + esc(c.rule) + "</span></td></tr>";
  if (c.transition !== "cut") h += "<tr><td>transition</td><td>" + esc(c.transition) + "</td></tr>";
  if (D.check) h += "<tr><td>check</td><td>" + esc(checkText(checkByFrame[c.frame])) + "</td></tr>";
  return h + "</table>";
}

function shotTip(i) {
  var e = D.events[i];
  var h = "<h3>Shot " + (i + 1) + " of " + D.events.length + "</h3>";
  if (thumbUrl[i]) h += '<div class="thumbs"><img src="' + thumbUrl[i] + '"></div>';
  return h + "<table><tr><td>clip</td><td>" + esc(e.clip) + "</td></tr><tr><td>segment</td><td>" +
    e.src_in.toFixed(2) + "–" + e.src_out.toFixed(2) + " s</td></tr><tr><td>on screen</td><td>" +
    fmtTime(e.rec_in / FPS) + "–" + fmtTime(e.rec_out / FPS) + " (" + (e.rec_out - e.rec_in) + " frames)</td></tr></table>";
}

function showTip(html, ev) {
  tip.innerHTML = html;
  tip.style.display = "block";
  var w = tip.offsetWidth, h = tip.offsetHeight;
  var x = ev.clientX + 14, y = ev.clientY + 16;
  if (x + w > window.innerWidth - 8) x = ev.clientX - w - 14;
  if (y + h > window.innerHeight - 8) y = ev.clientY - h - 12;
  tip.style.left = Math.max(4, x) + "px";
  tip.style.top = Math.max(4, y) + "px";
}
function hideTip() { tip.style.display = "none"; }

var hl = -1;
function highlight(i) {
  if (hl === i) return;
  document.querySelectorAll(".hl").forEach(function (el) { el.classList.remove("hl"); });
  hl = i;
  if (i < 0) return;
  document.querySelectorAll('.cut[data-i="' + i + '"],.cut-line[data-i="' + i + '"]').forEach(function (el) { el.classList.add("hl"); });
  var row = document.getElementById("cut-row-" + i);
  if (row) row.classList.add("hl");
}

function timeAtX(clientX) {
  var r = svgHost.getBoundingClientRect();
  return Math.max(0, Math.min(DUR, (clientX - r.left) / state.pps));
}

function seekFrame(frame) {
  frame = Math.max(0, Math.min(NF - 1, Math.round(frame)));
  state.frame = frame;
  state.t = frame / FPS;
  if (video) video.currentTime = frame / FPS + 1e-4;
  placePlayhead(true);
}

var curShot = -1, curRow = -1;
function placePlayhead(follow) {
  var x = state.t * state.pps;
  playhead.style.left = x + "px";
  playhead.style.height = H + "px";
  var frame = Math.min(NF - 1, Math.floor(state.t * FPS + 1e-6)), shot = eventAt(frame);
  $("#readout").innerHTML = "<b>" + fmtTime(state.t) + "</b> · frame <b>" + frame + "</b> / " + NF +
    " · shot <b>" + (shot + 1) + "</b> / " + D.events.length;
  if (shot !== curShot) {
    var old = document.querySelector(".shot.cur");
    if (old) old.classList.remove("cur");
    var el = document.querySelector('.shot[data-e="' + shot + '"]');
    if (el) el.classList.add("cur");
    if (curRow >= 0) { var r0 = document.getElementById("cut-row-" + curRow); if (r0) r0.classList.remove("cur"); }
    curRow = shot - 1;
    var r1_ = document.getElementById("cut-row-" + curRow);
    if (r1_) r1_.classList.add("cur");
    curShot = shot;
  }
  if (follow) {
    var left = scroller.scrollLeft, w = scroller.clientWidth;
    if (x < left + 20 || x > left + w - 20) scroller.scrollLeft = Math.max(0, x - w * 0.3);
  }
}

function zoom(factor, clientX) {
  var avail = scroller.clientWidth || 800, fitPps = avail / DUR;
  var maxPps = Math.max(fitPps, Math.min(800, 60000 / DUR));
  var anchor = clientX === undefined ? state.t : timeAtX(clientX);
  var screenX = anchor * state.pps - scroller.scrollLeft;
  state.pps = Math.max(fitPps, Math.min(maxPps, state.pps * factor));
  state.fit = state.pps <= fitPps * 1.0001;
  render();
  scroller.scrollLeft = anchor * state.pps - screenX;
}

// events
svgHost.addEventListener("mousemove", function (ev) {
  var cut = ev.target.closest(".cut"), shot = ev.target.closest(".shot"), mark = ev.target.closest(".check-mark");
  var sec = ev.target.closest(".section");
  guide.style.display = "block";
  guide.style.left = (ev.clientX - svgHost.getBoundingClientRect().left) + "px";
  guide.style.height = H + "px";
  if (cut || mark) { var i = +(cut || mark).dataset.i; highlight(i); showTip(cutTip(i), ev); }
  else if (shot) { highlight(-1); showTip(shotTip(+shot.dataset.e), ev); }
  else if (sec) {
    var S = D.sections[+sec.dataset.s];
    highlight(-1);
    showTip("<h3>" + esc(S.label) + "</h3>" + fmtTime(S.start / FPS) + "–" + fmtTime(S.end / FPS) +
            " · frames " + S.start + "–" + S.end, ev);
  }
  else { highlight(-1); hideTip(); }
});
svgHost.addEventListener("mouseleave", function () { hideTip(); highlight(-1); guide.style.display = "none"; });
svgHost.addEventListener("click", function (ev) {
  var cut = ev.target.closest(".cut"), mark = ev.target.closest(".check-mark"), shot = ev.target.closest(".shot");
  if (cut || mark) seekFrame(D.cuts[+(cut || mark).dataset.i].frame);
  else if (shot) seekFrame(D.events[+shot.dataset.e].rec_in);
  else seekFrame(Math.floor(timeAtX(ev.clientX) * FPS));
});
scroller.addEventListener("wheel", function (ev) {
  if (!(ev.ctrlKey || ev.metaKey)) return;
  ev.preventDefault();
  zoom(ev.deltaY < 0 ? 1.25 : 0.8, ev.clientX);
}, {passive: false});
$("#zoom-in").addEventListener("click", function () { zoom(1.5); });
$("#zoom-out").addEventListener("click", function () { zoom(1 / 1.5); });
$("#zoom-fit").addEventListener("click", function () { state.fit = true; render(); });
window.addEventListener("resize", function () { render(); });
document.addEventListener("keydown", function (ev) {
  if (ev.target.closest && ev.target.closest("input,textarea,select")) return;
  var f = Math.floor(state.t * FPS + 1e-6);
  if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
    var next = ev.key === "ArrowRight";
    var list = D.events.map(function (e) { return e.rec_in; });
    var target = next ? list.filter(function (x) { return x > f; })[0] : list.filter(function (x) { return x < f; }).pop();
    if (target !== undefined) seekFrame(target);
    ev.preventDefault();
  } else if (ev.key === "." || ev.key === ",") { seekFrame(f + (ev.key === "." ? 1 : -1)); }
  else if (ev.key === "+" || ev.key === "=") zoom(1.5);
  else if (ev.key === "-") zoom(1 / 1.5);
  else if (ev.key === " " && video && ev.target === document.body) { ev.preventDefault(); if (video.paused) video.play(); else video.pause(); }
});

if (video) {
  var tick = function () {
    state.t = video.currentTime;
    placePlayhead(!video.paused);
    if (!video.paused && !video.ended) requestAnimationFrame(tick);
  };
  video.addEventListener("play", function () { requestAnimationFrame(tick); });
  video.addEventListener("seeked", tick);
  video.addEventListener("timeupdate", tick);
}

// cut table
var rows = [];
D.cuts.forEach(function (c, i) {
  var rule = D.rules[c.rule_index], chk = checkByFrame[c.frame];
  var bar = function (v, col) {
    return v === null ? "–" : '<span class="minibar"><i style="width:' + Math.round(v * 100) + '%;background:' + col + '"></i></span>' + v.toFixed(2);
  };
  var cells = ['<td class="n">' + (i + 1) + "</td>", '<td class="n">' + fmtTime(c.frame / FPS) + "</td>",
    '<td class="n">' + c.frame + "</td>", "<td>" + esc(c.event || "–") + "</td>",
    "<td>" + bar(c.energy, C.energy) + "</td>", "<td>" + bar(c.salience, C.salience) + "</td>",
    "<td>" + esc(c.clip) + "</td>", '<td class="n">' + c.src_in.toFixed(2) + "–" + c.src_out.toFixed(2) + "</td>",
    '<td><span class="pill" style="background:' + rule.color + '">' + esc(c.rule) + "</span></td>"];
  if (D.check) {
    cells.push('<td class="n" style="color:' + (chk ? checkColor(chk) : GREY) + '">' + (!chk || chk.frame_error === null ? "–" : (chk.frame_error > 0 ? "+" : "") + chk.frame_error) + "</td>");
    cells.push('<td class="n">' + (!chk || chk.beat_ms === null ? "–" : (chk.beat_ms >= 0 ? "+" : "") + chk.beat_ms.toFixed(1)) + "</td>");
  }
  rows.push('<tr id="cut-row-' + i + '" data-i="' + i + '">' + cells.join("") + "</tr>");
});
var tbody = $("#cut-rows");
tbody.innerHTML = rows.join("");
tbody.addEventListener("click", function (ev) { var tr = ev.target.closest("tr"); if (tr) seekFrame(D.cuts[+tr.dataset.i].frame); });
tbody.addEventListener("mouseover", function (ev) { var tr = ev.target.closest("tr"); if (tr) highlight(+tr.dataset.i); });
tbody.addEventListener("mouseleave", function () { highlight(-1); });

// rules legend: hovering a rule dims the others' cuts
document.querySelectorAll(".rule[data-r]").forEach(function (el) {
  el.addEventListener("mouseenter", function () {
    var r = +el.dataset.r;
    document.querySelectorAll(".cut").forEach(function (c) {
      c.style.opacity = D.cuts[+c.dataset.i].rule_index === r ? 1 : 0.15;
    });
  });
  el.addEventListener("mouseleave", function () {
    document.querySelectorAll(".cut").forEach(function (c) { c.style.opacity = 1; });
  });
});

render();
document.body.setAttribute("data-ready", "1");
if (window.performance && performance.mark) performance.mark("report-ready");
})();
"""
