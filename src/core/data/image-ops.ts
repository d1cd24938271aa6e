/**
 * Pixel arithmetic for image datasets (pure): RGBA → 1 or 3 channels, and bilinear resizing with
 * half-pixel centres and no antialiasing — the rule of TensorFlow 2's tf.image.resize(method='bilinear'),
 * which Keras's image_dataset_from_directory uses.
 */

/** RGBA bytes → float channels. 3: alpha dropped (as tf.io.decode_image does); 1: ITU-R BT.601 luma. */
export function toChannels(rgba: Uint8Array, width: number, height: number, channels: 1 | 3): Float32Array {
  const n = width * height;
  const out = new Float32Array(n * channels);
  for (let p = 0; p < n; p++) {
    const r = rgba[4 * p]!;
    const g = rgba[4 * p + 1]!;
    const b = rgba[4 * p + 2]!;
    if (channels === 1) out[p] = 0.299 * r + 0.587 * g + 0.114 * b;
    else ((out[3 * p] = r), (out[3 * p + 1] = g), (out[3 * p + 2] = b));
  }
  return out;
}

/** Bilinear resize of an HWC image to outH × outW (half-pixel centres, edges clamped). */
export function resizeBilinear(
  src: Float32Array,
  inH: number,
  inW: number,
  channels: number,
  outH: number,
  outW: number,
): Float32Array {
  if (inH === outH && inW === outW) return src.slice();
  const out = new Float32Array(outH * outW * channels);
  const ys = axisTaps(inH, outH);
  const xs = axisTaps(inW, outW);
  for (let y = 0; y < outH; y++) {
    const { lo: y0, hi: y1, frac: fy } = ys[y]!;
    for (let x = 0; x < outW; x++) {
      const { lo: x0, hi: x1, frac: fx } = xs[x]!;
      for (let c = 0; c < channels; c++) {
        const at = (yy: number, xx: number) => src[(yy * inW + xx) * channels + c]!;
        const top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx;
        const bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx;
        out[(y * outW + x) * channels + c] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}

/** For each output index: the two source indices and the weight of the second. */
function axisTaps(inSize: number, outSize: number): { lo: number; hi: number; frac: number }[] {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, i) => {
    const s = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), inSize - 1);
    const lo = Math.floor(s);
    return { lo, hi: Math.min(lo + 1, inSize - 1), frac: s - lo };
  });
}
