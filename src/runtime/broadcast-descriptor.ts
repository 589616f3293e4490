import type { MapStateDescriptor } from "../state/api.js";

/** What broadcast state needs of a descriptor: a `MapStateDescriptor` (its name identifies the state). */
export type MapStateDescriptorLike<K, V> = MapStateDescriptor<K, V>;
