// Tool-call arguments are JSON text the client parses again: `\u0073k-…` in them reaches the agent's tool as
// `sk-…`. This decodes JSON string escapes in text that arrives in pieces (an escape may be cut between
// pieces), and says which decoded characters came from an escape, so a secret spelled with escapes is seen.

const SIMPLE: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export class JsonUnescaper {
  private pending = '';

  /** The decoded text of the next piece; `escaped` lists the offsets (in it) of characters an escape produced. */
  push(piece: string): { text: string; escaped: number[] } {
    const text = this.pending + piece;
    this.pending = '';
    let out = '';
    const escaped: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c !== '\\') {
        out += c;
        continue;
      }
      const next = text[i + 1];
      if (next === undefined) {
        this.pending = text.slice(i);
        break;
      }
      if (next === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (hex.length < 4 && /^[0-9a-fA-F]*$/.test(hex)) {
          this.pending = text.slice(i);
          break;
        }
        if (/^[0-9a-fA-F]{4}$/.test(hex)) {
          escaped.push(out.length);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 5;
          continue;
        }
      } else if (SIMPLE[next] !== undefined) {
        escaped.push(out.length);
        out += SIMPLE[next];
        i++;
        continue;
      }
      out += c;
    }
    return { text: out, escaped };
  }
}
