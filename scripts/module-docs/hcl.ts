/**
 * A small reader for the HCL we write in modules/: blocks with quoted labels, `name = expr`
 * attributes whose expressions may span lines inside brackets, strings with interpolation,
 * heredocs and comments. It splits bodies and keeps expressions as source text; it does not
 * evaluate anything but string literals. Enough for documenting variables and outputs, and it
 * throws (with the line) on anything it does not understand rather than guessing.
 */

export interface Block {
  type: string;
  labels: string[];
  body: Body;
  line: number;
}

export interface Body {
  /** Attribute name to its expression's source text (trimmed). */
  attributes: Record<string, string>;
  blocks: Block[];
}

class Reader {
  pos = 0;
  constructor(readonly src: string) {}

  line(at = this.pos): number {
    return this.src.slice(0, at).split('\n').length;
  }

  fail(msg: string, at = this.pos): never {
    throw new Error(`HCL line ${this.line(at)}: ${msg}`);
  }

  peek(n = 0): string {
    return this.src[this.pos + n] ?? '';
  }

  /** Skips spaces, comments and (when `newlines`) line ends. */
  skip(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.pos++;
      else if (c === '#' || (c === '/' && this.peek(1) === '/')) while (this.pos < this.src.length && this.peek() !== '\n') this.pos++;
      else if (c === '/' && this.peek(1) === '*') {
        const end = this.src.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated comment');
        this.pos = end + 2;
      } else return;
    }
  }

  identifier(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.src.slice(this.pos));
    if (!m) this.fail(`expected a name, found ${JSON.stringify(this.peek())}`);
    this.pos += m[0].length;
    return m[0];
  }

  /** Moves past a quoted string (with nested interpolations), returning its source text. */
  quoted(): string {
    const start = this.pos;
    this.pos++; // opening quote
    while (this.pos < this.src.length) {
      const c = this.peek();
      if (c === '\\') this.pos += 2;
      else if (c === '"') {
        this.pos++;
        return this.src.slice(start, this.pos);
      } else if ((c === '$' || c === '%') && this.peek(1) === '{') {
        if (this.peek(-1) === c && this.peek(-2) !== c) {
          this.pos += 2; // $${ is a literal
          continue;
        }
        this.pos += 2;
        this.expressionUntil('}');
        this.pos++;
      } else if (c === '\n') this.fail('newline in a quoted string', start);
      else this.pos++;
    }
    return this.fail('unterminated string', start);
  }

  heredoc(): void {
    const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(this.src.slice(this.pos));
    if (!m) this.fail('malformed heredoc');
    const start = this.pos;
    this.pos += m[0].length;
    const end = new RegExp(`^[ \\t]*${m[2]}[ \\t]*$`, 'm');
    const rest = this.src.slice(this.pos);
    const found = end.exec(rest);
    if (!found) this.fail(`heredoc ${m[2]} is not closed`, start);
    this.pos += found.index + found[0].length;
  }

  /**
   * Moves over an expression up to (not past) `close` at depth zero, or to the end of the
   * line when `close` is '\n'. Brackets nest; strings, heredocs and comments are skipped whole.
   */
  expressionUntil(close: string): void {
    const stack: string[] = [];
    const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
    while (this.pos < this.src.length) {
      const c = this.peek();
      // A one-line block (`name { a = 1 }`) ends its last attribute with the block's brace.
      if (stack.length === 0 && (c === close || (close === '\n' && c === '}'))) return;
      if (c === '"') this.quoted();
      else if (c === '<' && this.peek(1) === '<' && /[-A-Za-z_]/.test(this.peek(2))) this.heredoc();
      else if (c === '#' || (c === '/' && (this.peek(1) === '/' || this.peek(1) === '*'))) this.skip(false);
      else if (pairs[c]) {
        stack.push(pairs[c]!);
        this.pos++;
      } else if (c === '}' || c === ']' || c === ')') {
        if (stack.pop() !== c) this.fail(`unbalanced ${c}`);
        this.pos++;
      } else this.pos++;
    }
    if (close !== '\n' || stack.length) this.fail(`expected ${JSON.stringify(close)} before the end of the file`);
  }

  body(closing: boolean): Body {
    const out: Body = { attributes: {}, blocks: [] };
    for (;;) {
      this.skip(true);
      if (this.pos >= this.src.length) {
        if (closing) this.fail('a block is not closed');
        return out;
      }
      if (this.peek() === '}') {
        if (!closing) this.fail('unexpected }');
        this.pos++;
        return out;
      }
      const at = this.pos;
      const name = this.identifier();
      this.skip(false);
      if (this.peek() === '=' && this.peek(1) !== '=') {
        this.pos++;
        this.skip(false);
        const start = this.pos;
        this.expressionUntil('\n');
        if (name in out.attributes) this.fail(`attribute ${name} given twice`, at);
        const text = this.src.slice(start, this.pos);
        const last = text.lastIndexOf('\n') + 1;
        out.attributes[name] = (text.slice(0, last) + stripComment(text.slice(last))).trim();
        continue;
      }
      const labels: string[] = [];
      while (this.peek() === '"') {
        labels.push(decodeString(this.quoted()));
        this.skip(false);
      }
      if (this.peek() !== '{') this.fail(`expected = or { after ${name}`);
      this.pos++;
      out.blocks.push({ type: name, labels, body: this.body(true), line: this.line(at) });
    }
  }
}

/** Drops a trailing comment from the last line of an expression's source text. */
function stripComment(expr: string): string {
  let inString = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '\\' && inString) i++;
    else if (c === '"') inString = !inString;
    else if (!inString && (c === '#' || (c === '/' && expr[i + 1] === '/'))) return expr.slice(0, i);
  }
  return expr;
}

export function parseHcl(src: string): Body {
  return new Reader(src).body(false);
}

/** The value of a string literal without interpolation ("..." or a heredoc). */
export function decodeString(expr: string): string {
  const s = expr.trim();
  const heredoc = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\r?\n([\s\S]*?)\n[ \t]*\2[ \t]*$/.exec(s);
  if (heredoc) {
    const lines = heredoc[3]!.split('\n');
    if (!heredoc[1]) return lines.join('\n') + '\n';
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length));
    return lines.map((l) => l.slice(indent)).join('\n') + '\n';
  }
  if (!s.startsWith('"') || !s.endsWith('"')) throw new Error(`not a string literal: ${s}`);
  const body = s.slice(1, -1);
  if (/(^|[^$])\$\{|(^|[^%])%\{/.test(body)) throw new Error(`string with interpolation: ${s}`);
  return body.replace(/\\(u[0-9a-fA-F]{4}|.)|\$\$\{|%%\{/g, (m, esc: string | undefined) => {
    if (m === '$${') return '${';
    if (m === '%%{') return '%{';
    if (esc!.startsWith('u')) return String.fromCharCode(parseInt(esc!.slice(1), 16));
    return { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' }[esc!] ?? esc!;
  });
}
