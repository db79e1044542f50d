/**
 * The dashboard's own script, shipped as a local file: the charts (drawn with uPlot, which the
 * page loads first from its own local copy), the "what was in production on…" date picker and the
 * diff of two versions. All three read JSON embedded in the page, so nothing is fetched.
 *
 * The replay rule is kept as JavaScript source in {@link PRODUCTION_ON_JS} and the same text is
 * compiled here into {@link productionOn}, so the tests exercise the very code the browser runs
 * against `productionAt` (src/registry/operations.ts), which `registry history --at` uses.
 */

/** What the page embeds of each history event for the replay. */
export interface ReplayEvent {
  at: string;
  type: string;
  version: number;
}

/** Mirrors `productionAt`: events in history order, up to and including `atMs`. */
export const PRODUCTION_ON_JS = `function productionOn(history, atMs) {
  var production = null;
  for (var i = 0; i < history.length; i++) {
    var e = history[i];
    if (Date.parse(e.at) > atMs) break;
    if (e.type === 'promoted' || e.type === 'rolled_back') production = e.version;
    else if (e.type === 'archived' && e.version === production) production = null;
  }
  return production;
}`;

/** The shipped replay, compiled from {@link PRODUCTION_ON_JS}. */
export const productionOn = new Function(`${PRODUCTION_ON_JS}\nreturn productionOn;`)() as (
  history: ReplayEvent[],
  atMs: number,
) => number | null;

/**
 * Parses the picker's value like `registry history --at` parses its argument (`new Date(text)`):
 * a bare date is midnight UTC, a date and time without a zone is local time.
 */
const PARSE_AT_JS = `function parseAt(text) {
  var t = new Date(text).getTime();
  return Number.isNaN(t) ? null : t;
}`;

