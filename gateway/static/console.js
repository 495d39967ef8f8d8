// Roam's developer console (README "Developer console and sandbox"): polls GET /console/data every 2 s and
// renders its tables. Values are inserted as text (textContent), never as HTML: client names, versions and
// operation names are whatever clients sent.
'use strict';

(function () {
  var POLL_MS = 2000;

  /** @returns a getter of one property of a row (table columns). */
  function field(name) {
    return function (row) {
      return row[name];
    };
  }

  var main = document.getElementById('console');
  var status = document.getElementById('status');

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function bytes(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1) + ' MiB';
    if (n >= 1024) return (n / 1024).toFixed(1) + ' KiB';
    return String(n) + ' B';
  }

  function percent(x) {
    return (x * 100).toFixed(1) + ' %';
  }

  // columns: [heading, value(row) -> string, class(row) -> string | undefined]
  function table(id, title, columns, rows, empty, rowAttrs) {
    var section = el('section', { id: id }, [el('h2', {}, [title])]);
    if (rows.length === 0) {
      section.appendChild(el('p', { class: 'empty' }, [empty]));
      return section;
    }
    var head = el(
      'tr',
      {},
      columns.map(function (c) {
        return el('th', {}, [c[0]]);
      }),
    );
    var body = rows.map(function (row) {
      return el(
        'tr',
        rowAttrs ? rowAttrs(row) : {},
        columns.map(function (c) {
          var cls = c[2] ? c[2](row) : undefined;
          return el('td', cls ? { class: cls } : {}, [String(c[1](row))]);
        }),
      );
    });
    section.appendChild(el('table', {}, [el('thead', {}, [head]), el('tbody', {}, body)]));
    return section;
  }

  function render(d) {
    var num = function () {
      return 'num';
    };
    var sections = [
      el('section', { id: 'supergraph' }, [
        el('h2', {}, ['Supergraph']),
        el('p', {}, [
          'Version ',
          el('strong', { id: 'supergraph-version' }, [d.supergraph ? String(d.supergraph.version) : 'not loaded']),
          ' (loads since start) · persisted queries: ' + d.persistedQueries,
        ]),
      ]),
      table(
        'subgraphs',
        'Subgraphs',
        [
          ['subgraph', field('name')],
          [
            'health',
            function (s) {
              return s.health + (s.probeError ? ' (' + s.probeError + ')' : '');
            },
            field('health'),
          ],
          ['probe ms', field('probeMs'), num],
          ['breaker', field('breaker'), field('breaker')],
          ['fetches', field('fetches'), num],
          ['fetch errors', field('fetchErrors'), num],
          [
            'mean fetch ms',
            function (s) {
              return s.meanFetchMs === null ? '–' : s.meanFetchMs;
            },
            num,
          ],
          ['url', field('url')],
        ],
        d.subgraphs,
        'No supergraph loaded.',
        function (s) {
          return { 'data-subgraph': s.name, 'data-health': s.health, 'data-breaker': s.breaker };
        },
      ),
      table(
        'registered-operations',
        'Registered operations (roam-pq push) by client',
        [
          ['client', field('clientName')],
          ['version', field('clientVersion')],
          ['operation', field('name')],
          ['type', field('type')],
          [
            'id',
            function (o) {
              return o.id.slice(0, 16) + '…';
            },
          ],
          ['requests', field('requests'), num],
          ['errors', field('errors'), num],
        ],
        d.registeredOperations,
        d.registeredOperationsError ? 'Could not list them: ' + d.registeredOperationsError : 'None pushed (npx roam-pq push <manifest>).',
      ),
      table(
        'client-versions',
        'Client versions seen',
        [
          ['client', field('clientName')],
          ['version', field('clientVersion')],
          ['requests', field('requests'), num],
          [
            'error rate',
            function (v) {
              return percent(v.errorRate);
            },
            num,
          ],
          [
            'bytes in',
            function (v) {
              return bytes(v.bytesIn);
            },
            num,
          ],
          [
            'bytes out (wire)',
            function (v) {
              return bytes(v.bytesOut);
            },
            num,
          ],
          [
            'out / request',
            function (v) {
              return bytes(Math.round(v.bytesOut / Math.max(1, v.requests)));
            },
            num,
          ],
        ],
        d.clientVersions,
        'No requests yet.',
      ),
      table(
        'operations',
        'Operations seen, by client version',
        [
          ['client', field('clientName')],
          ['version', field('clientVersion')],
          [
            'operation',
            function (o) {
              return o.operationName || '(anonymous)';
            },
          ],
          [
            'document id',
            function (o) {
              return o.documentId ? o.documentId.slice(0, 16) + '…' : '';
            },
          ],
          ['requests', field('requests'), num],
          ['errors', field('errors'), num],
        ],
        d.operations,
        'No operations yet.',
      ),
      table(
        'limit-refusals',
        'Recent limit refusals',
        [
          [
            'time',
            function (r) {
              return new Date(r.atMs).toLocaleTimeString();
            },
          ],
          ['code', field('code')],
          ['client', field('clientName')],
          ['version', field('clientVersion')],
          ['operation', field('operationName')],
        ],
        d.limitRefusals,
        'None.',
      ),
    ];
    main.replaceChildren.apply(main, sections);
    status.textContent = 'Updated ' + new Date(d.generatedAt).toLocaleTimeString() + ' (every ' + POLL_MS / 1000 + ' s)';
  }

  function poll() {
    fetch('/console/data', { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(render, function (error) {
        status.textContent = 'Could not load /console/data: ' + error.message;
      })
      .then(function () {
        setTimeout(poll, POLL_MS);
      });
  }
  poll();
})();
