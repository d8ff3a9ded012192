import { openApiJson } from '../src/api.ts';
const d = JSON.parse(openApiJson());
let ops = 0, answers = 0; const statuses = new Set<string>();
for (const [p, item] of Object.entries<any>(d.paths)) for (const [m, op] of Object.entries<any>(item)) { if (!['get','post','put','patch','delete'].includes(m)) continue; ops++; for (const s of Object.keys(op.responses)) { answers++; statuses.add(s); } }
console.log(JSON.stringify({ paths: Object.keys(d.paths).length, ops, answers, statuses: [...statuses].sort() }));
