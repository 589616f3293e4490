import type { StateDescriptor } from "../api.js";
import { checkDescriptor } from "../descriptors.js";
import { StateCodec } from "./state-codec.js";
import { ttlSettings, type TtlSettings } from "./ttl.js";

/** A state known to a backend: its descriptor, resolved TTL, and the codec of its entries. */
export class RegisteredState {
  readonly name: string;
  readonly ttl: TtlSettings | undefined;
  readonly codec: StateCodec;

  constructor(readonly descriptor: StateDescriptor, clock: () => number) {
    checkDescriptor(descriptor);
    this.name = descriptor.name;
    this.ttl = ttlSettings(descriptor.ttl, clock);
    this.codec = new StateCodec(descriptor, this.ttl !== undefined);
  }
}
