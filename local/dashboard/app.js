// The dashboard page: polls the JSON API and draws, per detector, one card per key with chart.js — the scored
// features per window (left axis), the anomaly score and its threshold on the score axis (right), the warm-up
// span shaded, anomalies in red — anomalous keys first, with a key filter and a time range. Hotspots detectors
// get a density card and a latitude/longitude view of a window's hotspot boxes. Alerts are styled by severity,
// show the event time of their window, and link to it: a click scrolls to the card and highlights the window.
// Graded windows: each card's line under its title gives the latest window's grade and "usually about N" beside
// each scored feature; suppressed windows are hollow on the score line and say why in the tooltip. Values read
// from items are only ever set as text (textContent, chart.js labels), never as HTML.
/* global Chart, document, getComputedStyle, fetch, setTimeout */
(function () {
  'use strict';
  var POLL_MS = 1500;
  var cards = new Map();
  var sections = new Map();
  var highlight = null; // { detector, key, windowStart }
  var $ = function (id) {
    return document.getElementById(id);
  };
  var css = getComputedStyle(document.documentElement);
  var color = function (name) {
    return css.getPropertyValue(name).trim();
  };
  var FEATURE_COLORS = ['--count', '--feature2', '--feature3', '--feature4'];

  function time(iso) {
    return new Date(iso).toISOString().slice(11, 19);
  }
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text != null) e.textContent = text;
    return e;
  }
  // Few digits: the numbers are read at a glance beside a chart, not copied.
  function fmt(v) {
    return Math.abs(v) >= 100 ? String(Math.round(v)) : String(Number(v.toPrecision(3)));
  }
  function cardId(detector, key) {
    return detector + '\u0000' + key;
  }

  // Shades the warm-up span (the forest scores 0 until its sample is full) and the highlighted window.
  var spans = {
    id: 'spans',
    beforeDatasetsDraw: function (chart) {
      var o = chart.options.plugins.spans || {};
      var x = chart.scales.x;
      var area = chart.chartArea;
      var ctx = chart.ctx;
      var half = x.getPixelForValue(1) - x.getPixelForValue(0);
      half = (isFinite(half) ? half : 10) / 2;
      if (o.warmup > 0) {
        var right = o.warmup >= chart.data.labels.length ? area.right : x.getPixelForValue(o.warmup - 1) + half;
        ctx.save();
        ctx.fillStyle = color('--warmup');
        ctx.fillRect(area.left, area.top, Math.max(0, right - area.left), area.bottom - area.top);
        ctx.fillStyle = color('--muted');
        ctx.font = '11px system-ui, sans-serif';
        ctx.fillText('warming up (no score yet)', area.left + 6, area.top + 12);
        ctx.restore();
      }
      if (o.highlight != null && o.highlight >= 0) {
        var cx = x.getPixelForValue(o.highlight);
        ctx.save();
        ctx.fillStyle = color('--alert') + '55';
        ctx.fillRect(cx - half, area.top, half * 2, area.bottom - area.top);
        ctx.restore();
      }
    },
  };

  // Draws each hotspot's box on the latitude/longitude view.
  var boxes = {
    id: 'boxes',
    beforeDatasetsDraw: function (chart) {
      var list = (chart.options.plugins.boxes || {}).hotspots || [];
      var x = chart.scales.x;
      var y = chart.scales.y;
      var ctx = chart.ctx;
      ctx.save();
      list.forEach(function (h, i) {
        var left = x.getPixelForValue(h.minValues[1]);
        var right = x.getPixelForValue(h.maxValues[1]);
        var top = y.getPixelForValue(h.maxValues[0]);
        var bottom = y.getPixelForValue(h.minValues[0]);
        ctx.strokeStyle = i === 0 ? color('--alert') : color('--score');
        ctx.fillStyle = (i === 0 ? color('--alert') : color('--score')) + '33';
        ctx.lineWidth = 2;
        // At least 8 px, so a box of a few metres is still seen on a city-wide view.
        var width = Math.max(8, right - left);
        var height = Math.max(8, bottom - top);
        var l = (left + right - width) / 2;
        var t = (top + bottom - height) / 2;
        ctx.fillRect(l, t, width, height);
        ctx.strokeRect(l, t, width, height);
      });
      ctx.restore();
    },
  };

  function axisTitle(text, colorName) {
    return { display: true, text: text, color: color(colorName || '--muted'), font: { size: 11 } };
  }

  function sectionFor(detector) {
    var s = sections.get(detector);
    if (s) return s;
    var section = el('section', 'detector');
    section.dataset.detector = detector;
    var h = el('h2');
    var name = el('span', null, detector);
    var summary = el('span', 'muted summary');
    h.append(name, summary);
    var grid = el('div', 'cards');
    section.append(h, grid);
    $('charts').append(section);
    s = { section: section, grid: grid, summary: summary };
    sections.set(detector, s);
    return s;
  }

  // pointsOf() gives the points the chart draws, for the tooltip's lines about the window.
  function lineChart(canvas, pointsOf) {
    return new Chart(canvas, {
      data: { labels: [], datasets: [] },
      plugins: [spans],
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { labels: { color: color('--muted'), boxWidth: 12 } },
          spans: {},
          tooltip: {
            callbacks: {
              afterBody: function (items) {
                var p = items.length ? pointsOf()[items[0].dataIndex] : null;
                if (!p) return [];
                var lines = [];
                if (p.grade != null) lines.push('grade ' + fmt(p.grade));
                if (p.suppressed) lines.push('suppressed: ' + p.suppressed);
                return lines;
              },
            },
          },
        },
        scales: {
          x: {
            type: 'category',
            ticks: { color: color('--muted'), maxTicksLimit: 6 },
            grid: { display: false },
            title: axisTitle('window start (event time, UTC)'),
          },
          value: {
            position: 'left',
            beginAtZero: true,
            ticks: { color: color('--count') },
            grid: { color: '#26313c' },
            title: axisTitle('per window', '--count'),
          },
          score: {
            position: 'right',
            beginAtZero: true,
            ticks: { color: color('--score') },
            grid: { display: false },
            title: axisTitle('anomaly score', '--score'),
          },
        },
      },
    });
  }

  function hotspotChart(canvas) {
    return new Chart(canvas, {
      type: 'scatter',
      data: {
        datasets: [
          { label: 'hotspot centres', data: [], backgroundColor: color('--alert'), pointRadius: 4 },
          { label: 'points of the latest window', data: [], backgroundColor: color('--muted') + '88', pointRadius: 1.5 },
        ],
      },
      plugins: [boxes],
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, boxes: { hotspots: [] }, title: { display: true, text: '', color: color('--muted') } },
        scales: {
          x: { ticks: { color: color('--muted'), maxTicksLimit: 5 }, grid: { color: '#26313c' }, title: axisTitle('longitude') },
          y: { ticks: { color: color('--muted'), maxTicksLimit: 5 }, grid: { color: '#26313c' }, title: axisTitle('latitude') },
        },
      },
    });
  }

  function cardFor(s, hotspots) {
    var id = cardId(s.detector, s.key);
    var entry = cards.get(id);
    if (entry) return entry;
    var card = el('div', 'card');
    card.dataset.detector = s.detector;
    card.dataset.key = s.key;
    var title = el('h3');
    var badge = el('span', 'badge');
    title.append(el('span', null, hotspots ? 'hotspots (all players)' : s.key), badge);
    var info = el('p', 'latest muted');
    var plot = el('div', 'plot');
    var canvas = el('canvas');
    canvas.setAttribute('aria-label', (hotspots ? 'hotspot density of ' : 'features and scores of ') + s.key);
    canvas.dataset.key = s.key;
    plot.append(canvas);
    card.append(title, info, plot);
    entry = { card: card, badge: badge, info: info, canvas: canvas, points: [] };
    entry.chart = lineChart(canvas, function () {
      return entry.points;
    });
    if (hotspots) {
      card.classList.add('hotspots');
      var map = el('div', 'plot map');
      var mapCanvas = el('canvas');
      mapCanvas.className = 'hotspot-map';
      mapCanvas.setAttribute('aria-label', 'hotspot boxes of a window, latitude and longitude');
      map.append(mapCanvas);
      card.append(map);
      entry.map = hotspotChart(mapCanvas);
      entry.mapCanvas = mapCanvas;
    }
    sectionFor(s.detector).grid.append(card);
    cards.set(id, entry);
    return entry;
  }

  function featureNames(points) {
    var names = [];
    points.forEach(function (p) {
      Object.keys(p.aggregates || {}).forEach(function (k) {
        if (names.indexOf(k) < 0) names.push(k);
      });
    });
    return names.length ? names : ['count'];
  }

  function featureValue(p, f) {
    return p.aggregates && p.aggregates[f] != null ? p.aggregates[f] : f === 'count' ? p.count : null;
  }

  // The latest window in words: its grade, and each scored feature beside its usual value.
  function drawLatest(entry, p) {
    var parts = [];
    if (p && p.grade != null) parts.push(el('span', 'grade', 'grade ' + fmt(p.grade)));
    Object.keys((p && p.expected) || {}).forEach(function (f) {
      var v = featureValue(p, f);
      if (v == null) return;
      var usual = p.expected[f];
      parts.push(el('span', 'feature', f + ' ' + fmt(v) + (usual != null ? ', usually about ' + fmt(usual) : '')));
    });
    if (p && p.suppressed) parts.push(el('span', 'suppressed', 'suppressed: ' + p.suppressed));
    entry.info.replaceChildren.apply(entry.info, parts);
    entry.info.hidden = parts.length === 0;
    entry.card.dataset.grade = p && p.grade != null ? String(p.grade) : '';
  }

  function rangeOf(points) {
    var n = Number($('range').value);
    return n > 0 ? points.slice(-n) : points;
  }

  function drawSeries(s, defaultThreshold) {
    var hotspots = s.points.some(function (p) {
      return p.hotspots;
    });
    var entry = cardFor(s, hotspots);
    var points = rangeOf(s.points);
    entry.points = points;
    var thresholds = points.map(function (p) {
      return p.threshold != null ? p.threshold : defaultThreshold;
    });
    var anomalous = points.map(function (p, i) {
      return p.scored !== false && p.score >= thresholds[i];
    });
    // The forest scores exactly 0 until its sample is full: the leading zero scores are its warm-up.
    var warmup = 0;
    if (!hotspots) while (warmup < points.length && points[warmup].score === 0) warmup++;
    var chart = entry.chart;
    chart.data.labels = points.map(function (p) {
      return time(p.windowStart);
    });
    var features = hotspots ? ['count'] : featureNames(points);
    var datasets = features.map(function (f, i) {
      return {
        type: features.length === 1 ? 'bar' : 'line',
        label: f === 'count' && hotspots ? 'player reports' : f,
        data: points.map(function (p) {
          return featureValue(p, f);
        }),
        yAxisID: 'value',
        backgroundColor: color(FEATURE_COLORS[i % FEATURE_COLORS.length]) + '99',
        borderColor: color(FEATURE_COLORS[i % FEATURE_COLORS.length]),
        borderWidth: features.length === 1 ? 0 : 1.5,
        pointRadius: 0,
        order: 3,
      };
    });
    datasets.push({
      type: 'line',
      label: hotspots ? 'densest hotspot' : 'score',
      data: points.map(function (p) {
        return p.score;
      }),
      yAxisID: 'score',
      borderColor: color('--score'),
      // Suppressed windows: a hollow point, so a held-back anomaly is told apart from a sent one.
      pointRadius: points.map(function (p, i) {
        return p.suppressed ? 5 : anomalous[i] ? 5 : 0;
      }),
      pointBackgroundColor: points.map(function (p, i) {
        return p.suppressed ? color('--panel') : anomalous[i] ? color('--alert') : color('--score');
      }),
      pointBorderColor: points.map(function (p, i) {
        return p.suppressed ? color('--muted') : anomalous[i] ? color('--alert') : color('--score');
      }),
      borderWidth: 2,
      tension: 0.2,
      order: 1,
    });
    datasets.push({
      type: 'line',
      label: 'threshold',
      data: thresholds,
      yAxisID: 'score',
      borderColor: color('--alert'),
      borderDash: [6, 4],
      borderWidth: 1,
      pointRadius: 0,
      order: 2,
    });
    chart.data.datasets = datasets;
    var maxScore = Math.max.apply(
      null,
      [0].concat(
        points.map(function (p) {
          return p.score;
        }),
      ),
    );
    var maxThreshold = Math.max.apply(
      null,
      [0].concat(
        thresholds.filter(function (t) {
          return t != null;
        }),
      ),
    );
    // Room above the threshold, so it reads as a level on the score scale, not as the chart's top edge.
    chart.options.scales.score.suggestedMax = Math.max(maxScore * 1.1, maxThreshold * 1.5);
    chart.options.scales.score.title.text = hotspots ? 'hotspot density' : 'anomaly score';
    chart.options.scales.value.title.text = 'per window: ' + (hotspots ? 'player reports' : features.join(', '));
    var hl =
      highlight && highlight.detector === s.detector && highlight.key === s.key
        ? points.findIndex(function (p) {
            return p.windowStart === highlight.windowStart;
          })
        : -1;
    chart.options.plugins.spans = { warmup: warmup, highlight: hl };
    entry.canvas.dataset.warmup = String(warmup);
    entry.card.dataset.highlight = hl >= 0 ? points[hl].windowStart : '';
    var n = anomalous.filter(Boolean).length;
    entry.badge.textContent = n ? n + ' anomal' + (n === 1 ? 'y' : 'ies') : warmup === points.length && points.length ? 'warming up' : '';
    entry.card.dataset.anomalies = String(n);
    entry.card.dataset.peak = String(maxScore);
    entry.card.dataset.suppressed = String(
      points.filter(function (p) {
        return p.suppressed;
      }).length,
    );
    drawLatest(entry, s.points[s.points.length - 1]);
    chart.update('none');
    if (entry.map) drawHotspotMap(entry, points, hl);
    return n;
  }

  function drawHotspotMap(entry, points, hl) {
    // The highlighted window, else the latest window that has hotspots.
    var p = hl >= 0 ? points[hl] : null;
    for (var i = points.length - 1; !p && i >= 0; i--) if (points[i].hotspots && points[i].hotspots.length) p = points[i];
    var list = p ? p.hotspots || [] : [];
    entry.map.data.datasets[0].data = list.map(function (h) {
      var c = h.centroid || [(h.minValues[0] + h.maxValues[0]) / 2, (h.minValues[1] + h.maxValues[1]) / 2];
      return { x: c[1], y: c[0] };
    });
    entry.map.options.plugins.boxes.hotspots = list;
    entry.map.options.plugins.title.text = p
      ? 'hotspots of the window of ' + time(p.windowStart) + ': ' + list.length + ' (densest ' + list[0].density.toFixed(1) + ')'
      : 'no hotspot yet';
    entry.mapCanvas.dataset.hotspots = String(list.length);
    entry.mapCanvas.dataset.window = p ? p.windowStart : '';
    // The points the latest hotspots were found in (each shard's sliding window), when that window is shown.
    var latest = entry.windowPoints && (!p || !entry.windowPoints.windowStart || p.windowStart >= entry.windowPoints.windowStart);
    var cloud = latest ? entry.windowPoints.points : [];
    entry.map.data.datasets[1].data = cloud.map(function (v) {
      return { x: v[1], y: v[0] };
    });
    entry.mapCanvas.dataset.points = String(cloud.length);
    // Frame the points and the boxes, padded so a small box is not on the edge.
    var lat = [],
      lon = [];
    cloud.forEach(function (v) {
      lat.push(v[0]);
      lon.push(v[1]);
    });
    list.forEach(function (h) {
      lat.push(h.minValues[0], h.maxValues[0]);
      lon.push(h.minValues[1], h.maxValues[1]);
    });
    if (lat.length) {
      var pad = function (values) {
        var lo = Math.min.apply(null, values),
          hi = Math.max.apply(null, values),
          m = Math.max((hi - lo) * 0.05, 0.002);
        return { min: lo - m, max: hi + m };
      };
      var a = pad(lat),
        o = pad(lon);
      entry.map.options.scales.y.min = a.min;
      entry.map.options.scales.y.max = a.max;
      entry.map.options.scales.x.min = o.min;
      entry.map.options.scales.x.max = o.max;
    }
    entry.map.update('none');
  }

  function draw(data) {
    $('empty').hidden = data.series.length > 0;
    var filter = $('filter').value.trim().toLowerCase();
    var byDetector = new Map();
    data.series.forEach(function (s) {
      var n = drawSeries(s, data.defaultThreshold);
      var entry = cards.get(cardId(s.detector, s.key));
      entry.card.hidden = filter !== '' && s.key.toLowerCase().indexOf(filter) < 0 && s.detector.toLowerCase().indexOf(filter) < 0;
      if (!byDetector.has(s.detector)) byDetector.set(s.detector, []);
      byDetector.get(s.detector).push({ entry: entry, anomalies: n, peak: Number(entry.card.dataset.peak), key: s.key });
    });
    // Detectors with anomalies first; within one, anomalous keys first, the highest score first among them.
    var order = Array.from(byDetector.entries()).sort(function (a, b) {
      return total(b[1]) - total(a[1]) || a[0].localeCompare(b[0]);
    });
    order.forEach(function (pair) {
      var sec = sectionFor(pair[0]);
      $('charts').append(sec.section);
      pair[1]
        .sort(function (a, b) {
          return b.anomalies - a.anomalies || b.peak - a.peak || a.key.localeCompare(b.key);
        })
        .forEach(function (c) {
          sec.grid.append(c.entry.card);
        });
      var shown = pair[1].filter(function (c) {
        return !c.entry.card.hidden;
      }).length;
      sec.summary.textContent =
        pair[1].length +
        ' key' +
        (pair[1].length === 1 ? '' : 's') +
        (shown < pair[1].length ? ', ' + shown + ' shown' : '') +
        ' · ' +
        total(pair[1]) +
        ' anomalous windows';
      sec.section.hidden = shown === 0;
    });
  }
  function total(list) {
    return list.reduce(function (n, c) {
      return n + c.anomalies;
    }, 0);
  }

  function severityOf(a) {
    var m = /^(CRITICAL|WARNING|INFO)\b/i.exec(a.subject || '');
    return m ? m[1].toLowerCase() : 'warning';
  }

  function showWindow(w) {
    highlight = { detector: w.detector, key: w.key, windowStart: w.windowStart };
    var entry = cards.get(cardId(w.detector, w.key));
    if (!entry) return;
    $('filter').value = '';
    cards.forEach(function (c) {
      c.card.classList.remove('highlight');
    });
    entry.card.hidden = false;
    entry.card.classList.add('highlight');
    entry.card.scrollIntoView({ block: 'center' });
    if (lastSeries) draw(lastSeries);
  }

  function drawAlerts(data) {
    var list = $('alerts');
    $('alert-count').textContent = data.alerts.length ? '(' + data.alerts.length + ')' : '';
    list.replaceChildren.apply(
      list,
      data.alerts.map(function (a) {
        var severity = severityOf(a);
        var li = el('li', 'alert ' + severity);
        li.dataset.severity = severity;
        var head = el('div', 'head');
        head.append(el('span', 'severity', severity));
        // Event time first: the window the alert is about; the send time is wall-clock, shown apart.
        (a.windows || []).forEach(function (w) {
          var who = w.key === '*' ? w.detector : w.key;
          var link = el(
            'a',
            'window',
            who +
              ' · window ' +
              time(w.windowStart) +
              ' UTC (score ' +
              w.score.toFixed(2) +
              (w.grade != null ? ', grade ' + fmt(w.grade) : '') +
              ')',
          );
          link.href = '#';
          link.dataset.detector = w.detector;
          link.dataset.key = w.key;
          link.dataset.window = w.windowStart;
          link.addEventListener('click', function (e) {
            e.preventDefault();
            showWindow(w);
          });
          head.append(link);
        });
        var body = el(
          'div',
          'body',
          ((a.subject ? a.subject + '\n' : '') + (a.message || ''))
            .split('\n')
            // Table coordinates are for operators reading the raw message, not for this page.
            .filter(function (line) {
              return !/^\s*(Data:\s+table|\(table )/.test(line);
            })
            .join('\n')
            .trim(),
        );
        li.append(head, body, el('span', 'sent muted', 'sent ' + time(a.sentAt) + ' (wall clock)'));
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
      var span = el('span', 'stat');
      span.append(k + ' ', el('b', null, String(s[k])));
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

  var lastSeries = null;
  function fetchHotspotPoints() {
    cards.forEach(function (entry) {
      if (!entry.map) return;
      get('/api/hotspot-points?detector=' + encodeURIComponent(entry.card.dataset.detector))
        .then(function (body) {
          entry.windowPoints = body;
          if (lastSeries) draw(lastSeries);
        })
        .catch(function () {
          // The points are an extra: the boxes and the density chart stay without them.
        });
    });
  }
  function poll() {
    Promise.all([get('/api/series'), get('/api/alerts'), get('/api/status')])
      .then(function (r) {
        $('error').textContent = '';
        lastSeries = r[0];
        draw(r[0]);
        fetchHotspotPoints();
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
  $('filter').addEventListener('input', function () {
    if (lastSeries) draw(lastSeries);
  });
  $('range').addEventListener('change', function () {
    if (lastSeries) draw(lastSeries);
  });
  poll();
})();
