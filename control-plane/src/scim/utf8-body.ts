/**
 * JSON text assembled straight into the bytes of an answer. A page of 100 users is ~70 KB:
 * joining its pieces into one string, flattening that for its byte length and encoding it for
 * the socket copied it three more times on the JS heap, the allocations that set the pace of
 * the young-generation collections a list pays for. Here each piece is written once, in place.
 */
export class Utf8Body {
  private readonly parts: string[] = [];
  private readonly sizes: number[] = [];
  private total = 0;

  /** Adds text; `dropLast` leaves out its last character, which must be ASCII (a closing brace). */
  add(text: string, dropLast = false): this {
    const size = Buffer.byteLength(text) - (dropLast ? 1 : 0);
    this.parts.push(text);
    this.sizes.push(size);
    this.total += size;
    return this;
  }

  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.total);
    let at = 0;
    for (let i = 0; i < this.parts.length; i++) at += out.write(this.parts[i]!, at, this.sizes[i]!, 'utf8');
    return out;
  }
}
