import { AssignerProtocol } from "kafkajs";
import { VigilError } from "../../errors.js";
import type { Logger } from "../../runtime/logger.js";
import { assignPartitions } from "./group-assignor.js";
import { describe, errorType, isTransient, type Broker, type Cluster } from "./kafkajs-internals.js";
import { backoffMs, commitOffsets, fetchCommitted, listOffsets, resolveTopics, tpKey, type OffsetSpec, type OffsetToCommit, type TopicPartition } from "./offsets.js";

/** What a group member asks of the reader it serves. */
export interface GroupReaderHooks {
  /** Read these partitions, each from its offset. */
  assigned(starts: ReadonlyArray<{ tp: TopicPartition; offset: number }>): void;
  /** Stop reading these partitions; release each (`GroupMember.release`) once a completed checkpoint covers its last position. */
  revoked(keys: readonly string[]): void;
  /** The member lost its place in the group, and its partitions with it: fail the job (it restarts from its last checkpoint). */
  fenced(error: VigilError): void;
  /** The reader's position of a partition (its own, or restored from a checkpoint), if it has one. */
  knownPosition(key: string): number | undefined;
}

export interface GroupMemberOptions {
  readonly groupId: string;
  readonly topics: readonly string[] | RegExp;
  readonly startFrom: OffsetSpec | "committed";
  readonly offsetReset: "earliest" | "latest";
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly lingerMs: number;
  readonly discoveryIntervalMs: number;
  readonly where: string;
}

/** The group protocol's name: only Vigil members can share the group. */
const PROTOCOL = "vigil-sticky";
/** Metadata of a commit that hands a partition over, followed by the generation it was made in. */
const RELEASE = "vigil-release:";
/**
 * The leader sends its SyncGroup a little after the others: librdkafka's mock coordinator answers
 * a member that syncs after the leader with INVALID_REQUEST (a real broker parks it). Harmless there.
 */
