import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

const HEADER = 'email,first_name,last_name,title,department,manager_email';

/** The bytes a single-byte Windows-1252 editor writes (every character here is in the code page). */
function cp1252(text: string): Buffer {
  const extra: Record<string, number> = { '€': 0x80, '’': 0x92, 'Š': 0x8a, 'š': 0x9a, 'Œ': 0x8c, 'œ': 0x9c };
  return Buffer.from([...text].map((c) => extra[c] ?? (c.charCodeAt(0) < 256 ? c.charCodeAt(0) : assert.fail(`not in cp1252: ${c}`))));
}

function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return le;
}

const rows = (...lines: string[]) => [HEADER, ...lines].join('\r\n') + '\r\n';

for (const kind of dbKinds()) {
  describe(`roster CSV charsets [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;

    /** Posts raw bytes: the test helper only sends strings, and strings are always UTF-8 on the wire. */
    async function upload(bytes: Uint8Array | Iterable<Uint8Array>, contentType: string, tenant = t) {
      const body =
        bytes instanceof Uint8Array
          ? bytes
          : new ReadableStream<Uint8Array>({
              start(c) {
                for (const chunk of bytes) c.enqueue(chunk);
                c.close();
              },
            });
      const res = await fetch(`${cp.url}/api/v1/roster/csv`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${tenant.token}`, 'Content-Type': contentType },
        body,
        ...(bytes instanceof Uint8Array ? {} : { duplex: 'half' }),
      } as RequestInit);
      const text = await res.text();
      return { status: res.status, body: JSON.parse(text), text };
    }
    const member = async (email: string, tenant = t) => (await cp.request('GET', `/api/v1/roster/members/${email}`, { token: tenant.token })).body;
    const state = async () => ({ members: await cp.count('roster_members'), events: await cp.count('governance_events'), imports: await cp.count('roster_imports') });

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('reads a declared ISO-8859-1 or Windows-1252 file as what it says, so accented names and titles survive', async () => {
      const latin = cp1252(rows('jose@acme.example,José,Müller,Ingénieur logiciel,R&D,'));
      const res = await upload(latin, 'text/csv; charset=iso-8859-1');
      assert.equal(res.status, 200, res.text);
      const jose = await member('jose@acme.example');
      assert.deepEqual([jose.first_name, jose.last_name, jose.title], ['José', 'Müller', 'Ingénieur logiciel']);
      assert.equal(jose.archetype, 'eng', 'the classifier read the real title');

      // Bytes 0x80-0x9F are where Windows-1252 and ISO-8859-1 differ; Excel writes the former.
      const win = cp1252(rows('zoe@acme.example,Zoë,O’Brien,Œnologue € Šef,,', 'sara@acme.example,Šárka,Nováková,Účetní,,'.replace('č', 'c')));
      for (const ct of ['text/csv; charset=windows-1252', 'text/csv;charset="Windows-1252"', 'application/csv; charset=cp1252', 'text/plain; charset=latin1']) {
        const r = await upload(win, ct);
        assert.equal(r.status, 200, `${ct}: ${r.text}`);
      }
      const zoe = await member('zoe@acme.example');
      assert.deepEqual([zoe.first_name, zoe.last_name, zoe.title], ['Zoë', 'O’Brien', 'Œnologue € Šef']);
      assert.equal((await member('sara@acme.example')).first_name, 'Šárka');
      const all = await cp.db('roster_members').where({ tenant_id: t.id }).select('first_name', 'last_name', 'title');
      assert.ok(!JSON.stringify(all).includes('\ufffd'), 'no replacement character stored');
    });

    it('reads UTF-8 with or without a charset, and UTF-16 by its byte-order mark', async () => {
      const text = rows('ines@acme.example,Inês,Ærøskøbing,Software Engineer,,', 'yuki@acme.example,雪,山田,Account Executive,,');
      for (const [bytes, ct] of [
        [Buffer.from(text), 'text/csv'],
        [Buffer.from(text), 'text/csv; charset=UTF-8'],
        [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'text/csv'],
        [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), 'text/csv'],
        [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), 'text/csv; charset=utf-16'],
        [Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]), 'text/csv; charset=utf-16'],
        [Buffer.from(text, 'utf16le'), 'text/csv; charset=utf-16le'],
        [utf16be(text), 'text/csv; charset=utf-16be'],
        // A mark says what the bytes are whatever the client declared.
        [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'text/csv; charset=windows-1252'],
      ] as Array<[Buffer, string]>) {
        await cp.db('roster_members').where({ tenant_id: t.id }).whereIn('email', ['ines@acme.example', 'yuki@acme.example']).delete();
        const res = await upload(bytes, ct);
        assert.equal(res.status, 200, `${ct} (${bytes.subarray(0, 3).toString('hex')}): ${res.text}`);
        assert.equal(res.body.created, 2, ct);
        const ines = await member('ines@acme.example');
        assert.deepEqual([ines.first_name, ines.last_name], ['Inês', 'Ærøskøbing'], ct);
        assert.deepEqual([(await member('yuki@acme.example')).first_name, (await member('yuki@acme.example')).last_name], ['雪', '山田'], ct);
      }
    });

    it('keeps characters whole when the upload arrives with every multi-byte character split between chunks', async () => {
      const bytes = Buffer.from(rows('renee@acme.example,Renée,Größe,Ingénieure données,Data,'));
      const chunks: Uint8Array[] = [];
      let from = 0;
      for (let i = 0; i < bytes.length; i++) {
        // Cut after the first byte of each multi-byte sequence.
        if (bytes[i]! >= 0xc0) {
          chunks.push(bytes.subarray(from, i + 1));
          from = i + 1;
        }
      }
      chunks.push(bytes.subarray(from));
      const res = await upload(chunks, 'text/csv');
      assert.equal(res.status, 200, res.text);
      const r = await member('renee@acme.example');
      assert.deepEqual([r.first_name, r.last_name, r.title], ['Renée', 'Größe', 'Ingénieure données']);
    });

    it('reads UTF-16 arriving in odd-sized chunks, and names the line of a bad byte in a file with CR line ends', async () => {
      const text = rows('odd@acme.example,Ödön,Őry,Software Engineer,,', 'even@acme.example,Éva,Ürge,Account Executive,,');
      const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
      const res = await upload(chunks, 'text/csv');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual([(await member('odd@acme.example')).first_name, (await member('even@acme.example')).last_name], ['Ödön', 'Ürge']);

      // Excel for Mac's "CSV (Macintosh)" ends lines with CR alone.
      const before = await state();
      const mac = Buffer.concat([Buffer.from([HEADER, 'mac1@acme.example,A,B,Engineer,,', ''].join('\r')), cp1252('mac2@acme.example,José,B,Engineer,,\r')]);
      const bad = await upload(mac, 'text/csv');
      assert.equal(bad.status, 400, bad.text);
      assert.equal(bad.body.error.line, 3, bad.text);
      assert.deepEqual(await state(), before);
      const good = await upload(mac, 'text/csv; charset=windows-1252');
      assert.equal(good.status, 200, good.text);
      assert.equal((await member('mac2@acme.example')).first_name, 'José');
    });

    it('refuses bytes that are not UTF-8 when no charset is declared, naming the line and what to do, writing nothing', async () => {
      const before = await state();
      const body = Buffer.concat([
        Buffer.from(rows('ok1@acme.example,Ok,One,Engineer,,', 'ok2@acme.example,Ok,Two,Engineer,,')),
        cp1252('jose2@acme.example,José,Müller,Ingénieur,,\r\n'),
      ]);
      for (const ct of ['text/csv', 'text/csv; charset=utf-8']) {
        const res = await upload(body, ct);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.error.code, 'invalid_csv');
        assert.equal(res.body.error.field, 'body');
        assert.equal(res.body.error.line, 4, res.text);
        assert.match(res.body.error.message, /line 4: the file is not (valid )?UTF-8/);
        assert.match(res.body.error.message, /CSV UTF-8/);
        assert.match(res.body.error.message, /charset=windows-1252/);
        assert.deepEqual(res.body.error.errors.map((e: any) => [e.line, e.field]), [[4, 'body']]);
      }
      assert.deepEqual(await state(), before);
    });

    it('names the right line deep in a large file, past many read chunks', async () => {
      const before = await state();
      const lines = Array.from({ length: 6000 }, (_, i) => `bulk${i}@acme.example,Bülk,Ñame ${i},Software Engineer,Engineering,`);
      const good = Buffer.from(rows(...lines.slice(0, 4999)));
      const res = await upload(Buffer.concat([good, cp1252(lines[4999]! + '\r\n'), Buffer.from(lines.slice(5000).join('\r\n') + '\r\n')]), 'text/csv');
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.line, 5001, res.text);
      assert.deepEqual(await state(), before);

      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rows(...lines.slice(0, 3000)), 'utf16le'), Buffer.from([0x00, 0xd8, 0x41, 0x00]), Buffer.from('\r\n', 'utf16le')]);
      const lone = await upload(utf16, 'text/csv; charset=utf-16');
      assert.equal(lone.status, 400, lone.text);
      assert.equal(lone.body.error.line, 3002, 'a lone surrogate on the line after the last row');
      assert.match(lone.body.error.message, /not valid utf-16le/);
      assert.deepEqual(await state(), before);
    });

    it('refuses charset=utf-16 without a byte-order mark, and a charset it does not know, changing nothing', async () => {
      const before = await state();
      const noMark = await upload(Buffer.from(rows('x@acme.example,X,Y,Engineer,,'), 'utf16le'), 'text/csv; charset=utf-16');
      assert.equal(noMark.status, 400, noMark.text);
      assert.equal(noMark.body.error.code, 'invalid_csv');
      assert.equal(noMark.body.error.line, 1);
      assert.match(noMark.body.error.message, /byte-order mark.*utf-16le or charset=utf-16be/);

      for (const charset of ['klingon', 'x-user-defined', '']) {
        const res = await upload(Buffer.from(rows('x@acme.example,X,Y,Engineer,,')), `text/csv; charset=${charset}`);
        assert.equal(res.status, 415, `${charset}: ${res.text}`);
        assert.equal(res.body.error.code, 'unsupported_media_type');
        assert.equal(res.body.error.field, 'Content-Type');
        assert.match(res.body.error.message, /charset "[^"]*" is not one the roster import can read.*CSV UTF-8/);
      }
      assert.deepEqual(await state(), before);
    });
  });
}
