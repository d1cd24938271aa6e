/**
 * Archives uploaded from the dashboard's New-run form: checked as Keras 3 archives, then kept under
 * the engine's data folder by content hash (the same file uploaded twice is stored once), so a run
 * config can name them by path like any archive on disk.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { invalidInput } from '../../shared/errors';
import { prepareOutDir, writeFileAtomic } from '../files/out-path';
import { readKerasArchive } from './archive';

export async function storeUploadedArchive(dir: string, fileName: string, base64: string): Promise<string> {
  if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
    throw invalidInput(`${fileName}: the upload is not base64`);
  const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
  await readKerasArchive(bytes, String(fileName)); // refuse what a run could not use, before storing it
  const safe =
    String(fileName)
      .replace(/[^\w.-]+/g, '_')
      .replace(/\.keras$/i, '') || 'model';
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const path = join(dir, `${safe}-${hash}.keras`);
  if (!existsSync(path)) {
    prepareOutDir(dir, true);
    writeFileAtomic(path, bytes);
  }
  return path;
}
