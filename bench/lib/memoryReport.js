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
