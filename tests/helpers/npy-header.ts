// A .npy header for a file the test writes piece by piece (too large to build with encodeNpy).

/** A version 1.0 .npy header holding `dict`, padded with spaces to a multiple of 64 bytes as numpy pads it. */
export function npyHeader(dict: string): Buffer {
  const text = dict + ' '.repeat(63 - ((10 + dict.length) % 64)) + '\n';
  const out = Buffer.alloc(10 + text.length);
  out.set([0x93, ...Buffer.from('NUMPY'), 1, 0]);
  out.writeUInt16LE(text.length, 8);
  out.write(text, 10, 'latin1');
  return out;
}
