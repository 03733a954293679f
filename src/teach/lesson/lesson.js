// cosmograd lesson: displays the numbers cosmograd wrote into #lesson-data. It computes
// nothing: every value, gradient, contribution, running sum, finite difference and update
// comes from the tape, its backward trace and the gradient checker.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('lesson-data').textContent);
  var steps = data.steps;
  var nodes = data.nodes;
  var last = steps.length - 1;
  var main = document.getElementById('lesson');
  var stepBox = document.getElementById('step');
  var panelBox = document.getElementById('panel');
  var counter = document.getElementById('counter');
  var backButton = document.getElementById('back');
  var nextButton = document.getElementById('next');
  var edges = Array.prototype.slice.call(document.querySelectorAll('#graph .edge'));
  var current = -1;
  var LINE = 26; // characters of the gradient line (10 px monospaced) that fit in a box

  // Where each node is computed (forward) and where its gradient is complete (backward, leaf).
  var forwardStep = {};
  var backwardStep = {};
  steps.forEach(function (s, i) {
    if (s.node === null) return;
    if (s.kind === 'forward') forwardStep[s.node] = i;
    if (s.kind === 'backward' || s.kind === 'leaf') backwardStep[s.node] = i;
  });

  // Numbers as the terminal output writes them: six decimals, scientific outside [1e-3, 1e4).
  function fmt(x) {
    if (x === null || x === undefined) return '';
    var a = Math.abs(x);
    var s = (x === 0 || (a >= 1e-3 && a < 1e4)) ? x.toFixed(6) : x.toExponential(4);
    return s.replace(/-/g, '\u2212');
  }
  function short(x) {
    var a = Math.abs(x);
    var s = (x === 0 || (a >= 1e-3 && a < 1e4)) ? x.toFixed(3) : x.toExponential(2);
    return s.replace(/-/g, '\u2212');
  }
  // As many numbers as fit on a line of a box in the graph (svg.rs writes the values so).
  function preview(v, room) {
    if (v.length === 1) return '= ' + short(v[0]);
    var all = v.map(short);
    if (all.join(' ').length <= room) return all.join(' ');
    var tail = ' \u2026 (' + v.length + ')';
    var out = '';
    for (var k = 0; k < all.length; k++) {
      var next = out ? out + ' ' + all[k] : all[k];
      if (next.length + tail.length > room) break;
      out = next;
    }
    return out + tail;
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c];
    });
  }
  function eqs(e) {
    if (!e) return '';
    var plural = /[,\u2013]/.test(e) ? 'eqs. ' : 'eq. ';
    return ' <span class="eq">(' + plural + esc(e) + ')</span>';
  }
  function name(id) { return esc(nodes[id].name); }

  // A value as text; data-values holds the exact numbers (JSON round-trips doubles).
  function tensor(values, shape, id, cls) {
    var attrs = (id ? ' id="' + id + '"' : '') + ' data-values="' + esc(JSON.stringify(values)) + '"';
    var klass = 'tensor' + (cls ? ' ' + cls : '');
    if (shape && shape.length === 2 && shape[0] > 1 && shape[1] > 1 && values.length === shape[0] * shape[1]) {
      var rows = '';
      for (var i = 0; i < shape[0]; i++) {
        rows += '<tr>' + values.slice(i * shape[1], (i + 1) * shape[1]).map(function (x) {
          return '<td>' + fmt(x) + '</td>';
        }).join('') + '</tr>';
      }
      return '<table class="matrix ' + klass + '"' + attrs + '>' + rows + '</table>';
    }
    var text = values.length === 1 ? fmt(values[0]) : '[' + values.map(fmt).join(', ') + ']';
    return '<span class="' + klass + '"' + attrs + '>' + text + '</span>';
  }

  // The gradient a node's box shows after step i: complete, or the running sum so far.
  function boxGradient(id, i) {
    if (backwardStep[id] !== undefined && backwardStep[id] <= i) {
      return { values: steps[backwardStep[id]].arriving, done: true };
    }
    var got = null;
    for (var k = data.first_backward; k <= i; k++) {
      steps[k].sent.forEach(function (c) {
        if (c.to === id) got = { values: c.running, part: c.part, parts: c.parts, done: c.part === c.parts };
      });
    }
    return got;
  }

  function sumTable(parts, total, shape) {
    var h = '<p>' + parts.length + ' contributions arrived; the tape adds them' + eqs('21') + ':</p><ul class="sent">';
    parts.forEach(function (p) {
      h += '<li>+ from ' + name(p.from) + ': ' + tensor(p.values, shape, null, 'grad-val') + '</li>';
    });
    return h + '<li>= ' + tensor(total, shape, 'shown-sum', 'grad-val') + '</li></ul>';
  }

  function termsTable(t, s) {
    var hn = name(t.input), vn = name(t.weight), out = nodes[s.node];
    var h = '<h3>Inside the layer' + eqs('21') + ': \u2202E/\u2202' + hn + '_j = \u03a3_i \u2202E/\u2202' + name(out.id) + '_i \u00b7 ' + vn + '_ij</h3>';
    h += '<table class="sums" id="terms"><tr><th>i \\ j</th>';
    t.sums.forEach(function (_, j) { h += '<th>' + (j + 1) + '</th>'; });
    h += '</tr>';
    t.rows.forEach(function (r, i) {
      h += '<tr><th>' + (i + 1) + '</th>' + r.map(function (x) { return '<td>' + fmt(x) + '</td>'; }).join('') + '</tr>';
    });
    h += '<tr class="total"><th>\u03a3</th>' + t.sums.map(function (x) { return '<td>' + fmt(x) + '</td>'; }).join('') + '</tr></table>';
    return h + '<p class="note">Each column is one input neuron j used by every output neuron i: its contributions add up ' +
      '(for the thesis network, column 4 is eqs. 32 + 33 = 31). The sums are what the tape sent to ' + hn + ' above.</p>';
  }

  function stepHtml(s, i) {
    var h = '<h2 id="step-title">' + esc(s.title) + '</h2>';
    var n = s.node === null ? null : nodes[s.node];
    if (n) h += '<p class="what">node <b id="shown-node" data-id="' + n.id + '">' + name(n.id) + '</b> <span class="note">#' + n.id + ' \u00b7 ' + esc(n.op) + (n.detail ? ' ' + esc(n.detail) : '') + ' \u00b7 shape [' + n.shape.join(', ') + ']</span></p>';
    if (s.kind === 'intro') {
      h += '<p>' + esc(s.text) + '</p><h3>Inputs and parameters</h3><ul class="sent">';
      nodes.forEach(function (m) {
        if (m.kind !== 'op') h += '<li><b>' + name(m.id) + '</b> <span class="note">' + esc(m.kind) + '</span>: ' + tensor(m.value, m.shape) + '</li>';
      });
      h += '</ul>';
    }
    if (s.formula) h += '<p class="formula">' + esc(s.formula) + eqs(s.eq) + '</p>';
    if (s.kind === 'forward') {
      h += '<p>' + name(n.id) + ' = ' + tensor(s.value, n.shape, 'shown-value') + '</p>';
    }
    if (s.kind === 'backward') {
      h += '<p>arriving: \u2202E/\u2202' + name(n.id) + ' = ' + tensor(s.arriving, n.shape, 'shown-grad', 'grad-val') + '</p>';
      if (s.received.length > 1) h += sumTable(s.received, s.arriving, n.shape);
      if (s.local) {
        var input = n.inputs[0];
        h += '<p>local derivative \u2202' + name(n.id) + '/\u2202' + name(input) + ' = ' + tensor(s.local, n.shape, 'shown-local') + '</p>';
      }
      if (s.sent.length) {
        h += '<h3>Sent to its inputs (arriving \u00d7 local derivative)</h3><ul class="sent">';
        s.sent.forEach(function (c, k) {
          var shape = nodes[c.to].shape;
          h += '<li>\u2192 ' + name(c.to) + ': ' + tensor(c.values, shape, 'sent-' + k, 'grad-val');
          if (c.parts > 1) {
            h += '<br><span class="note">contribution ' + c.part + ' of ' + c.parts + ' to ' + name(c.to) + '; its sum so far ' + eqs('21') + ': </span>' + tensor(c.running, shape, null, 'grad-val');
          }
          h += '</li>';
        });
        h += '</ul>';
      } else {
        h += '<p class="note">No input of this node takes a gradient.</p>';
      }
      if (s.terms) h += termsTable(s.terms, s);
    }
    if (s.kind === 'leaf') {
      h += '<p>\u2202E/\u2202' + name(n.id) + ' (tape) = ' + tensor(s.arriving, n.shape, 'shown-grad', 'grad-val') + '</p>';
      if (s.received.length > 1) h += sumTable(s.received, s.arriving, n.shape);
      if (s.numeric) {
        h += '<p>finite difference (gradient checker, f64, \u03b5 = 1e-6) = ' + tensor(s.numeric, n.shape, 'shown-numeric') + '</p>';
        h += '<p class="note">largest |tape \u2212 finite difference| = <span id="shown-agreement">' + fmt(s.agreement) + '</span></p>';
      }
      if (s.updated) {
        h += '<p>gradient descent' + eqs('8') + ': ' + name(n.id) + ' \u2212 \u03bb \u2202E/\u2202' + name(n.id) + ' (\u03bb = ' + data.lr + ') = ' + tensor(s.updated, n.shape, 'shown-updated') + '</p>';
      }
    }
    if (s.kind === 'end') {
      var lower = data.loss_after < data.loss ? 'lower' : 'not lower: try a smaller \u03bb';
      h += '<p>Every parameter takes the step value \u2212 \u03bb \u2202E/\u2202value' + eqs('8') + ' with \u03bb = ' + data.lr + '.</p>';
      h += '<p>E before: <span class="loss" id="loss-before">' + fmt(data.loss) + '</span>, after: <span class="loss" id="loss-after">' + fmt(data.loss_after) + '</span> (' + lower + ').</p>';
    }
    return h;
  }

  function panelHtml() {
    return data.panel.map(function (sec) {
      var h = '<section class="psec"><h3>' + esc(sec.title) + '</h3>';
      if (sec.text) h += '<p>' + esc(sec.text) + '</p>';
      h += '<table><thead><tr><th></th>' + sec.columns.map(function (c) {
        return '<th class="num">' + esc(c) + '</th>';
      }).join('') + '</tr></thead><tbody>';
      sec.rows.forEach(function (r) {
        h += '<tr class="prow" data-step="' + (r.step === null ? '' : r.step) + '"><td>' +
          (r.eq ? '<span class="eq">(' + esc(r.eq) + ')</span> ' : '') + '<b>' + esc(r.symbol) + '</b>' +
          (r.formula ? '<br><span class="pf">' + esc(r.formula) + '</span>' : '') + '</td>';
        r.cells.forEach(function (c) {
          h += '<td class="num"' + (c === null ? '' : ' data-value="' + esc(JSON.stringify(c)) + '"') + '>' + fmt(c) + '</td>';
        });
        h += '</tr>';
      });
      h += '</tbody></table>';
      sec.lines.forEach(function (l) { h += '<p class="line">' + esc(l) + '</p>'; });
      return h + '</section>';
    }).join('');
  }

  function go(i) {
    i = Math.max(0, Math.min(last, Math.floor(i) || 0));
    current = i;
    var s = steps[i];
    var backward = i >= data.first_backward;
    main.setAttribute('data-step', String(i));
    main.setAttribute('data-kind', s.kind);
    main.setAttribute('data-node', s.node === null ? '' : String(s.node));
    main.setAttribute('data-first-backward', String(data.first_backward));
    main.setAttribute('data-steps', String(steps.length));
    counter.textContent = 'step ' + i + ' of ' + last;
    backButton.disabled = i === 0;
    nextButton.disabled = i === last;
    var receivers = s.sent.map(function (c) { return c.to; });
    var senders = s.kind === 'leaf' ? s.received.map(function (p) { return p.from; }) : [];
    nodes.forEach(function (n) {
      var cls = ['node', n.kind];
      if (s.node === n.id) cls.push('current');
      if (!backward && n.kind === 'op' && forwardStep[n.id] > i) cls.push('pending');
      if (s.kind === 'forward' && nodes[s.node].inputs.indexOf(n.id) >= 0) cls.push('feeds');
      if (receivers.indexOf(n.id) >= 0) cls.push('gets');
      var g = backward ? boxGradient(n.id, i) : null;
      if (g && g.done) cls.push('done');
      document.getElementById('node-' + n.id).setAttribute('class', cls.join(' '));
      var text = '';
      if (g && g.done) text = '\u2202E/\u2202 ' + preview(g.values, LINE - 5);
      if (g && !g.done) text = '\u03a3 ' + g.part + '/' + g.parts + ': ' + preview(g.values, LINE - 7);
      document.getElementById('grad-' + n.id).textContent = text;
    });
    edges.forEach(function (e) {
      var from = +e.getAttribute('data-from'), to = +e.getAttribute('data-to');
      var on = '';
      if (s.kind === 'forward' && to === s.node) on = ' fwd';
      if (s.kind === 'backward' && to === s.node && receivers.indexOf(from) >= 0) on = ' bwd';
      if (s.kind === 'leaf' && from === s.node && senders.indexOf(to) >= 0) on = ' bwd';
      e.setAttribute('class', 'edge' + on);
    });
    stepBox.innerHTML = stepHtml(s, i);
    Array.prototype.forEach.call(panelBox.querySelectorAll('tr.prow'), function (tr) {
      var at = tr.getAttribute('data-step');
      var st = at === '' ? -1 : +at;
      tr.className = 'prow' + (st === i ? ' now' : '') + (st > i ? ' later' : '');
    });
    var hash = '#step=' + i;
    if (location.hash !== hash) {
      try { history.replaceState(null, '', hash); } catch (err) { /* some browsers refuse on file:// */ }
    }
    var el = s.node === null ? null : document.getElementById('node-' + s.node);
    if (el && el.scrollIntoView) el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  function fromHash() {
    var out = { step: 0, test: '' };
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var p = kv.split('=');
      if (p[0] === 'step') out.step = parseInt(p[1], 10) || 0;
      if (p[0] === 'test') out.test = p[1] || '';
    });
    return out;
  }

  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var to = null;
    if (e.key === 'ArrowRight' || e.key === 'PageDown') to = current + 1;
    if (e.key === 'ArrowLeft' || e.key === 'PageUp') to = current - 1;
    if (e.key === 'Home') to = 0;
    if (e.key === 'End') to = last;
    if (to !== null) {
      e.preventDefault();
      go(to);
    }
  });
  backButton.addEventListener('click', function () { go(current - 1); });
  nextButton.addEventListener('click', function () { go(current + 1); });
  window.addEventListener('hashchange', function () {
    var h = fromHash();
    if (h.step !== current) go(h.step);
  });
  document.getElementById('graph').addEventListener('click', function (e) {
    var g = e.target.closest ? e.target.closest('.node') : null;
    if (!g) return;
    var id = +g.getAttribute('data-id');
    var to = current >= data.first_backward ? backwardStep[id] : forwardStep[id];
    if (to === undefined) to = backwardStep[id] !== undefined ? backwardStep[id] : forwardStep[id];
    if (to !== undefined) go(to);
  });

  panelBox.innerHTML = panelHtml();
  panelBox.addEventListener('click', function (e) {
    var tr = e.target.closest ? e.target.closest('tr.prow') : null;
    if (tr && tr.getAttribute('data-step') !== '') go(+tr.getAttribute('data-step'));
  });

  var start = fromHash();
  go(start.step);

  // The browser tests' hook (#step=N&test=keys): press keys and buttons as a user would and
  // write the steps they led to into #selftest, where a DOM dump can read them.
  if (start.test === 'keys') {
    var log = { start: current, after: [] };
    var press = function (key) {
      document.dispatchEvent(new KeyboardEvent('keydown', { key: key, bubbles: true, cancelable: true }));
      log.after.push(current);
    };
    press('ArrowRight');
    press('ArrowRight');
    press('ArrowLeft');
    nextButton.click();
    log.after.push(current);
    backButton.click();
    log.after.push(current);
    press('End');
    press('Home');
    press('ArrowLeft');
    log.hash = location.hash;
    var out = document.getElementById('selftest');
    out.textContent = JSON.stringify(log);
    out.hidden = false;
  }
})();
