/**
 * What the state store's contract suites share: a fresh store per test (closed afterwards), a
 * few records to hang alerts on, and builders for alerts and stream entries. Only the ports and
 * the protocol are used here, so any adapter or fake can run the suites.
 */
import {
  type Actor,
  type Alert,
  type AlertKind,
  CARE_ALERT_KINDS,
  partitionOf,
  SEVERITIES,
  type Severity,
  TECHNICAL_ALERT_KINDS,
} from '@carecircle/protocol';
import { afterEach } from 'vitest';
import type { AlertStreamAppend, NewAlert, Repositories, ResidentRecord, StateStore } from '../ports';

export interface StateStoreOptions {
  /** Partitions of the alert stream; 1 when not given. */
  alertPartitions?: number;
}

export interface StateStoreUnderTest {
  store: StateStore;
  /** Closes the store and removes whatever it used. */
  dispose(): Promise<void>;
}

/** Opens a fresh, empty store. */
export type StateStoreFactory = (options?: StateStoreOptions) => Promise<StateStoreUnderTest>;

export type Fresh = (options?: StateStoreOptions) => Promise<StateStore>;

/** A `fresh()` whose stores are disposed after each test; call inside a `describe`. */
export function useStores(open: StateStoreFactory): Fresh {
  const opened: StateStoreUnderTest[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.dispose();
  });
  return async (options) => {
    const s = await open(options);
    opened.push(s);
    return s.store;
  };
}

/** 2026-11-29T03:12:00Z plus `seconds`, as the ISO text every timestamp in the ports is. */
export function at(seconds = 0): string {
  return new Date(Date.parse('2026-11-29T03:12:00.000Z') + seconds * 1000).toISOString();
}

export const SYSTEM: Actor = { type: 'system', id: 'contract', name: 'contract suite' };
export const NURSE: Actor = { type: 'user', id: 'usr_nurse', name: 'Nurse Zhou' };

/** The most and least urgent severities, and a care and a technical kind. */
export const MOST_URGENT: Severity = SEVERITIES[0];
export const LEAST_URGENT: Severity = SEVERITIES[SEVERITIES.length - 1]!;
export const CARE_KIND: AlertKind = CARE_ALERT_KINDS[0];
export const OTHER_CARE_KIND: AlertKind = CARE_ALERT_KINDS[1];
export const TECHNICAL_KIND: AlertKind = TECHNICAL_ALERT_KINDS[0];

export interface Place {
  siteId: string;
  resident: ResidentRecord;
}

/** A site with one resident; `name` keeps sites apart (and sets their order by name). */
export async function place(repos: Repositories, name = 'Sunshine', room = '101'): Promise<Place> {
  const site = await repos.sites.create({ name, kind: 'facility', tz: 'Asia/Shanghai' }, at());
  const resident = await repos.residents.create(
    { siteId: site.id, homeId: null, name: `${name} resident`, room },
    at(),
  );
  return { siteId: site.id, resident };
}

let alertSeq = 0;

/** A new alert for the place's resident; every call gets a new id and, unless given, subject. */
export function newAlert(p: Place, patch: Partial<NewAlert> = {}): NewAlert {
  alertSeq += 1;
  return {
    id: `alt_contract_${alertSeq}`,
    siteId: p.siteId,
    residentId: p.resident.id,
    deviceId: `dev_contract_${alertSeq}`,
    subject: `res:${p.resident.id}:${alertSeq}`,
    kind: CARE_KIND,
    severity: MOST_URGENT,
    eventTs: at(),
    at: at(),
    ...patch,
  };
}

/** Inserts an alert and answers it as the store now has it. */
export async function insertAlert(repos: Repositories, p: Place, patch: Partial<NewAlert> = {}): Promise<Alert> {
  const a = newAlert(p, patch);
  await repos.alerts.insert(a);
  const stored = await repos.alerts.get(a.id);
  if (!stored) throw new Error(`alert ${a.id} was not stored`);
  return stored;
}

/** A `raised` entry for an alert, as `AlertChanges` appends it. */
export function raisedEntry(alert: Alert, patch: Partial<AlertStreamAppend> = {}): AlertStreamAppend {
  return {
    siteId: alert.siteId,
    residentId: alert.residentId,
    alertId: alert.id,
    at: alert.raisedAt,
    action: 'raised',
    fromState: null,
    toState: alert.state,
    actor: SYSTEM,
    eventId: `evt_${alert.id}`,
    alert,
    ...patch,
  };
}

/** A `device_status` entry for a resident (no alert). */
export function deviceStatusEntry(p: Place, online: boolean, seconds = 0): AlertStreamAppend {
  return {
    siteId: p.siteId,
    residentId: p.resident.id,
    alertId: null,
    at: at(seconds),
    action: 'device_status',
    fromState: null,
    toState: null,
    actor: { type: 'device', id: 'dev_contract', name: 'dev_contract' },
    eventId: null,
    note: online ? 'online' : 'offline',
    alert: null,
  };
}

/** Appends one entry in its own unit of work (the only place appends may happen). */
export async function appendCommitted(store: StateStore, entry: AlertStreamAppend) {
  return store.transaction((tx) => tx.alertStream.append(entry));
}

/** Thrown by tests to roll a unit of work back. */
export class Rollback extends Error {
  constructor() {
    super('rolled back on purpose');
  }
}

/** Runs `fn` in a unit of work that is then rolled back; fails the test if it commits. */
export async function rolledBack(store: StateStore, fn: Parameters<StateStore['transaction']>[0]): Promise<void> {
  await expectRollback(store.transaction(fn));
}

export async function expectRollback(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (err) {
    if (err instanceof Rollback) return;
    throw err;
  }
  throw new Error('the unit of work committed; it was meant to roll back');
}

/** Resolves on the next notice from `store`'s alert log (for `partition`, when given). */
export function nextAppend(store: StateStore, partition?: number): Promise<number> {
  return new Promise((resolve) => {
    const off = store.alertLog.onAppend((p) => {
      if (partition !== undefined && p !== partition) return;
      off();
      resolve(p);
    });
  });
}

/** Places whose sites land in different partitions of a stream with `partitions` partitions. */
export async function placesInDifferentPartitions(repos: Repositories, partitions: number): Promise<[Place, Place]> {
  const first = await place(repos, 'Site 00');
  for (let i = 1; i < 100; i++) {
    const other = await place(repos, `Site ${String(i).padStart(2, '0')}`);
    if (partitionOf(other.siteId, partitions) !== partitionOf(first.siteId, partitions)) return [first, other];
  }
  throw new Error('no two sites in different partitions');
}
