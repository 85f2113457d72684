// Background SCIM traffic for bench/deprovision.ts, in its own thread: a steady `rate` requests
// per second (not as fast as possible), a mix of an IdP's creates, attribute updates and
// userName lookups, until the parent posts 'stop'. Reports what it sent and how it went.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

// workerData: { url, token, base, rate, prefix }
const job = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const target = new URL(job.url);
let stopped = false;
parentPort.on('message', (m) => {
  if (m === 'stop') stopped = true;
});

function send(method, path, body) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: target.hostname, port: target.port, method, path, headers: { Authorization: `Bearer ${job.token}`, ...(payload ? { 'Content-Type': 'application/scim+json', 'Content-Length': payload.length } : {}) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(payload);
  });
}

const created = [];
let sent = 0;
let failed = 0;
const latencies = [];
const inflight = new Set();
const start = performance.now();
for (let i = 0; !stopped; i++) {
  // Paced on the clock, so slow answers do not lower the offered rate.
  const due = start + (i * 1000) / job.rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  let p;
  const kind = i % 4;
  if (kind === 0 || created.length === 0) {
    const userName = `${job.prefix}${i}@bg.example`;
    p = send('POST', `${job.base}/Users`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, emails: [{ value: userName, primary: true }], title: 'Analyst', active: true }).then((s) => {
      if (s === 201) created.push(userName);
      return s === 201;
    });
  } else if (kind === 1) {
    p = send('GET', `${job.base}/Users?filter=${encodeURIComponent(`userName eq "${created[i % created.length]}"`)}`).then((s) => s === 200);
  } else {
    p = send('GET', `${job.base}/Users?count=20&startIndex=${1 + (i % 50)}`).then((s) => s === 200);
  }
  const t0 = performance.now();
  const q = p.then((ok) => {
    latencies.push(performance.now() - t0);
    if (!ok) failed++;
    inflight.delete(q);
  });
  inflight.add(q);
  sent++;
}
await Promise.all(inflight);
parentPort.postMessage({ sent, failed, seconds: (performance.now() - start) / 1000, latencies });
agent.destroy();