export const DASHBOARD_JS = `'use strict';
${PRODUCTION_ON_JS}
${PARSE_AT_JS}
function readJson(id) {
  var el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : null;
}
function text(el, value) { el.textContent = value; }
function f4(v) { return typeof v === 'number' && isFinite(v) ? v.toFixed(4) : '\\u2014'; }

(function charts() {
  // Every drawn chart, for tests and for the curious: its id, its data points and x labels.
  var drawn = window.oncoclearCharts = [];
  if (typeof uPlot === 'undefined') return;
  var els = document.querySelectorAll('.chart[data-chart]');
  for (var n = 0; n < els.length; n++) draw(els[n]);
  function draw(el) {
    var spec = readJson(el.getAttribute('data-chart'));
    if (!spec) return;
    var versions = spec.versions || [];
    var byVersion = spec.xKind === 'version';
    var entry = { id: el.id, points: 0, xLabels: 0 };
    function xText(v) {
      if (!byVersion) return v.toFixed(2);
      return Math.round(v) === v && versions[v] !== undefined ? 'v' + versions[v] : '';
    }
    var series = [{
      label: byVersion ? 'version' : spec.xLabel.split(/ \\(|, /)[0],
      value: function (u, v) { return v == null ? '\\u2014' : byVersion ? xText(v) : v.toFixed(4); }
    }];
    var data = [spec.x];
    spec.series.forEach(function (s) {
      var opts = {
        label: s.label,
        stroke: s.colour,
        width: 2,
        spanGaps: true,
        points: s.points ? { size: 6, fill: s.colour } : { show: false },
        value: function (u, v, si, i) {
          if (v == null) return '\\u2014';
          var t = v.toFixed(4);
          if (s.low && i != null && s.low[i] != null && s.high[i] != null)
            t += ' (95% CI ' + s.low[i].toFixed(4) + '\\u2013' + s.high[i].toFixed(4) + ')';
          return t;
        }
      };
      if (s.dashed) opts.dash = [6, 4];
      series.push(opts);
      data.push(s.values);
      if (!s.reference) for (var i = 0; i < s.values.length; i++) if (s.values[i] !== null) entry.points++;
    });
    var xAxis = { label: spec.xLabel, labelSize: 24 };
    if (byVersion) {
      // Integer steps only, at least 56 px apart: 1,000 versions get a handful of labels.
      xAxis.space = 56;
      xAxis.incrs = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000];
      xAxis.values = function (u, splits) {
        var labels = splits.map(xText);
        entry.xLabels = labels.filter(Boolean).length;
        return labels;
      };
    }
    function bars(u) {
      var ctx = u.ctx, b = u.bbox;
      ctx.save();
      ctx.beginPath();
      ctx.rect(b.left, b.top, b.width, b.height);
      ctx.clip();
      // Bars where there is room for them; a shaded band where they would merge (many versions).
      var dense = b.width / Math.max(1, spec.x.length) < 6 * devicePixelRatio;
      spec.series.forEach(function (s, k) {
        if (!s.low || !s.high || !u.series[k + 1].show) return;
        var i, px, started = false;
        ctx.strokeStyle = ctx.fillStyle = s.colour;
        ctx.beginPath();
        if (dense) {
          ctx.globalAlpha = 0.18;
          for (i = 0; i < spec.x.length; i++) {
            if (s.high[i] == null) continue;
            px = u.valToPos(spec.x[i], 'x', true);
            if (started) ctx.lineTo(px, u.valToPos(s.high[i], 'y', true));
            else { ctx.moveTo(px, u.valToPos(s.high[i], 'y', true)); started = true; }
          }
          for (i = spec.x.length - 1; i >= 0; i--)
            if (s.low[i] != null) ctx.lineTo(u.valToPos(spec.x[i], 'x', true), u.valToPos(s.low[i], 'y', true));
          ctx.closePath();
          ctx.fill();
          return;
        }
        ctx.globalAlpha = 0.45;
        ctx.lineWidth = Math.max(1, Math.min(3 * devicePixelRatio, b.width / spec.x.length / 4));
        for (i = 0; i < spec.x.length; i++) {
          if (s.low[i] == null || s.high[i] == null) continue;
          px = Math.round(u.valToPos(spec.x[i], 'x', true));
          ctx.moveTo(px, u.valToPos(s.low[i], 'y', true));
          ctx.lineTo(px, u.valToPos(s.high[i], 'y', true));
        }
        ctx.stroke();
      });
      ctx.restore();
    }
    function size() {
      var w = Math.max(220, Math.floor(el.clientWidth));
      return { width: w, height: w < 480 ? 260 : 300 };
    }
    var last = size();
    var opts = {
      title: spec.title,
      width: last.width,
      height: last.height,
      scales: {
        x: { time: false, range: byVersion ? [-0.5, spec.x.length - 0.5] : spec.xRange },
        y: { range: spec.yRange }
      },
      axes: [xAxis, { label: spec.yLabel, labelSize: 24, size: 52 }],
      series: series,
      hooks: { draw: [bars] }
    };
    var u = new uPlot(opts, data, el);
    el.setAttribute('data-drawn', String(entry.points));
    drawn.push(entry);
    if (typeof ResizeObserver === 'function')
      new ResizeObserver(function () {
        var next = size();
        if (next.width !== last.width || next.height !== last.height) { last = next; u.setSize(next); }
      }).observe(el);
  }
})();

(function picker() {
  var form = document.getElementById('production-on');
  var data = readJson('history-data');
  if (!form || !data) return;
  var input = form.querySelector('input');
  var out = form.querySelector('output');
  function answer() {
    var at = parseAt(input.value);
    if (at === null) { text(out, 'Enter a date such as 2026-03-01 or 2026-03-01T12:00:00Z.'); return; }
    var iso = new Date(at).toISOString();
    var v = productionOn(data.history, at);
    out.setAttribute('data-version', v === null ? '' : String(v));
    if (v === null) { text(out, 'No version of ' + data.model + ' was in production at ' + iso + '.'); return; }
    out.textContent = '';
    var a = document.createElement('a');
    a.href = 'v' + v + '.html';
    a.textContent = 'v' + v;
    out.appendChild(a);
    out.appendChild(document.createTextNode(' of ' + data.model + ' was in production at ' + iso + '.'));
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); answer(); });
  input.addEventListener('change', answer);
  answer();
})();

(function diff() {
  var form = document.getElementById('diff-form');
  var data = readJson('diff-data');
  if (!form || !data) return;
  var selA = form.querySelector('select[name=a]');
  var selB = form.querySelector('select[name=b]');
  var body = document.getElementById('diff-body');
  var params = new URLSearchParams(location.search);
  if (params.get('a')) selA.value = params.get('a');
  if (params.get('b')) selB.value = params.get('b');
  function byVersion(n) {
    for (var i = 0; i < data.versions.length; i++) if (data.versions[i].version === n) return data.versions[i];
    return null;
  }
  function row(cells, head) {
    var tr = document.createElement('tr');
    cells.forEach(function (c, i) {
      var td = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) td.setAttribute('scope', 'row');
      if (i > 0 && !head) td.className = 'num';
      td.textContent = c;
      tr.appendChild(td);
    });
    return tr;
  }
  function section(title) {
    var tr = document.createElement('tr');
    var th = document.createElement('th');
    th.colSpan = 4; th.textContent = title; tr.appendChild(th);
    return tr;
  }
  function render() {
    var a = byVersion(Number(selA.value)), b = byVersion(Number(selB.value));
    body.textContent = '';
    if (!a || !b) return;
    body.appendChild(section('Held-out metrics (b \\u2212 a; ' + '\\u2191 higher is better, \\u2193 lower is better)'));
    data.metrics.forEach(function (m) {
      var va = a.metrics[m.key], vb = b.metrics[m.key];
      if (typeof va !== 'number' && typeof vb !== 'number') return;
      var delta = typeof va === 'number' && typeof vb === 'number' ? vb - va : null;
      var better = delta === null || delta === 0 ? '' : (m.direction === 'higher') === delta > 0 ? ' (better)' : ' (worse)';
      body.appendChild(row([m.label + (m.direction === 'higher' ? ' \\u2191' : ' \\u2193'), f4(va), f4(vb), delta === null ? '\\u2014' : (delta > 0 ? '+' : '') + delta.toFixed(4) + better]));
    });
    body.appendChild(section('Hyperparameters and lineage'));
    var keys = Object.keys(Object.assign({}, a.params, b.params)).sort();
    keys.forEach(function (k) {
      var va = a.params[k], vb = b.params[k];
      body.appendChild(row([k, va === undefined ? '\\u2014' : String(va), vb === undefined ? '\\u2014' : String(vb), va === vb ? 'same' : 'changed'], true));
    });
    var link = document.getElementById('diff-link');
    if (link) link.href = '?a=' + a.version + '&b=' + b.version;
  }
  form.addEventListener('change', render);
  form.addEventListener('submit', function (e) { e.preventDefault(); render(); });
  render();
})();
`;
