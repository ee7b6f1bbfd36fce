#!/usr/bin/env node
// Times the Node reference runtime (js-oracle's runScript) in-process, for scenario 2.
//
// usage: node oracle_bench.mjs ORACLE.mjs SCRIPT.js N REPEATS CONCURRENCY
// Prints {"n": N, "ms": [...], "empty_ms": [...]}: CPU times (user + system of the whole
// process, V8's helper threads included: process.cpuUsage) of the script with args {n: N}
// and with {n: 0} (fixed costs: reading the file, the vm context), each run REPEATS times
// after five warm-up runs (V8 needs them to JIT the path), interleaved.

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [oraclePath, script, nText, repeatsText, concurrencyText] = process.argv.slice(2);
const { runScript } = await import(pathToFileURL(resolve(oraclePath)).href);
const n = Number(nText);
const repeats = Number(repeatsText);
const concurrency = Number(concurrencyText);
const file = resolve(script);

async function once(count) {
  const started = process.cpuUsage();
  const trace = await runScript(file, { args: { n: count }, concurrency });
  const used = process.cpuUsage(started);
  const elapsed = (used.user + used.system) / 1000;
  if (trace.status !== "completed" || trace.result !== count) {
    throw new Error(`oracle run failed: ${trace.status} ${trace.error ?? ""} result=${trace.result}`);
  }
  return elapsed;
}

for (let i = 0; i < 5; i++) { await once(n); await once(0); }
const ms = [];
const emptyMs = [];
for (let i = 0; i < repeats; i++) { ms.push(await once(n)); emptyMs.push(await once(0)); }
process.stdout.write(JSON.stringify({ n, ms, empty_ms: emptyMs }) + "\n");
