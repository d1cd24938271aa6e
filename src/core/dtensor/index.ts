// The DTensor layer: meshes, layouts, layout maps and shard math. Pure: no runtime imports.
export { Mesh } from './mesh';
export type { DeviceType, MeshDimSpec, MeshJSON, MeshOptions } from './mesh';
export { Layout, MATCH, UNSHARDED } from './layout';
export type { LayoutJSON } from './layout';
export { LayoutMap } from './layout-map';
export type { LayoutMapJSON } from './layout-map';
export {
  axisSlices,
  extractShard,
  insertShard,
  isPrimaryReplica,
  localShape,
  numElements,
  replicaGroup,
  replicaIndex,
  shardGroup,
  shardIndex,
  shardSlices,
} from './shard';
export type { DeviceId, GlobalShape, ReplicaIndex, ShardIndex, ShardShape, ShardableArray, AxisSlice } from './types';
