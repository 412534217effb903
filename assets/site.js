/* The Site page's browser side (callbacks/site.py, layouts/site_grid.py, layouts/charts.py).

   - hzSite.applyRows: the server sends the sensor grid's rows once, then of the rows that
     changed only the new value (v, t) or state (fields and digest s) or both; they are merged
     into the rows the grid holds and applied as one row transaction, straight through the
     grid's API (through the rowTransaction prop, dash-ag-grid copies every row back into
     rowData and the grid takes them all again: 250 ms a tick). What the grid holds, [t, s]
     per sensor, goes back with the next refresh.
   - Ages are counted here from each value's time (corrected by the server's clock), so a
     refresh without new values sends nothing; hzSite.redrawAges redraws the age cells on
     screen at each tick (the grid draws only the rows on screen).
   - hzSite.applyTail: a chart's live refresh carries, per trace, the points from the bucket of
     the newest point the browser has; the figure on screen keeps its points from the window's
     start up to there and takes these, so zoom and pan stay as the user left them.
*/
(function () {
  "use strict";
  var GRID = "site-grid";
  var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) {
      return k in values ? values[k] : m;
    });
  }

  // The same wording as layouts/shell.py elapsed_text: 45 s, 12 min, 3 h 5 min, 2 d 4 h.
  function elapsed(ms, c) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return fill(c.s, {n: s});
    if (s < 3600) return fill(c.m, {n: Math.floor(s / 60)});
    if (s < 86400) return fill(c.h, {h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60)});
    return fill(c.d, {d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600)});
  }

  dagfuncs.hzSiteAge = function (params) {
    var d = params.data, c = params.context || {};
    if (!d || d.t === null || d.t === undefined) return c.nodata || "";
    var text = elapsed(Date.now() + (window.hzSiteSkew || 0) - d.t, c);
    return d.st === 1 ? c.stale + " · " + text : text;
  };
  dagfuncs.hzSiteAgeHint = function (params) {
    var c = params.context || {};
    return params.data ? fill(c.stale_hint, {s: params.data.sa}) : null;
  };
  // Ascending: the newest value first; no value at all last.
  dagfuncs.hzSiteByTime = function (a, b) {
    var none = function (v) { return v === null || v === undefined; };
    if (none(a) && none(b)) return 0;
    if (none(a)) return 1;
    if (none(b)) return -1;
    return b - a;
  };

  function gridApi() {
    try {
      return window.dash_ag_grid.getApi(GRID);
    } catch (e) {
      return null;
    }
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.hzSite = {
    applyRows: function (delta, seen) {
      var nu = window.dash_clientside.no_update;
      if (!delta || !delta.rows) return [nu, nu];
      window.hzSiteSkew = delta.now - Date.now();
      if (delta.full) {
        var all = {};
        delta.rows.forEach(function (r) { all[r.id] = [r.t, r.s]; });
        return [delta.rows, {key: delta.key, d: all}];
      }
      var api = gridApi();
      if (!api || !seen || seen.key !== delta.key) return [nu, nu];
      var held = Object.assign({}, seen.d), update = [];
      delta.rows.forEach(function (r) {
        var node = api.getRowNode(r.id);
        if (node && node.data) {
          var row = Object.assign({}, node.data, r);
          update.push(row);
          held[r.id] = [row.t, row.s];
        }
      });
      if (!update.length) return [nu, nu];
      // Straight to the grid: through the rowTransaction prop, dash-ag-grid would copy all
      // rows back into rowData afterwards and the grid would take them all again.
      api.applyTransaction({update: update});
      return [nu, {key: seen.key, d: held}];
    },

    redrawAges: function () {
      var api = gridApi();
      if (api) api.refreshCells({columns: ["age"], force: true});
    },

    selectRows: function (sensors) {
      return {ids: sensors || []};
    },

    applyTail: function (delta, fig) {
      var nu = window.dash_clientside.no_update;
      if (!delta || !fig || !fig.data || !fig.layout || fig.layout.uirevision !== delta.rev) {
        return nu;
      }
      var data = fig.data.slice();
      (delta.traces || []).forEach(function (tr) {
        var old = data[tr.i];
        if (!old) return;
        var ox = old.x || [], oy = old.y || [], xs = [], ys = [];
        for (var k = 0; k < ox.length; k++) {
          if (ox[k] >= delta.x0 && ox[k] < tr.from) {
            xs.push(ox[k]);
            ys.push(oy[k]);
          }
        }
        data[tr.i] = Object.assign({}, old, {x: xs.concat(tr.x), y: ys.concat(tr.y)});
      });
      (delta.bounds || []).forEach(function (b) {
        if (data[b.i]) data[b.i] = Object.assign({}, data[b.i], {x: b.x});
      });
      var layout = Object.assign({}, fig.layout);
      if (delta.shapes) layout.shapes = delta.shapes;
      if (delta.annotations) layout.annotations = delta.annotations;
      return Object.assign({}, fig, {data: data, layout: layout});
    },
  };
})();
