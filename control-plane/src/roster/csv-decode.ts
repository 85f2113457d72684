import { Transform } from 'node:stream';

/**
 * Turns the bytes of a roster upload into UTF-8 text for the CSV parser, in the charset the
 * upload declares. Excel's default "CSV (Comma delimited)" export on Windows is Windows-1252, so
 * guessing UTF-8 and letting the decoder substitute U+FFFD would store every accented name
 * mangled without a word; every decode here is therefore fatal, and a failure names the line.
 *
 * A byte-order mark wins over the declared charset (as the WHATWG Encoding Standard decodes):
 * a file that starts with one was written in that encoding whatever the client claims, and
 * "charset=utf-16" says nothing about byte order without one.
 */

/** An upload the declared (or default) charset cannot read; `line` (1-based) is where, the message says what to do. */
export class CsvDecodeError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** The `charset` parameter of a Content-Type header, lowercased; undefined when absent. */
export function charsetOf(contentType: string): string | undefined {
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    return param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .trim()
      .toLowerCase();
  }
  return undefined;
}

/** Whether this charset label is one the import can decode (any label the Encoding Standard knows). */
export function isKnownCharset(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

type Encoding = string;

/**
 * Windows-1252's characters at 0x80-0x9F (the Encoding Standard's index; the five bytes the code
 * page leaves undefined stay C1 controls). Node 20's TextDecoder decodes "windows-1252" (and so
 * iso-8859-1 and latin1, which the standard maps to it) as ISO-8859-1 on its fast path, turning
 * Excel's curly quotes, euro sign and Š/Œ into invisible C1 controls; this puts them right, and is
 * a no-op where the decoder is already correct.
 */
const CP1252_C1 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];
const cp1252Fix = (text: string) => text.replace(/[\x80-\x9f]/g, (c) => String.fromCodePoint(CP1252_C1[c.charCodeAt(0) - 0x80]!));

const BOMS: Array<[number[], Encoding]> = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xff, 0xfe], 'utf-16le'],
  [[0xfe, 0xff], 'utf-16be'],
];

function sniffBom(head: Buffer): { encoding: Encoding; length: number } | undefined {
  for (const [bytes, encoding] of BOMS) {
    if (head.length >= bytes.length && bytes.every((b, i) => head[i] === b)) return { encoding, length: bytes.length };
  }
  return undefined;
}

/**
 * Offsets just past each line break in `buf`. In UTF-16 a break is the two-byte unit of U+000A at
 * an even offset; in UTF-8 and in the ASCII-compatible charsets byte 0x0A is never part of
 * another character, so it always ends a line.
 */
function* lineEnds(buf: Buffer, encoding: Encoding): Generator<number> {
  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    const [a, b] = encoding === 'utf-16le' ? [0x0a, 0x00] : [0x00, 0x0a];
    for (let i = 0; i + 1 < buf.length; i += 2) if (buf[i] === a && buf[i + 1] === b) yield i + 2;
    return;
  }
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) yield i + 1;
}

function lastLineEnd(buf: Buffer, encoding: Encoding): number {
  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    let last = 0;
    for (const end of lineEnds(buf, encoding)) last = end;
    return last;
  }
  return buf.lastIndexOf(0x0a) + 1;
}

function explain(encoding: Encoding, declared: string | undefined): string {
  if (declared === undefined) {
    return `the file is not UTF-8 (Excel's "CSV (Comma delimited)" export is Windows-1252); save it as "CSV UTF-8", or send it with Content-Type: text/csv; charset=windows-1252`;
  }
  if (encoding === 'utf-8') {
    return `the file is not valid UTF-8 although charset=${declared} was declared; save it as "CSV UTF-8", or declare the charset it is in (for example charset=windows-1252)`;
  }
  return `the file is not valid ${encoding} (charset=${declared}); declare the charset the file is in, or save it as "CSV UTF-8"`;
}

/**
 * A transform from the upload's bytes to UTF-8. It decodes whole lines at a time (a line is
 * never split between two decodes, so no decoder state crosses a chunk), which lets a failure
 * be traced to its line by decoding that block's lines one by one.
 */
export function decodeCsv(declared: string | undefined): Transform {
  let encoding: Encoding | undefined;
  let decoder: TextDecoder | undefined;
  let pending: Buffer = Buffer.alloc(0);
  let linesBefore = 0;

  const start = (head: Buffer): number => {
    const bom = sniffBom(head);
    if (bom) encoding = bom.encoding;
    else if (declared === 'utf-16') {
      throw new CsvDecodeError(1, 'charset=utf-16 needs a byte-order mark to tell the byte order; save the file with one, or declare charset=utf-16le or charset=utf-16be');
    } else encoding = declared === undefined ? 'utf-8' : new TextDecoder(declared).encoding;
    // The mark is dropped here, so the decoder must not look for one again.
    decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
    return bom?.length ?? 0;
  };

  const decode = (block: Buffer): string => {
    try {
      const text = decoder!.decode(block);
      return encoding === 'windows-1252' ? cp1252Fix(text) : text;
    } catch {
      let from = 0;
      let line = linesBefore + 1;
      for (const end of [...lineEnds(block, encoding!), block.length]) {
        try {
          new TextDecoder(encoding!, { fatal: true, ignoreBOM: true }).decode(block.subarray(from, end));
        } catch {
          break;
        }
        from = end;
        line++;
      }
      throw new CsvDecodeError(line, explain(encoding!, declared));
    }
  };

  const emit = (t: Transform, block: Buffer) => {
    const text = decode(block);
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) linesBefore++;
    if (text) t.push(text);
  };

  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        if (!decoder) {
          // Three bytes tell every mark apart; a shorter upload is handled at the end.
          if (pending.length < 3) return done();
          pending = pending.subarray(start(pending));
        }
        const cut = lastLineEnd(pending, encoding!);
        if (cut > 0) {
          emit(this, pending.subarray(0, cut));
          pending = pending.subarray(cut);
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        if (!decoder) pending = pending.subarray(start(pending));
        if (pending.length) emit(this, pending);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}
