/** PNG (pngjs) and JPEG (jpeg-js) files → RGBA bytes, each checked against the pixel limit before it is decoded. */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { MAX_IMAGE_PIXELS, checkImageSize, imageHeaderOf } from './image-header';

export interface DecodedImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, RGBA. */
  rgba: Uint8Array;
}

/** Decodes one file's bytes (the format its first bytes say, whatever its extension). Throws with the decoder's reason. */
export type ImageDecoder = (file: string, bytes: Buffer) => DecodedImage;

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export const decodeImageFile: ImageDecoder = (file, bytes) => {
  const header = imageHeaderOf(bytes);
  checkImageSize(header); // before a decoder allocates the pixels
  if (header.format === 'png') {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  const img = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
    maxMemoryUsageInMB: 1024,
  });
  return { width: img.width, height: img.height, rgba: img.data };
};