const LEADER_SYNC_DELAY_MS = 500;
const WAIT_POLL_MS = 250;
const KICKED = new Set(["UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "FENCED_INSTANCE_ID"]);

/** Thrown inside the member's loop to go through JoinGroup and SyncGroup again. */
class Rejoin extends Error {}

/**
 * One member of a consumer group for one source subtask, speaking the group protocol itself
 * (kafkajs's consumer rejoins on its own, which this protocol cannot allow). It outlives the
 * subtask's reader: a job that restarts in the same process finds its member still in the group,
 * so a restart causes no rebalance.
 *
 * Exactly-once across rebalances, given exactly-once sinks: a partition moves from member A to
 * member B only through a hand-over. The assignment is sticky and marks each moved partition as
 * held by A; A stops reading it at once, waits until a checkpoint that covers its last position
 * completes (so A's sinks commit exactly the records before it), then commits that position with
 * the metadata `vigil-release:<generation>`; B starts the partition only when it sees a release of
 * the current generation or later. A restarted reader releases what it held at the positions of
 * the checkpoint it restored (whatever it read after that was aborted). A member the group removed
 * (its session expired) fails its job with `KAFKA_PARTITIONS_REVOKED`.
 */
export class GroupMember {
  private memberId = "";
  private generation = -1;
  private leader = false;
  private phase: "joining" | "stable" | "closed" = "joining";
  private coordinator: Broker | undefined;
  /** Partitions this member reads (or must restart), by key. */
  private readonly started = new Map<string, TopicPartition>();
  /** Started partitions the current reader has not been given yet (it attached after they started). */
  private readonly needsStart = new Set<string>();
  /** Assigned partitions to start as soon as their offsets are known. */
  private readonly toStart = new Map<string, TopicPartition>();
  /** Assigned partitions another member still holds: the generation their release must be made in. */
  private readonly waits = new Map<string, { tp: TopicPartition; generation: number }>();
  /** Partitions taken away and not yet handed over. */
  private readonly draining = new Map<string, TopicPartition>();
  /** Draining partitions to release at the positions of a newly attached reader's restored checkpoint. */
  private readonly releaseAtAttach = new Set<string>();
  private readonly releases = new Map<string, number>();
  private readonly commits = new Map<string, number>();
  /** The offset each partition was last started at: a floor for a restart (records before it were never this member's). */
  private readonly startOffsets = new Map<string, number>();
  private hooks: GroupReaderHooks | undefined;
  private lingerUntil: number | undefined;
  private partitionsSeen = "";
  private waitLoggedAt = 0;
  private wakeLoop: (() => void) | undefined;
  /** A wake-up came while the loop was busy: its next idle returns at once. */
  private woken = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: GroupMemberOptions,
    private readonly log: Logger,
    private readonly onClosed: () => void,
  ) {
    this.done = this.run();
  }

  /** A reader takes over this member's partitions (a fresh start, or a job restarted in this process). */
  attach(hooks: GroupReaderHooks): void {
    this.hooks = hooks;
    this.lingerUntil = undefined;
    for (const k of this.started.keys()) this.needsStart.add(k);
    for (const k of this.draining.keys()) if (!this.releases.has(k)) this.releaseAtAttach.add(k);
    this.wake();
  }

  /** The reader closed. The member stays in the group for `lingerMs`, for the reader of a restarted job. */
  detach(hooks: GroupReaderHooks): void {
    if (this.hooks !== hooks) return;
    this.hooks = undefined;
    this.lingerUntil = Date.now() + this.options.lingerMs;
    this.wake();
  }

  /** Positions of a completed checkpoint: committed to the group for the partitions this member holds. */
  commit(positions: ReadonlyMap<string, number>): void {
    for (const [k, offset] of positions) if (this.held(k) && offset > (this.commits.get(k) ?? -1)) this.commits.set(k, offset);
    this.wake();
  }

  /** A draining partition's last position is covered by a completed checkpoint: hand it over at `offset`. */
  release(key: string, offset: number): void {
    if (!this.draining.has(key)) return;
    this.releases.set(key, offset);
    this.wake();
  }

  /** Leaves the group now (at most a few seconds); the member cannot be used after. */
  async close(): Promise<void> {
    if (this.phase !== "closed") {
      this.phase = "closed";
      this.onClosed();
    }
    this.wake();
    await Promise.race([this.done, new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  private held(k: string): boolean {
    return this.started.has(k) || this.draining.has(k);
  }

  private closed(): boolean {
    return this.phase === "closed";
  }

  private wake(): void {
    const w = this.wakeLoop;
    this.wakeLoop = undefined;
    if (w === undefined) this.woken = true;
    else w();
  }

  private idle(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeLoop = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.closed()) {
      try {
        await this.cluster.connect();
        await this.joinAndSync();
        attempt = 0;
        await this.stable();
      } catch (e) {
        if (this.closed()) break;
        this.phase = "joining";
        const type = errorType(e);
        if (e instanceof Rejoin || type === "REBALANCE_IN_PROGRESS") {
          await this.idle(50);
          continue;
        }
        if (type !== undefined && KICKED.has(type)) {
          this.kicked(type);
          continue;
        }
        this.coordinator = undefined;
        if (!isTransient(e)) {
          this.log.error({ groupId: this.options.groupId, err: describe(e) }, "the consumer group failed");
          this.hooks?.fenced(new VigilError(`${this.options.where}: consumer group "${this.options.groupId}": ${describe(e)}`, { code: "KAFKA_GROUP_FAILED", cause: e }));
        } else if (attempt === 0) this.log.warn({ groupId: this.options.groupId, err: describe(e) }, "the consumer group is unreachable; retrying");
        await this.idle(backoffMs(attempt++, 5_000));
      }
    }
    if (this.memberId !== "") {
      const coordinator = this.coordinator;
      await coordinator?.leaveGroup({ groupId: this.options.groupId, memberId: this.memberId }).catch(() => {});
      this.log.info({ groupId: this.options.groupId, memberId: this.memberId }, "left the consumer group");
    }
    await Promise.race([this.cluster.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 2_000).unref())]);
  }

  private async coord(): Promise<Broker> {
    this.coordinator ??= await this.cluster.findGroupCoordinator({ groupId: this.options.groupId });
    return this.coordinator;
  }

  private async joinAndSync(): Promise<void> {
    const { groupId, sessionTimeoutMs, rebalanceTimeoutMs } = this.options;
    this.phase = "joining";
    const topics = await resolveTopics(this.cluster, this.options.topics, this.options.where);
    const coordinator = await this.coord();
    const held = [...this.started.values(), ...this.draining.values()].map((tp) => [tp.topic, tp.partition]);
    const metadata = AssignerProtocol.MemberMetadata.encode({ version: 1, topics: [...topics.keys()], userData: Buffer.from(JSON.stringify({ held })) });
    const join = await coordinator.joinGroup({ groupId, sessionTimeout: sessionTimeoutMs, rebalanceTimeout: rebalanceTimeoutMs, memberId: this.memberId, groupProtocols: [{ name: PROTOCOL, metadata }] });
    if (this.closed()) return;
    this.memberId = join.memberId;
    this.leader = join.leaderId === join.memberId;
    let groupAssignment: Array<{ memberId: string; memberAssignment: Buffer }> = [];
    if (this.leader) {
      groupAssignment = await this.assign(join.members);
      await new Promise((r) => setTimeout(r, LEADER_SYNC_DELAY_MS));
    }
    let memberAssignment: Buffer;
    try {
      ({ memberAssignment } = await coordinator.syncGroup({ groupId, generationId: join.generationId, memberId: this.memberId, groupAssignment }));
    } catch (e) {
      const type = errorType(e);
      if (type === "INVALID_REQUEST" || type === "ILLEGAL_GENERATION") throw new Rejoin();
      throw e;
    }
    const decoded = AssignerProtocol.MemberAssignment.decode(memberAssignment);
    const assigned = Object.entries(decoded?.assignment ?? {}).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    let waitFor: string[] = [];
    try {
      waitFor = (JSON.parse(decoded?.userData.toString() || "{}") as { waitFor?: string[] }).waitFor ?? [];
    } catch {
      // not a Vigil assignment: nothing to wait for
    }
    this.generation = join.generationId;
    this.apply(assigned, new Set(waitFor));
    this.phase = "stable";
  }

  /** The leader's part: every member's held partitions in, a sticky balanced assignment out. */
  private async assign(members: ReadonlyArray<{ memberId: string; memberMetadata: Buffer }>): Promise<Array<{ memberId: string; memberAssignment: Buffer }>> {
    const topics = new Set<string>();
    const claims = members.map((m) => {
      const md = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
      for (const t of md?.topics ?? []) topics.add(t);
      let held: Array<[string, number]> = [];
      try {
        held = (JSON.parse(md?.userData.toString() || "{}") as { held?: Array<[string, number]> }).held ?? [];
      } catch {
        // no claims
      }
      return { memberId: m.memberId, held: held.map(([t, p]) => tpKey(t, p)) };
    });
    const counts = await resolveTopics(this.cluster, [...topics], this.options.where);
    const partitions = [...counts].flatMap(([topic, n]) => Array.from({ length: n }, (_, partition) => ({ topic, partition })));
    this.partitionsSeen = partitions.map((p) => tpKey(p.topic, p.partition)).join(",");
    const byKey = new Map(partitions.map((p) => [tpKey(p.topic, p.partition), p]));
    return [...assignPartitions(claims, partitions)].map(([memberId, a]) => {
      const assignment: Record<string, number[]> = {};
      for (const k of a.assigned) {
        const tp = byKey.get(k)!;
        (assignment[tp.topic] ??= []).push(tp.partition);
      }
      return { memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.from(JSON.stringify({ waitFor: a.waitFor })) }) };
    });
  }

  private apply(assigned: readonly TopicPartition[], waitFor: ReadonlySet<string>): void {
    const next = new Map(assigned.map((tp) => [tpKey(tp.topic, tp.partition), tp]));
    const revoked: string[] = [];
    for (const [k, tp] of this.started) {
      if (next.has(k)) continue;
      this.started.delete(k);
      this.draining.set(k, tp);
      // a reader that never got the partition has read nothing of it: release it at its restored position
      if (this.hooks !== undefined && !this.needsStart.has(k)) revoked.push(k);
      else this.releaseAtAttach.add(k);
      this.needsStart.delete(k);
    }
    this.toStart.clear();
    this.waits.clear();
    for (const [k, tp] of next) {
      if (this.started.has(k)) continue;
      if (this.draining.delete(k)) {
        // back before it was handed over: resume where this member stopped
        this.releases.delete(k);
        this.releaseAtAttach.delete(k);
        this.toStart.set(k, tp);
      } else if (waitFor.has(k)) this.waits.set(k, { tp, generation: this.generation });
      else this.toStart.set(k, tp);
    }
    for (const k of [...this.commits.keys()]) if (!this.held(k)) this.commits.delete(k);
    this.waitLoggedAt = Date.now();
    this.log.info(
      { groupId: this.options.groupId, generation: this.generation, leader: this.leader, assigned: [...next.keys()], waitingForHandOver: [...this.waits.keys()], revoked: [...this.draining.keys()] },
      "group assignment",
    );
    if (revoked.length > 0) this.hooks!.revoked(revoked);
  }

  /** The member is no longer in the group (its session expired): whatever it held may be read by others now. */
  private kicked(type: string): void {
    const lost = [...this.started.keys(), ...this.draining.keys()];
    for (const m of [this.started, this.toStart, this.waits, this.draining, this.releases, this.commits]) m.clear();
    this.needsStart.clear();
    this.releaseAtAttach.clear();
    if (type !== "ILLEGAL_GENERATION") this.memberId = "";
    this.log.warn({ groupId: this.options.groupId, reason: type, lost }, "removed from the consumer group; joining again");
    if (lost.length > 0) {
      this.hooks?.fenced(
        new VigilError(`${this.options.where}: removed from consumer group "${this.options.groupId}" (${type}); partitions ${lost.join(", ")} may be read by other members: restarting from the last checkpoint`, {
          code: "KAFKA_PARTITIONS_REVOKED",
          retriable: true,
        }),
      );
    }
  }

  /** Heartbeats, starts, hand-overs and commits, until the group rebalances. */
  private async stable(): Promise<void> {
    const { heartbeatIntervalMs, discoveryIntervalMs } = this.options;
    let nextHeartbeat = Date.now() + heartbeatIntervalMs;
    let nextWaitPoll = 0;
    let nextDiscovery = Date.now() + discoveryIntervalMs;
    let failures = 0;
    while (this.phase === "stable") {
      const now = Date.now();
      if (this.hooks === undefined && this.lingerUntil !== undefined && now >= this.lingerUntil) {
        this.log.info({ groupId: this.options.groupId }, "no reader came back; leaving the consumer group");
        this.phase = "closed";
        this.onClosed();
        return;
      }
      try {
        if (now >= nextHeartbeat) {
          await (await this.coord()).heartbeat({ groupId: this.options.groupId, groupGenerationId: this.generation, memberId: this.memberId });
          nextHeartbeat = Date.now() + heartbeatIntervalMs;
        }
        if (this.hooks !== undefined && (this.toStart.size > 0 || this.needsStart.size > 0 || this.releaseAtAttach.size > 0)) await this.startAndRelease(this.hooks);
        if (this.hooks !== undefined && this.waits.size > 0 && now >= nextWaitPoll) {
          await this.pollWaits();
          nextWaitPoll = Date.now() + WAIT_POLL_MS;
        }
        if (this.commits.size > 0 || this.releases.size > 0) await this.flushCommits();
        if (this.leader && discoveryIntervalMs > 0 && now >= nextDiscovery) {
          nextDiscovery = Date.now() + discoveryIntervalMs;
          const counts = await resolveTopics(this.cluster, this.options.topics, this.options.where);
          const seen = [...counts].flatMap(([t, n]) => Array.from({ length: n }, (_, p) => tpKey(t, p))).sort().join(",");
          if (seen !== [...this.partitionsSeen.split(",")].sort().join(",")) {
            this.log.info({ groupId: this.options.groupId }, "the subscribed partitions changed; rebalancing");
            throw new Rejoin();
          }
        }
        failures = 0;
      } catch (e) {
        const type = errorType(e);
        if (e instanceof Rejoin || type === "REBALANCE_IN_PROGRESS" || (type !== undefined && KICKED.has(type)) || !isTransient(e)) throw e;
        // the coordinator moved or is away for a moment: ask again, without leaving the group
        this.coordinator = undefined;
        if (failures++ === 0) this.log.warn({ groupId: this.options.groupId, err: describe(e) }, "a consumer group request failed; retrying");
        await this.idle(backoffMs(failures, 2_000));
        continue;
      }
      await this.idle(Math.max(10, Math.min(nextHeartbeat - Date.now(), WAIT_POLL_MS)));
    }
  }

  private async startAndRelease(hooks: GroupReaderHooks): Promise<void> {
    const starting = new Map(this.toStart);
    for (const k of this.needsStart) starting.set(k, this.started.get(k)!);
    const releasing = [...this.releaseAtAttach].filter((k) => this.draining.has(k));
    const tps = [...starting.values(), ...releasing.map((k) => this.draining.get(k)!)];
    const committed = await fetchCommitted(await this.coord(), this.options.groupId, tps);
    const floor = (k: string): number | undefined => {
      const known = [hooks.knownPosition(k), committed.get(k)?.offset, this.startOffsets.get(k)].filter((x): x is number => x !== undefined);
      return known.length === 0 ? undefined : Math.max(...known);
    };
    const fresh = [...starting].filter(([k]) => floor(k) === undefined).map(([, tp]) => tp);
    const initial = fresh.length === 0 ? new Map<string, number>() : await listOffsets(this.cluster, fresh, this.options.startFrom === "committed" ? this.options.offsetReset : this.options.startFrom);
    if (this.hooks !== hooks || this.phase !== "stable") return; // the reader or the assignment changed meanwhile: next turn
    const starts: Array<{ tp: TopicPartition; offset: number }> = [];
    for (const [k, tp] of starting) {
      if (!this.toStart.has(k) && !this.needsStart.has(k)) continue;
      const offset = floor(k) ?? initial.get(k);
      if (offset === undefined) continue;
      this.toStart.delete(k);
      this.needsStart.delete(k);
      this.started.set(k, tp);
      this.startOffsets.set(k, offset);
      starts.push({ tp, offset });
    }
    for (const k of releasing) {
      if (!this.releaseAtAttach.delete(k) || !this.draining.has(k)) continue;
      const offset = floor(k);
      if (offset !== undefined) this.releases.set(k, offset);
      else this.draining.delete(k); // never read and never committed: nothing to hand over
    }
    if (starts.length > 0) {
      this.log.info({ groupId: this.options.groupId, partitions: starts.map((s) => `${tpKey(s.tp.topic, s.tp.partition)}@${s.offset}`) }, "reading partitions");
      hooks.assigned(starts);
    }
  }

  private async pollWaits(): Promise<void> {
    const committed = await fetchCommitted(await this.coord(), this.options.groupId, [...this.waits.values()].map((w) => w.tp));
    for (const [k, w] of this.waits) {
      const metadata = committed.get(k)?.metadata ?? "";
      if (metadata.startsWith(RELEASE) && Number(metadata.slice(RELEASE.length)) >= w.generation) {
        this.waits.delete(k);
        this.toStart.set(k, w.tp);
      }
    }
    if (this.waits.size > 0 && Date.now() - this.waitLoggedAt > 10_000) {
      this.waitLoggedAt = Date.now();
      this.log.info({ groupId: this.options.groupId, partitions: [...this.waits.keys()] }, "waiting for other members to hand partitions over");
    }
  }

  private async flushCommits(): Promise<void> {
    const entries: OffsetToCommit[] = [];
    const sentReleases = new Map<string, number>();
    const sentCommits = new Map<string, number>();
    for (const [k, offset] of this.releases) {
      const tp = this.draining.get(k);
      if (tp === undefined) continue;
      entries.push({ ...tp, offset, metadata: `${RELEASE}${this.generation}` });
      sentReleases.set(k, offset);
    }
    for (const [k, offset] of this.commits) {
      const tp = this.started.get(k) ?? this.draining.get(k);
      if (tp === undefined || sentReleases.has(k)) continue;
      entries.push({ ...tp, offset, metadata: `vigil:${this.generation}` });
      sentCommits.set(k, offset);
    }
    if (entries.length > 0) await commitOffsets(await this.coord(), this.options.groupId, this.generation, this.memberId, entries);
    for (const [k, offset] of sentCommits) if (this.commits.get(k) === offset) this.commits.delete(k);
    for (const [k, offset] of sentReleases) {
      if (this.releases.get(k) !== offset) continue;
      this.releases.delete(k);
      this.commits.delete(k);
      this.draining.delete(k);
      this.log.info({ groupId: this.options.groupId, partition: k, offset, generation: this.generation }, "partition handed over");
    }
    for (const k of [...this.releases.keys()]) if (!this.draining.has(k)) this.releases.delete(k);
    for (const k of [...this.commits.keys()]) if (!this.held(k)) this.commits.delete(k);
  }
}
