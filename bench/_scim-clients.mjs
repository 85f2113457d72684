// The IdP side of bench/scim.ts, in its own thread so that client work does not share the
// control plane's event loop: parallel keep-alive HTTP clients, one latency per request.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

// workerData: { url, token, clients, requests: [{ method, path, body?, expect }] }
const job = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: job.clients });
const target = new URL(job.url);

function send(method, path, body) {
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
        // The body is read in full, but decoded only for an error message: the client shares
        // the machine with the control plane, and its work is not what is measured.
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: () => Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const latencies = [];
let next = 0;
const start = performance.now();
await Promise.all(
  Array.from({ length: job.clients }, async () => {
    while (next < job.requests.length) {
      const r = job.requests[next++];
      const t0 = performance.now();
      const res = await send(r.method, r.path, r.body);
      latencies.push(performance.now() - t0);
      if (res.status !== r.expect) throw new Error(`${r.method} ${r.path}: ${res.status} ${res.text().slice(0, 300)}`);
    }
  }),
);
parentPort.postMessage({ seconds: (performance.now() - start) / 1000, latencies });
agent.destroy();
