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

const isUtf16 = (encoding: Encoding) => encoding === 'utf-16le' || encoding === 'utf-16be';

/**
 * Offsets just past each line end in `buf` (LF, CRLF or a lone CR, as the CSV parser counts
 * lines), for telling which line a decode failed on. In UTF-16 a line end is a code unit at an
 * even offset; in UTF-8 and the ASCII-compatible charsets bytes 0x0A and 0x0D are never part of
 * another character.
 */
function* lineEnds(buf: Buffer, encoding: Encoding): Generator<number> {
  const step = isUtf16(encoding) ? 2 : 1;
  const unit = (i: number) => (step === 1 ? buf[i]! : encoding === 'utf-16le' ? buf[i]! | (buf[i + 1]! << 8) : (buf[i]! << 8) | buf[i + 1]!);
  for (let i = 0; i + step <= buf.length; i += step) {
    const u = unit(i);
    if (u === 0x0a || (u === 0x0d && (i + 2 * step > buf.length || unit(i + step) !== 0x0a))) yield i + step;
  }
}

/** Just past the last LF in `chunk` (which starts at a code-unit boundary), or 0. */
function lastLf(chunk: Buffer, encoding: Encoding): number {
  if (!isUtf16(encoding)) return chunk.lastIndexOf(0x0a) + 1;
  const [lo, hi] = encoding === 'utf-16le' ? [0x0a, 0x00] : [0x00, 0x0a];
  for (let i = chunk.length - (chunk.length % 2) - 2; i >= 0; i -= 2) if (chunk[i] === lo && chunk[i + 1] === hi) return i + 2;
  return 0;
}

const LINE_END = /\r\n|\r|\n/g;

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
 * A transform from the upload's bytes to UTF-8. It decodes up to the last LF seen, a block of
 * whole lines at a time, so no decoder state crosses a chunk and a failure is traced to its line
 * by decoding that block's lines one by one. Bytes after the last LF wait in `parts` (a file with
 * CR line ends waits whole, up to the byte cap), joined once when a block is cut.
 */
export function decodeCsv(declared: string | undefined): Transform {
  let encoding: Encoding | undefined;
  let decoder: TextDecoder | undefined;
  let head: Buffer = Buffer.alloc(0);
  let parts: Buffer[] = [];
  // UTF-16: a chunk's odd last byte, held so that every part holds whole code units.
  let odd: Buffer | undefined;
  let linesBefore = 0;

  const start = (bytes: Buffer): Buffer => {
    const bom = sniffBom(bytes);
    if (bom) encoding = bom.encoding;
    else if (declared === 'utf-16') {
      throw new CsvDecodeError(1, 'charset=utf-16 needs a byte-order mark to tell the byte order; save the file with one, or declare charset=utf-16le or charset=utf-16be');
    } else encoding = declared === undefined ? 'utf-8' : new TextDecoder(declared).encoding;
    // The mark is dropped here, so the decoder must not look for one again.
    decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
    return bytes.subarray(bom?.length ?? 0);
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
    linesBefore += text.match(LINE_END)?.length ?? 0;
    if (text) t.push(text);
  };

  const take = (t: Transform, chunk: Buffer) => {
    if (isUtf16(encoding!)) {
      if (odd) chunk = Buffer.concat([odd, chunk]);
      odd = chunk.length % 2 ? chunk.subarray(chunk.length - 1) : undefined;
      if (odd) chunk = chunk.subarray(0, chunk.length - 1);
    }
    const cut = lastLf(chunk, encoding!);
    if (cut === 0) {
      parts.push(chunk);
      return;
    }
    emit(t, parts.length ? Buffer.concat([...parts, chunk.subarray(0, cut)]) : chunk.subarray(0, cut));
    parts = cut < chunk.length ? [chunk.subarray(cut)] : [];
  };

  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        if (!decoder) {
          head = head.length ? Buffer.concat([head, chunk]) : chunk;
          // Three bytes tell every mark apart; a shorter upload is handled at the end.
          if (head.length < 3) return done();
          chunk = start(head);
        }
        take(this, chunk);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        if (!decoder) take(this, start(head));
        const rest = Buffer.concat([...parts, ...(odd ? [odd] : [])]);
        if (rest.length) emit(this, rest);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}
