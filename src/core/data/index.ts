/** Datasets and the seeded batch order (pure: no process or file APIs; see src/datasets for files). */
export { DatasetError, featureSize, targetSize, validateDataset } from './types';
export type { Dataset, Normalization, NormalizationKind, Task } from './types';
export { Rng, hashSeed, splitmix32 } from '../random/stream';
export { CsvTokenizer, tokenizeCsv } from './csv-tokenizer';
export { createCsvParser, createCsvSummarizer, parseCsv } from './csv';
export type { CsvOptions, CsvParser, CsvSummarizer } from './csv';
export type { CsvSummary } from './csv-summary';
export { MAX_AUTO_CLASSES } from './csv-labels';
export type { ClassOrder } from './csv-labels';
export {
  NORMALIZATION_KINDS,
  applyNormalization,
  checkNormalization,
  computeNormalization,
  invertNormalization,
} from './normalize';
export {
  epochPermutation,
  gatherRows,
  globalBatchIndices,
  localBatchIndices,
  localSlice,
  stepPosition,
  stepsPerEpoch,
} from './batches';
export type { BatchOptions } from './batches';
export { splitIndices, subsetDataset, trainValidationSplit } from './split';
export { inMemoryRows, rowSource, subsetRows } from './rows';
export type { DatasetInfo, RowSource } from './rows';
export type { SplitOptions } from './split';
export { SYNTHETIC_DESCRIPTIONS, makeBlobs, makeLinearRegression, makeSpirals, makeSynthetic } from './synthetic';
export type { BlobsOptions, LinearRegressionOptions, SpiralsOptions, SyntheticName, SyntheticSpec } from './synthetic';
export { SHAPE_CLASSES, makeShapes } from './shapes';
export type { ShapesOptions } from './shapes';
export { datasetFingerprint } from './fingerprint';
export {
  decodeNpy,
  decodeNpyHeader,
  encodeNpy,
  isIntegerDtype,
  npyDataBytes,
  npyItemSize,
  npyToNumbers,
  readValues,
} from './npy';
export type { NpyArray, NpyData, NpyDtype, NpyHeader, NpyValues } from './npy';
export { NPY_HEADER_BYTES, checkNpyEntry, decodeNpz, encodeNpz } from './npz';
export type { DecodeNpzOptions, NpzEntry } from './npz';
export {
  ZIP_TAIL_BYTES,
  checkCrc,
  crc32,
  dataOffset,
  entryPrefix,
  findDirectory,
  inflateExactly,
  parseDirectory,
  readZip64Directory,
  readZipEntry,
  zipEntries,
} from './zip';
export type { ZipEntry } from './zip';
export { arraysSummary, datasetFromArrays, featuresToFloat32, labelsFromArrays } from './arrays';
export type { ArrayDatasetOptions } from './arrays';
export { datasetFromParts, labelsFromParts, packedOrder, packedRow } from './parts';
export type { ArrayPart, NamedArray, NamedHeader, TargetPart } from './parts';
export { describeDataset } from './describe';
export type { DatasetSummary } from './describe';
