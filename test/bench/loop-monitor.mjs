// Preloaded into the API by bench:shapes (node --import): samples the event loop's delay for
// the life of the process and writes the histogram to LOOP_MONITOR_FILE when told (SIGUSR2).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
process.on('SIGUSR2', () => {
  const ms = (ns) => Number(ns) / 1e6;
  writeFileSync(process.env.LOOP_MONITOR_FILE, JSON.stringify({ max: ms(h.max), p99: ms(h.percentile(99)), p50: ms(h.percentile(50)), count: h.count }));
  h.reset();
});
