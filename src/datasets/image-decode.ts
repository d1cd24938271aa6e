/** PNG (pngjs) and JPEG (jpeg-js) files → RGBA bytes. */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

export interface DecodedImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, RGBA. */
  rgba: Uint8Array;
}

/** Decodes one file's bytes; `file` picks the format by extension. Throws with the decoder's reason. */
export type ImageDecoder = (file: string, bytes: Buffer) => DecodedImage;

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export const decodeImageFile: ImageDecoder = (file, bytes) => {
  if (/\.png$/i.test(file)) {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
  return { width: img.width, height: img.height, rgba: img.data };
};
