/**
 * One participant of the Transport contract: a note's Y.Doc (a plain Y.Text
 * named 't'), its awareness and the transport under test. Runs wherever the
 * transport runs — in the Vitest process, or inside a Chromium page
 * (contractPage.ts) — and is driven through {@link ContractPeer}, its
 * asynchronous mirror, so the scenarios do not care which.
 */
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import type { SyncRoom, SyncStatus, Transport, TransportFactory } from '../../../src/sync/Transport';

/** A presence state as the scenarios set it (JSON: it crosses into pages). */
export type Presence = Record<string, string>;

/** The operations of a member; every argument and result is JSON, for page.evaluate. */
export interface MemberApi {
  /** Inserts into the shared text. */
  insert(index: number, text: string): void;
  text(): string;
  length(): number;
  /** `awareness.setLocalState`. */
  setPresence(state: Presence | null): void;
  /** `awareness.setLocalStateField`. */
  setPresenceField(field: string, value: string): void;
  /** The state the awareness holds for `clientId`, or null. */
  presenceOf(clientId: number): Presence | null;
  status(): SyncStatus;
  peerCount(): number;
  /** Starts counting the transport's onChange notifications. */
  countChanges(): void;
  /** Calls the disposer `onChange` returned. */
  stopCountingChanges(): void;
  changes(): number;
  /** `transport.destroy()`; the doc stays readable. */
  leave(): void;
}

/** The names of {@link MemberApi}'s operations (what a driver may call). */
export const MEMBER_METHODS = [
  'insert',
  'text',
  'length',
  'setPresence',
  'setPresenceField',
  'presenceOf',
  'status',
  'peerCount',
  'countChanges',
  'stopCountingChanges',
  'changes',
  'leave',
] as const satisfies readonly (keyof MemberApi)[];

export type MemberMethod = (typeof MEMBER_METHODS)[number];

/** Options of a member. */
export interface MemberOptions {
  readonly room: SyncRoom;
  /** Written into the doc before the transport exists (an edit made before joining). */
  readonly text?: string;
}

export class TransportMember implements MemberApi {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  readonly transport: Transport;
  private changeCount = 0;
  private stopCounting: (() => void) | null = null;

  constructor(factory: TransportFactory, options: MemberOptions) {
    if (options.text) this.doc.getText('t').insert(0, options.text);
    this.transport = factory(this.doc, this.awareness, options.room);
  }

  get clientId(): number {
    return this.doc.clientID;
  }

  insert(index: number, text: string): void {
    this.doc.getText('t').insert(index, text);
  }

  text(): string {
    return this.doc.getText('t').toString();
  }

  length(): number {
    return this.doc.getText('t').length;
  }

  setPresence(state: Presence | null): void {
    this.awareness.setLocalState(state);
  }

  setPresenceField(field: string, value: string): void {
    this.awareness.setLocalStateField(field, value);
  }

  presenceOf(clientId: number): Presence | null {
    return (this.awareness.getStates().get(clientId) as Presence | undefined) ?? null;
  }

  status(): SyncStatus {
    return this.transport.status;
  }

  peerCount(): number {
    return this.transport.peerCount;
  }

  countChanges(): void {
    this.stopCounting ??= this.transport.onChange(() => this.changeCount++);
  }

  stopCountingChanges(): void {
    this.stopCounting?.();
    this.stopCounting = null;
  }

  changes(): number {
    return this.changeCount;
  }

  leave(): void {
    this.transport.destroy();
  }

  /** Releases everything: the transport, the awareness, the doc. */
  dispose(): void {
    this.stopCountingChanges();
    this.transport.destroy();
    this.awareness.destroy();
    this.doc.destroy();
  }

  /** Runs one operation by name (how a driver outside the process reaches it). */
  call(method: MemberMethod, args: readonly unknown[]): unknown {
    if (!MEMBER_METHODS.includes(method)) throw new Error(`unknown member operation ${String(method)}`);
    return (this[method] as (...args: unknown[]) => unknown)(...args);
  }
}

/** {@link MemberApi} as the scenarios see it: every operation asynchronous, plus the doc's client id. */
export type ContractPeer = { readonly clientId: number } & {
  readonly [K in MemberMethod]: (...args: Parameters<MemberApi[K]>) => Promise<ReturnType<MemberApi[K]>>;
};

/** A {@link ContractPeer} whose operations go through `call` (in-process, or page.evaluate). */
export function contractPeer(clientId: number, call: (method: MemberMethod, args: unknown[]) => Promise<unknown>): ContractPeer {
  const peer: Record<string, unknown> = { clientId };
  for (const method of MEMBER_METHODS) peer[method] = (...args: unknown[]) => call(method, args);
  return peer as ContractPeer;
}
