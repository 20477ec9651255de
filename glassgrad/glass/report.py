"""The HTML report: one self-contained file (inline CSS, JS and SVG; no network, works from disk).

It shows the loss curve, each parameter's trajectory, gradient norms per parameter, a step
selector with that step's graph (forward or backward view, with values and gradients), the
chain-rule explanation and the parameter updates of the step, and the training-loop warnings.

The trace's numbers are embedded as JSON; the graphs and explanations are rendered here in
Python (the same SVG as ``glass.graph``) for up to ``MAX_RENDERED`` steps spread over the run.
Script errors are written into the page itself (``#errors``), so a browser test can see them.
"""

from __future__ import annotations

import html
import json

from . import values as V

MAX_RENDERED = 40
MAX_CHARS = 6_000_000  # stop pre-rendering graphs beyond this much SVG


def _rendered_steps(n: int, limit: int) -> list[int]:
    """Which step indices (0-based) get a pre-rendered graph: the first ones, then spread out."""
    if n <= limit:
        return list(range(n))
    head = list(range(min(10, limit // 2)))
    rest = limit - len(head)
    spread = [head[-1] + 1 + round(k * (n - 1 - head[-1] - 1) / max(rest - 1, 1))
              for k in range(rest)]
    return sorted(set(head + spread))


def report_data(trace) -> dict:
    """Everything the page shows, as JSON-able data."""
    from .explain import explain_step
    from .graph import Graph

    steps = trace.steps
    params = []
    seen = set()
    for s in steps:
        for name in s.stats:
            if name not in seen:
                seen.add(name)
                params.append(name)
    series = {"loss": [s.loss if s.loss is not None and _finite(s.loss) else None
                       for s in steps],
              "params": {}, "grads": {}}
    for name in params:
        stats = [s.stats.get(name) for s in steps]
        vals = [_f(st[0]) if st else None for st in stats]
        grads = [_f(st[1]) if st else None for st in stats]
        scalar = all(st[2] == "value" for st in stats if st)
        series["params"][name] = {"values": vals, "what": "value" if scalar else "norm"}
        series["grads"][name] = grads
    rendered = {}
    total = 0
    with_graph = [i for i, s in enumerate(steps) if not s.thinned]
    for j in _rendered_steps(len(with_graph), MAX_RENDERED):
        s = steps[with_graph[j]]
        if total > MAX_CHARS:
            break
        entry = {}
        for view in ("backward", "forward"):
            g = Graph.from_step(s, view)
            svg = g.svg()
            entry[view] = svg
            total += len(svg)
            if g.collapsed_from is not None and total < MAX_CHARS:
                # the report can expand the modules again
                full = g.collapsed_from.svg()
                entry[view + "_full"] = full
                total += len(full)
        try:
            target = s.params[0] if s.params else None
            entry["explain"] = {p.title: str(explain_step(s, p.title)) for p in s.params[:6]} \
                if target is not None else {}
        except (ValueError, KeyError) as e:
            entry["explain"] = {"-": f"(no explanation: {e})"}
        entry["updates"] = [_update_row(u) for u in s.updates]
        rendered[str(s.index)] = entry
    return {
        "steps": [{"index": s.index, "loss": _f(s.loss) if s.loss is not None else None,
                   "where": s.where, "nodes": len(s.nodes),
                   "warnings": [w.to_json() for w in s.warnings]} for s in steps],
        "series": series,
        "rendered": rendered,
        "warnings": [w.to_json() for w in trace.warnings],
    }


def _update_row(u) -> dict:
    state = "; ".join(f"{k} {V.fmt(v, 4)}" for k, v in u.state.items())
    lr = u.lr if u.lr is not None else u.inferred_lr()
    return {"name": u.name, "before": V.fmt(u.before, 4), "grad": V.fmt(u.grad, 4),
            "after": V.fmt(u.after, 4), "update": V.fmt(u.update, 4),
            "ratio": None if u.ratio is None else f"{u.ratio:.3g}",
            "lr": None if lr is None else (f"{u.optimizer} " if u.optimizer else "") + V.fmt_num(lr),
            "state": state}


def _finite(x) -> bool:
    import math

    return math.isfinite(x)


def _f(x):
    if x is None:
        return None
    x = float(x)
    return x if _finite(x) else None


def render_report(trace, title: str = "glassgrad trace") -> str:
    data = report_data(trace)
    blob = json.dumps(V.clean(data), separators=(",", ":"), allow_nan=False)
    blob = blob.replace("</", "<\\/")
    return (_PAGE.replace("__TITLE__", html.escape(title))
            .replace("__CSS__", _CSS).replace("__JS__", _JS).replace("__DATA__", blob))


def summary_html(trace) -> str:
    """What a notebook shows for a Trace: counts, losses, the last step's graph."""
    from .graph import Graph

    if not trace.steps:
        return "<p>glass trace: no steps recorded</p>"
    s = trace.steps[-1]
    losses = ", ".join(V.fmt_num(x) for x in trace.losses[:8] if x is not None)
    warns = "".join(f"<li>{html.escape(str(w))}</li>" for w in trace.warnings)
    return (f"<div><b>glass trace</b>: {len(trace.steps)} steps; losses {losses}"
            f"{' ...' if len(trace.steps) > 8 else ''}<ul>{warns}</ul>"
            f"<div style='overflow:auto'>{Graph.from_step(s, 'backward').svg()}</div></div>")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>__TITLE__</title>
<style>__CSS__</style>
</head>
<body>
<div id="errors"></div>
<header><h1>__TITLE__</h1><p id="summary"></p></header>
<section id="charts">
  <div class="chart"><h2>Loss</h2><div id="loss-chart"></div></div>
  <div class="chart"><h2>Parameters <small>(after each update)</small></h2><div id="param-chart"></div></div>
  <div class="chart"><h2>Gradient norms</h2><div id="grad-chart"></div></div>
</section>
<section id="checks"><h2>Training-loop checks</h2><ul id="warnings"></ul></section>
<section id="step-view">
  <h2>Step <span id="step-label"></span></h2>
  <div class="controls">
    <button id="prev" type="button">&larr;</button>
    <input id="step-range" type="range" min="1" value="1">
    <button id="next" type="button">&rarr;</button>
    <select id="step-select"></select>
    <label><input type="radio" name="view" value="backward" checked> backward</label>
    <label><input type="radio" name="view" value="forward"> forward</label>
    <label id="expand-label" hidden><input type="checkbox" id="expand"> expand modules</label>
  </div>
  <p id="step-info"></p>
  <div id="graph"></div>
  <h3>Chain rule</h3>
  <select id="param-select"></select>
  <pre id="explain"></pre>
  <h3>Updates</h3>
  <table id="updates"><thead><tr><th>parameter</th><th>before</th><th>gradient</th>
  <th>lr</th><th>after</th><th>update</th><th>|update|/|w|</th><th>optimizer state</th>
  </tr></thead><tbody></tbody></table>
</section>
<script type="application/json" id="trace-data">__DATA__</script>
<script>__JS__</script>
</body>
</html>
"""

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 24px 40px;
color:#1d2330;background:#fafbfc}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:17px;margin:18px 0 8px}
h3{font-size:15px;margin:14px 0 6px}
#charts{display:flex;flex-wrap:wrap;gap:16px}
.chart{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:8px 12px;
max-width:400px}
.note{font-size:12px;color:#667;margin:4px 0}
.chart svg text{font-size:11px;fill:#445}
#graph{overflow:auto;max-height:720px;background:#fff;border:1px solid #dde2ea;
border-radius:6px;padding:6px}
pre{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:10px;overflow:auto;
font-size:12px;line-height:1.35}
table{border-collapse:collapse;font-size:12px;background:#fff}
td,th{border:1px solid #dde2ea;padding:3px 8px;font-family:monospace;text-align:left}
.controls{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
#step-range{width:320px}
#warnings li{margin:4px 0;font-size:13px}.kind{font-weight:bold;color:#a33}
.ok{color:#2e7d32}#errors{color:#b00;font-weight:bold}
.legend span{margin-right:12px;font-size:12px}
"""

_JS = r"""
(function(){
  'use strict';
  var errors = document.getElementById('errors');
  window.onerror = function(msg, src, line){
    var d = document.createElement('div');
    d.className = 'js-error';
    d.textContent = 'script error: ' + msg + ' (line ' + line + ')';
    errors.appendChild(d);
  };
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var COLORS = ['#3b5b92','#c0392b','#2e7d32','#a86b00','#7b1fa2','#00838f','#5d4037','#455a64'];

  function el(tag, attrs, parent){
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(x){
    if (x === null || x === undefined) return '-';
    var a = Math.abs(x);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
    return String(Math.round(x * 1e4) / 1e4);
  }

  // a line chart of several series over the steps, drawn as inline SVG
  function lineChart(target, series, opts){
    var W = 380, H = 220, L = 64, R = 10, T = 10, B = 28;  // L fits '-7.72e+13'
    var xs = [], ys = [];
    series.forEach(function(s){ s.ys.forEach(function(y, i){
      if (y !== null && (!opts.log || y > 0)) { xs.push(i + 1); ys.push(opts.log ? Math.log10(y) : y); }
    }); });
    var host = document.getElementById(target);
    if (!ys.length) { host.textContent = 'no data'; return; }
    // the x axis spans every step, also when the last ones are NaN/inf (null): the step
    // marker must stay on the chart
    var nx = Math.max.apply(null, series.map(function(s){ return s.ys.length; }));
    var x0 = 1, x1 = Math.max(Math.max.apply(null, xs), nx), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) { y1 = y0 + 1; y0 = y0 - 1; }
    var svg = el('svg', {width: W, height: H, viewBox: '0 0 ' + W + ' ' + H});
    function px(x){ return L + (x - x0) / (x1 - x0) * (W - L - R); }
    function py(y){ return H - B - (y - y0) / (y1 - y0) * (H - T - B); }
    el('line', {x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#889'}, svg);
    el('line', {x1: L, y1: T, x2: L, y2: H - B, stroke: '#889'}, svg);
    for (var k = 0; k <= 4; k++) {
      var yv = y0 + (y1 - y0) * k / 4;
      var t = el('text', {x: L - 4, y: py(yv) + 4, 'text-anchor': 'end'}, svg);
      t.textContent = opts.log ? fmt(Math.pow(10, yv)) : fmt(yv);
      el('line', {x1: L, y1: py(yv), x2: W - R, y2: py(yv), stroke: '#eef'}, svg);
    }
    var tx = el('text', {x: W - R, y: H - 8, 'text-anchor': 'end'}, svg);
    tx.textContent = 'step ' + x1;
    var t0 = el('text', {x: L, y: H - 8}, svg); t0.textContent = 'step 1';
    series.forEach(function(s, si){
      var d = '';
      s.ys.forEach(function(y, i){
        if (y === null || (opts.log && y <= 0)) return;
        var v = opts.log ? Math.log10(y) : y;
        d += (d ? ' L' : 'M') + px(i + 1).toFixed(1) + ',' + py(v).toFixed(1);
      });
      if (d) el('path', {d: d, fill: 'none', stroke: COLORS[si % COLORS.length], 'stroke-width': 1.6,
                         'class': 'series'}, svg);
    });
    var marker = el('line', {x1: px(1), x2: px(1), y1: T, y2: H - B, stroke: '#c33',
                             'stroke-dasharray': '3,3', 'class': 'step-marker'}, svg);
    host.innerHTML = '';
    host.appendChild(svg);
    var legend = document.createElement('div');
    legend.className = 'legend';
    series.forEach(function(s, si){
      var sp = document.createElement('span');
      sp.style.color = COLORS[si % COLORS.length];
      sp.textContent = '\u25A0 ' + s.name;
      legend.appendChild(sp);
    });
    host.appendChild(legend);
    markers.push({line: marker, px: px});
  }

  var markers = [];
  var steps = data.steps;
  var n = steps.length;
  document.getElementById('summary').textContent = n + ' steps traced; loss ' +
    (n ? fmt(steps[0].loss) + ' \u2192 ' + fmt(steps[n - 1].loss) : '-') + '; ' +
    data.warnings.length + ' warning(s)';

  lineChart('loss-chart', [{name: 'loss', ys: data.series.loss}], {});
  // at most 8 parameters per chart: the first and the last layers (all are in trace.json)
  var allp = Object.keys(data.series.params);
  var pnames = allp.length <= 8 ? allp : allp.slice(0, 4).concat(allp.slice(-4));
  if (allp.length > 8) {
    ['param-chart', 'grad-chart'].forEach(function(id){
      var note = document.createElement('p');
      note.className = 'note';
      note.textContent = 'showing 8 of ' + allp.length + ' parameters (first and last layers)';
      document.getElementById(id).parentNode.appendChild(note);
    });
  }
  lineChart('param-chart', pnames.map(function(p){
    var s = data.series.params[p];
    return {name: p + (s.what === 'norm' ? ' (norm)' : ''), ys: s.values};
  }), {});
  var allg = [];
  pnames.forEach(function(p){ data.series.grads[p].forEach(function(g){ if (g) allg.push(g); }); });
  var spread = allg.length ? Math.max.apply(null, allg) / Math.max(Math.min.apply(null, allg), 1e-30) : 1;
  lineChart('grad-chart', pnames.map(function(p){
    return {name: p, ys: data.series.grads[p]};
  }), {log: spread > 100});

  var wl = document.getElementById('warnings');
  if (!data.warnings.length) {
    var li = document.createElement('li'); li.className = 'ok';
    li.textContent = 'no problems found'; wl.appendChild(li);
  }
  data.warnings.forEach(function(w){
    var li = document.createElement('li');
    var k = document.createElement('span'); k.className = 'kind'; k.textContent = w.kind;
    li.appendChild(k);
    li.appendChild(document.createTextNode(' ' + w.where + (w.step ? ' (step ' + w.step + ')' : '') +
                                           ': ' + w.message));
    wl.appendChild(li);
  });

  var range = document.getElementById('step-range');
  var sel = document.getElementById('step-select');
  var psel = document.getElementById('param-select');
  range.max = Math.max(n, 1);
  steps.forEach(function(s){
    var o = document.createElement('option');
    o.value = s.index;
    o.textContent = 'step ' + s.index + (data.rendered[s.index] ? '' : ' (numbers only)');
    sel.appendChild(o);
  });
  var current = 1;

  function view(){
    var r = document.querySelector('input[name=view]:checked');
    return r ? r.value : 'backward';
  }
  function nearestRendered(i){
    var best = null;
    Object.keys(data.rendered).forEach(function(k){
      k = +k;
      if (best === null || Math.abs(k - i) < Math.abs(best - i)) best = k;
    });
    return best;
  }
  function show(i){
    if (!n) return;
    i = Math.max(1, Math.min(n, i));
    current = i;
    range.value = i; sel.value = i;
    var s = steps[i - 1];
    document.getElementById('step-label').textContent = i + ' of ' + n;
    var r = data.rendered[i];
    var info = 'loss ' + fmt(s.loss) + ' \u2014 backward() called at ' + s.where + '; ' +
               s.nodes + ' nodes';
    if (!r) {
      var k = nearestRendered(i);
      info += ' (graph not kept for this step; showing step ' + k + ')';
      r = data.rendered[k];
    }
    if (s.warnings.length) {
      info += ' \u2014 ' + s.warnings.map(function(w){ return w.kind + ': ' + w.message; }).join('; ');
    }
    document.getElementById('step-info').textContent = info;
    var full = r && r[view() + '_full'];
    document.getElementById('expand-label').hidden = !full;
    var expand = document.getElementById('expand').checked;
    document.getElementById('graph').innerHTML = r ? (full && expand ? full : r[view()]) : '';
    var prev = psel.value;
    psel.innerHTML = '';
    var names = r ? Object.keys(r.explain) : [];
    names.forEach(function(p){
      var o = document.createElement('option'); o.value = p; o.textContent = 'd loss / d ' + p;
      psel.appendChild(o);
    });
    if (names.indexOf(prev) >= 0) psel.value = prev;
    document.getElementById('explain').textContent = r && names.length ? r.explain[psel.value] : '';
    var tb = document.querySelector('#updates tbody');
    tb.innerHTML = '';
    (r ? r.updates : []).forEach(function(u){
      var tr = document.createElement('tr');
      [u.name, u.before, u.grad, u.lr || '-', u.after, u.update, u.ratio || '-', u.state || '-']
        .forEach(function(c){ var td = document.createElement('td'); td.textContent = c; tr.appendChild(td); });
      tb.appendChild(tr);
    });
    markers.forEach(function(m){ m.line.setAttribute('x1', m.px(i)); m.line.setAttribute('x2', m.px(i)); });
    document.body.setAttribute('data-step', i);
  }
  range.addEventListener('input', function(){ show(+range.value); });
  sel.addEventListener('change', function(){ show(+sel.value); });
  psel.addEventListener('change', function(){ show(current); });
  document.getElementById('expand').addEventListener('change', function(){ show(current); });
  document.getElementById('prev').addEventListener('click', function(){ show(current - 1); });
  document.getElementById('next').addEventListener('click', function(){ show(current + 1); });
  Array.prototype.forEach.call(document.querySelectorAll('input[name=view]'), function(r){
    r.addEventListener('change', function(){ show(current); });
  });
  window.glassShow = show;
  show(1);
  // report.html#step=5&view=forward opens at that step (through the selector's own event)
  var m = /step=(\d+)/.exec(location.hash);
  if (m) { range.value = m[1]; range.dispatchEvent(new Event('input')); }
  if (/expand=1/.test(location.hash)) {
    var box = document.getElementById('expand');
    box.checked = true; box.dispatchEvent(new Event('change'));
  }
  var v = /view=(\w+)/.exec(location.hash);
  if (v) {
    var radio = document.querySelector('input[name=view][value=' + v[1] + ']');
    if (radio) { radio.checked = true; radio.dispatchEvent(new Event('change')); }
  }
  document.body.setAttribute('data-ready', '1');
})();
"""
