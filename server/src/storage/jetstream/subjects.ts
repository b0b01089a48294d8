/**
 * Names on the NATS side of the journal: streams, subjects and message ids. Everything a device
 * or an operator chose (site ids, device ids, event ids) is escaped first, so it can never add a
 * subject token, become a wildcard or break a header line.
 *
 * NATS subjects are tokens separated by `.`; a token `*` or `>` is a wildcard, whitespace ends a
 * subject, and an empty token is invalid (docs.nats.io, "Subject-Based Messaging": recommended
 * characters are a–z, A–Z, 0–9, `-` and `_`). A token here keeps only those characters; every
 * other UTF-16 code unit, `~` included, becomes `~` and four hex digits. The mapping is
 * injective (a `~` in the output always starts an escape), so two sites never share a subject.
 */

const SAFE = /^[A-Za-z0-9_-]$/;

/** `value` as one subject token made of `[A-Za-z0-9_~-]` only; `~` alone for the empty string. */
export function subjectToken(value: string): string {
  if (value.length === 0) return '~';
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    out += SAFE.test(c) ? c : `~${value.charCodeAt(i).toString(16).padStart(4, '0')}`;
  }
  return out;
}

/**
 * The `Nats-Msg-Id` of an event: its (device, eventId), the journal's identity of an event.
 * Neither escaped part contains a `.`, so the pair reads back one way only.
 */
export function messageId(deviceId: string, eventId: string): string {
  return `${subjectToken(deviceId)}.${subjectToken(eventId)}`;
}

/** Where one journal's streams and subjects live; two journals on one server differ in both. */
export interface JournalNames {
  /** Base of the stream names: `<streamName>_<partition>`. */
  streamName: string;
  /** First tokens of every subject: `<subjectPrefix>.<partition>.<site>`. */
  subjectPrefix: string;
}

export const DEFAULT_NAMES: JournalNames = { streamName: 'CARECIRCLE_JOURNAL', subjectPrefix: 'carecircle.journal' };

/** Stream names may not hold `.`, `*`, `>`, whitespace or path separators (ADR-6 of nats-io). */
const STREAM_NAME = /^[A-Za-z0-9_-]+$/;
/** Tokens of the prefix: the same safe characters, at least one token. */
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function validateNames(names: JournalNames): void {
  if (!STREAM_NAME.test(names.streamName)) {
    throw new Error(`journal stream name ${JSON.stringify(names.streamName)} must match ${STREAM_NAME.source}`);
  }
  if (!PREFIX.test(names.subjectPrefix)) {
    throw new Error(`journal subject prefix ${JSON.stringify(names.subjectPrefix)} must match ${PREFIX.source}`);
  }
}

export function streamOf(names: JournalNames, partition: number): string {
  return `${names.streamName}_${partition}`;
}

/** The subjects of one partition's stream: every site's. */
export function partitionSubjects(names: JournalNames, partition: number): string {
  return `${names.subjectPrefix}.${partition}.>`;
}

export function eventSubject(names: JournalNames, partition: number, siteId: string): string {
  return `${names.subjectPrefix}.${partition}.${subjectToken(siteId)}`;
}

/**
 * Where a partition's stream republishes a headers-only notice of each stored message (its
 * `republish` config). `appended` is not a number, so these subjects never overlap a stream's.
 */
export function noticeSubjects(names: JournalNames, partition: number): string {
  return `${names.subjectPrefix}.appended.${partition}.>`;
}

/** What to subscribe to for every partition's notices. */
export function allNotices(names: JournalNames): string {
  return `${names.subjectPrefix}.appended.>`;
}

/** The partition a notice is about, or null for a subject that is not one of ours. */
export function partitionOfNotice(names: JournalNames, subject: string): number | null {
  const head = `${names.subjectPrefix}.appended.`;
  if (!subject.startsWith(head)) return null;
  const end = subject.indexOf('.', head.length);
  const token = subject.slice(head.length, end === -1 ? undefined : end);
  return /^\d+$/.test(token) ? Number(token) : null;
}
