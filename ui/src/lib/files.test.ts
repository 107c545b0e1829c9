import { describe, expect, it } from 'vitest';
import { fromBase64, readBytes, toBase64 } from './files';

describe('files', () => {
  it('encodes base64 in slices exactly as one piece would be', () => {
    for (const n of [0, 1, 2, 3, 24_575, 24_576, 24_577, 2 * 24_576 + 5]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 131 + 7) % 256);
      const b64 = toBase64(bytes);
      expect(b64).toBe(btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join('')));
      expect(fromBase64(b64)).toEqual(bytes);
    }
    expect(fromBase64('***')).toBeNull();
  });

  it('reads the bytes of a picked file', async () => {
    const file = new File([new Uint8Array([0, 255, 37, 80])], 'a.bin');
    expect(await readBytes(file)).toEqual(new Uint8Array([0, 255, 37, 80]));
  });
});
