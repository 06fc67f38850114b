// The dashboard page: polls the JSON API and draws one chart per (detector, key) with chart.js —
// counts (bars, left axis), scores (line, right axis), the threshold (dashed) and anomalies (red points).
/* global Chart, document, getComputedStyle, fetch, setTimeout */
(function () {
  'use strict';
  var POLL_MS = 1500;
  var charts = new Map();
  var $ = function (id) {
    return document.getElementById(id);
  };
  var css = getComputedStyle(document.documentElement);
  var color = function (name) {
    return css.getPropertyValue(name).trim();
  };

  function time(iso) {
    var d = new Date(iso);
    return d.toISOString().slice(11, 19);
  }

  function chartFor(s) {
    var id = s.detector + '/' + s.key;
    var entry = charts.get(id);
    if (entry) return entry;
    var card = document.createElement('div');
    card.className = 'card';
    card.dataset.detector = s.detector;
    card.dataset.key = s.key;
    var title = document.createElement('h2');
    var name = document.createElement('span');
    name.textContent = s.key + ' · ' + s.detector;
    var badge = document.createElement('span');
    badge.className = 'badge';
    title.append(name, badge);
    var plot = document.createElement('div');
    plot.className = 'plot';
    var canvas = document.createElement('canvas');
    canvas.setAttribute('aria-label', 'counts and scores of ' + s.key);
    canvas.dataset.key = s.key;
    plot.append(canvas);
    card.append(title, plot);
    $('charts').append(card);
    var chart = new Chart(canvas, {
      data: {
        labels: [],
        datasets: [
          { type: 'bar', label: 'count', data: [], yAxisID: 'count', backgroundColor: color('--count') + '99', order: 3 },
          {
            type: 'line',
            label: 'score',
            data: [],
            yAxisID: 'score',
            borderColor: color('--score'),
            pointRadius: [],
            pointBackgroundColor: [],
            borderWidth: 2,
            tension: 0.2,
            order: 1,
          },
          {
            type: 'line',
            label: 'threshold',
            data: [],
            yAxisID: 'score',
            borderColor: color('--alert'),
            borderDash: [6, 4],
            borderWidth: 1,
            pointRadius: 0,
            order: 2,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { labels: { color: color('--muted'), boxWidth: 12 } } },
        scales: {
          x: { ticks: { color: color('--muted'), maxTicksLimit: 6 }, grid: { display: false } },
          count: { position: 'left', beginAtZero: true, ticks: { color: color('--count') }, grid: { color: '#26313c' } },
          score: { position: 'right', beginAtZero: true, ticks: { color: color('--score') }, grid: { display: false } },
        },
      },
    });
    entry = { chart: chart, badge: badge, card: card };
    charts.set(id, entry);
    return entry;
  }

  function draw(data) {
    $('table').textContent = 'table ' + data.table;
    $('empty').hidden = data.series.length > 0;
    data.series.forEach(function (s) {
      var entry = chartFor(s);
      var points = s.points;
      var thresholds = points.map(function (p) {
        return p.threshold != null ? p.threshold : data.defaultThreshold;
      });
      var anomalous = points.map(function (p, i) {
        return p.scored !== false && p.score >= thresholds[i];
      });
      var ds = entry.chart.data.datasets;
      entry.chart.data.labels = points.map(function (p) {
        return time(p.windowStart);
      });
      ds[0].data = points.map(function (p) {
        return p.count;
      });
      ds[1].data = points.map(function (p) {
        return p.score;
      });
      ds[1].pointRadius = anomalous.map(function (a) {
        return a ? 5 : 0;
      });
      ds[1].pointBackgroundColor = anomalous.map(function (a) {
        return a ? color('--alert') : color('--score');
      });
      ds[2].data = thresholds;
      var n = anomalous.filter(Boolean).length;
      entry.badge.textContent = n ? n + ' anomal' + (n === 1 ? 'y' : 'ies') : '';
      entry.card.dataset.anomalies = String(n);
      entry.chart.update('none');
    });
  }

  function drawAlerts(data) {
    var list = $('alerts');
    $('alert-count').textContent = data.alerts.length ? '(' + data.alerts.length + ')' : '';
    list.replaceChildren.apply(
      list,
      data.alerts.map(function (a) {
        var li = document.createElement('li');
        li.className = 'alert';
        var when = document.createElement('span');
        when.className = 'when';
        var where = a.windows
          .map(function (w) {
            return w.key + ' @ ' + time(w.windowStart) + ' (score ' + w.score.toFixed(2) + ')';
          })
          .join(', ');
        when.textContent = time(a.sentAt) + (where ? ' · ' + where : '');
        li.append(when, document.createTextNode((a.subject ? a.subject + '\n' : '') + (a.message || '')));
        return li;
      }),
    );
  }

  function drawStatus(data) {
    var s = data.status;
    if (!s) return;
    $('status').innerHTML = '';
    Object.keys(s).forEach(function (k) {
      if (typeof s[k] === 'object') return;
      var span = document.createElement('span');
      span.className = 'stat';
      span.style.marginRight = '1rem';
      var b = document.createElement('b');
      b.textContent = String(s[k]);
      span.append(k + ' ', b);
      $('status').append(span);
    });
  }

  function get(path) {
    return fetch(path, { cache: 'no-store' }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.error || r.statusText);
        return body;
      });
    });
  }

  function poll() {
    Promise.all([get('/api/series'), get('/api/alerts'), get('/api/status')])
      .then(function (r) {
        $('error').textContent = '';
        draw(r[0]);
        drawAlerts(r[1]);
        drawStatus(r[2]);
      })
      .catch(function (e) {
        $('error').textContent = 'cannot read the table: ' + e.message;
      })
      .finally(function () {
        setTimeout(poll, POLL_MS);
      });
  }
  poll();
})();
