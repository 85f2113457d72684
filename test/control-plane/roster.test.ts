import assert from 'node:assert/strict';
import http from 'node:http';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { CSV_MAX_BYTES } from '../../control-plane/src/roster/csv-import.js';

const HEADER = 'email,first_name,last_name,title,department,manager_email';

function csv(lines: string[]): string {
  return [HEADER, ...lines].join('\n') + '\n';
}

/** A raw HTTP upload with a declared length, as a client would send a file it has on disk. */
function declaredUpload(url: string, token: string, declaredLength: number, firstBytes: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/v1/roster/csv`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv', 'Content-Length': declaredLength },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        resolve({ status: res.statusCode!, body: JSON.parse(text) });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.write(firstBytes);
  });
}

/** A streamed upload of unknown length: the server only learns the size while reading. */
async function streamedUpload(url: string, token: string, chunks: Iterable<string>): Promise<{ status: number; body: any }> {
  const it = chunks[Symbol.iterator]();
  const body = new ReadableStream({
    pull(c) {
      const n = it.next();
      if (n.done) c.close();
      else c.enqueue(new TextEncoder().encode(n.value));
    },
  });
  const res = await fetch(`${url}/api/v1/roster/csv`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' },
    body,
    duplex: 'half',
  } as RequestInit);
  return { status: res.status, body: await res.json() };
}

for (const kind of dbKinds()) {
  describe(`roster [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    const post = (body: string, tenant = t) => cp.request('POST', '/api/v1/roster/csv', { token: tenant.token, raw: body, headers: { 'Content-Type': 'text/csv' } });
    const state = async () => ({
      members: await cp.count('roster_members'),
      events: await cp.count('governance_events'),
      imports: await cp.count('roster_imports'),
    });

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('imports a CSV, classifies every row, lists the unmatched and records one event per assignment', async () => {
      const res = await post(
        csv([
          'ada@acme.example,Ada,Lovelace,Sr. Software Engineer,Engineering,grace@acme.example',
          'Bob@Acme.example,Bob,Smith,Account Executive,,',
          'carla@acme.example,Carla,Rossi,Responsabile Risorse Umane,,',
          'dan@acme.example,Dan,Doe,Astronaut,,',
          '"eve@acme.example","Eve","O\'Neil, Jr","Data Scientist, NLP",Data,',
        ]),
      );
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.rows, 5);
      assert.equal(res.body.created, 5);
      assert.equal(res.body.matched, 4);
      assert.equal(res.body.unmatched, 1);
      assert.deepEqual(res.body.unmatched_rows.map((u: any) => [u.line, u.email]), [[5, 'dan@acme.example']]);
      const roster = await cp.request('GET', '/api/v1/roster', { token: t.token });
      assert.equal(roster.status, 200);
      const by = Object.fromEntries(roster.body.items.map((m: any) => [m.email, m.archetype]));
      assert.deepEqual(by, { 'ada@acme.example': 'eng', 'bob@acme.example': 'sales', 'carla@acme.example': 'hr', 'dan@acme.example': null, 'eve@acme.example': 'data' });
      assert.equal(roster.body.items.find((m: any) => m.email === 'eve@acme.example').last_name, "O'Neil, Jr");
      assert.deepEqual({ users: roster.body.summary.users, unmatched: roster.body.summary.unmatched }, { users: 5, unmatched: 1 });
      const events = await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.archetype_assigned' });
      assert.equal(events.length, 4);
      assert.ok(events.every((e: any) => e.data.by === 'cc-061' && e.data.source === 'csv'));
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'roster.csv_imported' }), 1);
      const unmatched = await cp.request('GET', '/api/v1/roster?unmatched=true', { token: t.token });
      assert.deepEqual(unmatched.body.items.map((m: any) => m.email), ['dan@acme.example']);
    });

    it('re-importing the same file changes nothing and records no assignment', async () => {
      const before = await cp.count('governance_events', { tenant_id: t.id, type: 'rbac.archetype_assigned' });
      const res = await post(csv(['ada@acme.example,Ada,Lovelace,Sr. Software Engineer,Engineering,grace@acme.example']));
      assert.equal(res.status, 200);
      assert.equal(res.body.unchanged, 1);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'rbac.archetype_assigned' }), before);
    });

    it('keeps a manual override across later imports, and clearing it hands the member back to the classifier', async () => {
      const o = await cp.request('PUT', '/api/v1/roster/members/dan@acme.example/archetype', { token: t.token, body: { archetype: 'ops' } });
      assert.equal(o.status, 200, o.text);
      assert.equal(o.body.archetype, 'ops');
      assert.equal(o.body.override_archetype, 'ops');
      const again = await post(csv(['dan@acme.example,Dan,Doe,Senior Software Engineer,,']));
      assert.equal(again.status, 200);
      const m = await cp.request('GET', '/api/v1/roster/members/dan@acme.example', { token: t.token });
      assert.equal(m.body.archetype, 'ops', 'the override wins over the new title');
      assert.equal(m.body.classified_archetype, 'eng');
      const cleared = await cp.request('PUT', `/api/v1/roster/members/${m.body.id}/archetype`, { token: t.token, body: { archetype: null } });
      assert.equal(cleared.body.archetype, 'eng');
      const bad = await cp.request('PUT', `/api/v1/roster/members/${m.body.id}/archetype`, { token: t.token, body: { archetype: 'wizard' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'archetype');
      const missing = await cp.request('PUT', '/api/v1/roster/members/rm_nope/archetype', { token: t.token, body: { archetype: 'eng' } });
      assert.equal(missing.status, 404);
    });

    it('rejects bad files with the line and field named, writing nothing', async () => {
      const cases: Array<[string, number, string, RegExp]> = [
        ['email,first_name,last_name,department\na@x.example,A,B,Eng\n', 400, 'title', /required column "title" is missing/],
        ['email,first_name,last_name,title,colour\na@x.example,A,B,SWE,red\n', 400, 'colour', /unknown column "colour"/],
        [csv(['good@x.example,A,B,SWE,,', 'not-an-email,A,B,SWE,,']), 400, 'email', /line 3: email is not a valid address/],
        [csv(['a@x.example,A,B,SWE,,boss-at-x']), 400, 'manager_email', /line 2/],
        [csv(['dup@x.example,A,B,SWE,,', 'other@x.example,A,B,SWE,,', 'DUP@x.example,A,B,AE,,']), 400, 'email', /line 4: duplicate row: dup@x.example already appears on line 2/],
        [csv(['a@x.example,"A,B,SWE,,']), 400, 'body', /cannot be parsed/],
        [csv(['a@x.example,A,B,SWE']), 400, 'body', /cannot be parsed/],
        ['', 400, 'body', /empty/],
        [HEADER + '\n', 400, 'body', /no rows/],
      ];
      const before = await state();
      for (const [body, status, field, msg] of cases) {
        const res = await post(body);
        assert.equal(res.status, status, `${body}: ${res.text}`);
        assert.equal(res.body.error.field, field, res.text);
        assert.match(res.body.error.message, msg);
      }
      const wrongType = await cp.request('POST', '/api/v1/roster/csv', { token: t.token, body: { email: 'a@x.example' } });
      assert.equal(wrongType.status, 415);
      assert.equal(wrongType.body.error.field, 'Content-Type');
      assert.deepEqual(await state(), before);
    });

    it('reports every bad row of a large file, writing none of the good ones', async () => {
      const lines: string[] = [];
      for (let i = 0; i < 1500; i++) lines.push(`p${i}@big.example,P,${i},${i === 1200 ? 'Engineer' : 'Software Engineer'},,${i === 1200 || i === 1400 ? 'nobody' : ''}`);
      const before = await state();
      const res = await post(csv(lines));
      assert.equal(res.status, 400);
      assert.equal(res.body.error.error_count, 2);
      assert.deepEqual(res.body.error.errors.map((e: any) => [e.line, e.field]), [[1202, 'manager_email'], [1402, 'manager_email']]);
      assert.deepEqual(await state(), before, 'no row is written when any row is bad');
    });

    it('refuses a 10x oversized file, whether its size is declared or only seen while streaming', async () => {
      const before = await state();
      const declared = await declaredUpload(cp.url, t.token, CSV_MAX_BYTES * 10, HEADER + '\n');
      assert.equal(declared.status, 413);
      assert.equal(declared.body.error.field, 'body');
      function* stream() {
        yield HEADER + '\n';
        // Long rows so the byte cap trips before the row cap; the first row is bad, so the
        // server writes nothing while it reads on (the cap is what this test is about).
        yield 'not-an-email,A,B,SWE,,\n';
        let i = 0;
        for (let sent = 0; sent < CSV_MAX_BYTES * 10; ) {
          let chunk = '';
          while (chunk.length < 65536) chunk += `person${i++}@big.example,Some,One,${'Senior Software Engineer '.repeat(10)},Engineering,\n`;
          sent += chunk.length;
          yield chunk;
        }
      }
      const streamed = await streamedUpload(cp.url, t.token, stream());
      assert.equal(streamed.status, 413, JSON.stringify(streamed.body));
      assert.deepEqual(await state(), before);
    });

    it('holds no transaction while the upload is still arriving, so other requests are served meanwhile', async () => {
      const done = new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = http.request(`${cp.url}/api/v1/roster/csv`, { method: 'POST', headers: { Authorization: `Bearer ${t.token}`, 'Content-Type': 'text/csv' } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.write(HEADER + '\nslow1@acme.example,S,One,Recruiter,,\n');
        // The rest arrives later; meanwhile the single embedded connection must stay free.
        setTimeout(async () => {
          const other = await cp.request('GET', '/api/v1/roster?limit=1', { token: t.token });
          assert.equal(other.status, 200);
          req.end('slow2@acme.example,S,Two,Paralegal,,\n');
        }, 300);
      });
      const res = await done;
      assert.equal(res.status, 200);
      assert.equal(res.body.created, 2);
    });

    it('keeps tenants apart', async () => {
      const other = await cp.createTenant();
      const res = await cp.request('GET', '/api/v1/roster', { token: other.token });
      assert.equal(res.body.items.length, 0);
      const peek = await cp.request('GET', '/api/v1/roster/members/ada@acme.example', { token: other.token });
      assert.equal(peek.status, 404);
      const same = await post(csv(['ada@acme.example,Ada,L,Recruiter,,']), other);
      assert.equal(same.status, 200);
      const mine = await cp.request('GET', '/api/v1/roster/members/ada@acme.example', { token: t.token });
      assert.equal(mine.body.archetype, 'eng');
    });
  });
}
