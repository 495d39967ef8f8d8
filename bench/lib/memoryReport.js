'use strict';
// Preloaded into a gateway by bench/memory.js (`node -r ./bench/lib/memoryReport.js ...`): answers the IPC
// message 'memory' with process.memoryUsage() and v8 heap space sizes (bytes), after a full GC when
// --expose-gc is on ('memory-gc'). Not used by the gateway itself.
const v8 = require('node:v8');

process.on('message', (m) => {
  if (m !== 'memory' && m !== 'memory-gc') return;
  if (m === 'memory-gc' && typeof global.gc === 'function') global.gc();
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = s.space_size;
  process.send({ memory: process.memoryUsage(), spaces, modules: Object.keys(require.cache).length });
});

// 'alloc-start' / 'alloc-stop': V8's sampling heap profiler counting every allocation, collected or not
// (what drives scavenges and promotion), answered with the top allocating functions by bytes.
let session;
process.on('message', (m) => {
  if (m === 'alloc-start') {
    const inspector = require('node:inspector');
    session = new inspector.Session();
    session.connect();
    session.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }, () => process.send({ started: true }));
  } else if (m === 'alloc-stop' && session) {
    session.post('HeapProfiler.stopSampling', (error, r) => {
      const byFn = new Map();
      const walk = (node) => {
        const cf = node.callFrame;
        const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, '')}:${cf.lineNumber + 1}`;
        byFn.set(key, (byFn.get(key) ?? 0) + node.selfSize);
        for (const c of node.children) walk(c);
      };
      if (!error) walk(r.profile.head);
      const total = [...byFn.values()].reduce((a, b) => a + b, 0);
      process.send({ total, top: [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 30) });
    });
  }
});
