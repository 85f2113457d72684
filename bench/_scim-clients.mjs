// The IdP side of bench/scim.ts, in its own thread so that client work does not share the
// control plane's event loop: parallel keep-alive HTTP clients, one latency per request.
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

// workerData: { url, token, clients, ratePerSecond?, warmup?, requests: [{ method, path, body?, expect }] }
const job = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: job.clients });
const target = new URL(job.url);

function send(method, path, body, expect) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method,
        path,
        headers: { Authorization: `Bearer ${job.token}`, ...(payload ? { 'Content-Type': 'application/scim+json', 'Content-Length': payload.length } : {}) },
      },
      (res) => {
        // The body is read in full but kept only for an error message (the status comes first):
        // the client shares the machine with the control plane, and its own collections of
        // ~80 KB pages it does not need would stall it and be counted as the server's latency.
        const keep = res.statusCode !== expect;
        const chunks = [];
        res.on('data', (c) => keep && chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: () => Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const latencies = [];
// This thread's own stalls while timing (its collections, or no CPU for it): a request due then
// is sent late and its latency grows, though the server had nothing to do with it.
const LOOP_SAMPLE_MS = 1;
const loop = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
// The first `warmup` requests (taken from the front of the list) go out on the same schedule but
// are not counted: they open the connections and compile this thread's HTTP path, a cold start
// of the measuring client that an IdP's long-running sync does not have. The timed requests
// follow on without a pause, so the server sees one continuous stream.
const warmup = job.warmup ?? 0;
const total = warmup + job.requests.length;
const requestAt = (i) => (i < warmup ? job.requests[i % job.requests.length] : job.requests[i - warmup]);
let next = 0;
const start = performance.now();
let timedStart;
// With ratePerSecond, requests are due on a fixed schedule (open loop), whatever the answers
// before them took, and each latency runs from when its request was due: a slow answer delays
// the ones queued behind it, and that delay is counted, as an IdP sending at that rate sees it.
const dueAt = (i) => (job.ratePerSecond ? start + (i * 1000) / job.ratePerSecond : undefined);
await Promise.all(
  Array.from({ length: job.clients }, async () => {
    while (next < total) {
      const i = next++;
      const r = requestAt(i);
      const due = dueAt(i);
      if (due !== undefined && due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
      const t0 = due ?? performance.now();
      if (i === warmup) {
        timedStart = t0;
        loop.enable();
      }
      const res = await send(r.method, r.path, r.body, r.expect);
      if (i >= warmup) latencies.push(performance.now() - t0);
      if (res.status !== r.expect) throw new Error(`${r.method} ${r.path}: ${res.status} ${res.text().slice(0, 300)}`);
    }
  }),
);
loop.disable();
// The histogram holds whole sampling intervals; the delay is what exceeds the interval.
const ms = (ns) => Math.max(0, ns / 1e6 - LOOP_SAMPLE_MS);
parentPort.postMessage({ seconds: (performance.now() - (timedStart ?? start)) / 1000, latencies, loopDelay: { maxMs: ms(loop.max), p99Ms: ms(loop.percentile(99)) } });
agent.destroy();
