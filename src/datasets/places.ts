/**
 * Where the datasets module finds the builtin datasets and caches decoded images, and how many decoded
 * images a streamed image folder keeps. Set once per process at its edge (the engine's start, a
 * worker's start) from its settings (DTRAIN_DATASETS_DIR, DTRAIN_CACHE_DIR, DTRAIN_IMAGE_CACHE_MB;
 * docs/settings.md): this module reads no environment itself.
 */
export interface DataPlaces {
  /** The builtin datasets' folder; null: the package's resources/datasets. */
  datasetsDir: string | null;
  /** Where decoded image datasets are cached; null: $XDG_CACHE_HOME/dtrain/images, else ~/.cache/dtrain/images. */
  cacheDir: string | null;
  /** The bound, in MiB, of the decoded images a streamed image folder keeps (image-rows.ts); null or absent: 256. */
  imageCacheMb?: number | null;
}

let places: DataPlaces = { datasetsDir: null, cacheDir: null };

export function setDataPlaces(next: DataPlaces): void {
  places = { ...next };
}

export function dataPlaces(): DataPlaces {
  return places;
}
