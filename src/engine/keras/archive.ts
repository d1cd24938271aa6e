/**
 * A Keras 3 `.keras` archive: a zip of `config.json` (the model, with `compile_config`),
 * `metadata.json` and `model.weights.h5`. Read and written whole, in memory (fflate for the zip,
 * h5wasm for the HDF5); every problem with the input is one ApiError naming the file.
 */
import { zipSync, strFromU8, strToU8 } from 'fflate';
import { readZipEntry, zipEntries, type ZipEntry } from '../../core/data/index';
import { invalidInput } from '../../shared/errors';
import { readH5, writeH5, type H5Group } from './h5-tree';
import { pythonJson } from './python-json';

export const CONFIG_FILE = 'config.json';
export const METADATA_FILE = 'metadata.json';
export const WEIGHTS_FILE = 'model.weights.h5';

export interface KerasArchive {
  /** config.json: `{module, class_name, config, compile_config?, build_config?}`. */
  config: Record<string, unknown>;
  /** metadata.json: `{keras_version, date_saved}`. */
  metadata: Record<string, unknown>;
  /** model.weights.h5 as a tree. */
  weights: H5Group;
}

/**
 * How many times its compressed size a deflated member may inflate to. Keras stores the weights
 * uncompressed and its JSON compresses ~10:1; a member of zeros deflates ~1000:1 (a 1.5 MB archive
 * padded so reached 6.4 GB), so its declared size is refused before anything is inflated.
 */
export const MAX_INFLATE_RATIO = 100;

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The members a .keras archive needs, each checked before it is inflated (it lies in the file, it is
 * not larger than MAX_INFLATE_RATIO times what it occupies), inflated into exactly its declared size,
 * its CRC-32 checked. Other members are not read.
 */
function unzip(bytes: Uint8Array, what: string): Record<string, Uint8Array> {
  let entries: ZipEntry[];
  try {
    entries = zipEntries(bytes);
  } catch (e) {
    throw invalidInput(`${what} is not a .keras archive: not a readable zip (${errorText(e)})`);
  }
  const files: Record<string, Uint8Array> = {};
  for (const entry of entries) {
    if (![CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE].includes(entry.name)) continue;
    const limit = entry.method === 0 ? entry.compressedSize : Math.max(2 ** 20, MAX_INFLATE_RATIO * entry.compressedSize);
    try {
      files[entry.name] = readZipEntry(bytes, entry, limit);
    } catch (e) {
      throw invalidInput(`${what} is not a usable .keras archive: ${errorText(e)}`);
    }
  }
  return files;
}

function parseJson(bytes: Uint8Array, name: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strFromU8(bytes));
  } catch (e) {
    throw invalidInput(`${what}: ${name} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidInput(`${what}: ${name} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Reads a `.keras` archive; `what` names it in errors (usually its path). */
export async function readKerasArchive(bytes: Uint8Array, what = 'the archive'): Promise<KerasArchive> {
  const files = unzip(bytes, what);
  const missing = [CONFIG_FILE, WEIGHTS_FILE].filter((f) => !(f in files));
  if (missing.length) throw invalidInput(`${what} is not a .keras archive: it has no ${missing.join(' and no ')}`);
  const config = parseJson(files[CONFIG_FILE]!, CONFIG_FILE, what);
  if (typeof config.class_name !== 'string' || typeof config.config !== 'object')
    throw invalidInput(`${what}: ${CONFIG_FILE} has no model (class_name and config)`);
  const metadata = METADATA_FILE in files ? parseJson(files[METADATA_FILE]!, METADATA_FILE, what) : {};
  const weights = await readH5(files[WEIGHTS_FILE]!, `${WEIGHTS_FILE} in ${what}`);
  return { config, metadata, weights };
}

/** The bytes of a `.keras` archive Keras 3's `load_model` opens. */
export async function writeKerasArchive(archive: KerasArchive): Promise<Uint8Array> {
  const h5 = await writeH5(archive.weights);
  // Keras writes the HDF5 member stored (it is already dense); the JSON members compress well.
  return zipSync({
    [METADATA_FILE]: strToU8(pythonJson(archive.metadata)),
    [CONFIG_FILE]: strToU8(pythonJson(archive.config)),
    [WEIGHTS_FILE]: [h5, { level: 0 }],
  });
}
