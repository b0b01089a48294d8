/**
 * Setting up the journal on a NATS server: the connection URL, and each partition's stream —
 * created, or brought to the configuration this version wants (see `journal.ts` for the design).
 */
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { type JournalNames, noticeSubjects, partitionSubjects, streamOf } from './subjects';

/** The stream of partition `p`, as this journal wants it. */
export function streamConfig(
  names: JournalNames,
  partition: number,
  sitePartitions: number,
  options: { replicas: number; duplicateWindowMs: { routine: number; alarm: number } },
): StreamConfig {
  const lane = partition >= sitePartitions ? 'alarm' : 'routine';
  return {
    name: streamOf(names, partition),
    // What `ensureStream` compares: a stream made for another partition count is refused.
    description: `CareCircle device journal, partition ${partition} of ${2 * sitePartitions} (${lane} lane)`,
    subjects: [partitionSubjects(names, partition)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msg_size: -1,
    max_msgs_per_subject: -1,
    max_consumers: -1,
    duplicate_window: nanos(options.duplicateWindowMs[lane]),
    num_replicas: options.replicas,
    republish: {
      src: partitionSubjects(names, partition),
      dest: noticeSubjects(names, partition),
      headers_only: true,
    },
  } as StreamConfig;
}

/** Creates the stream, or brings an existing one to `cfg`; refuses one made for other partitions. */
export async function ensureStream(jsm: JetStreamManager, cfg: StreamConfig): Promise<void> {
  let existing = await infoOrNull(jsm, cfg.name);
  if (existing === null) {
    try {
      await jsm.streams.add(cfg);
      return;
    } catch (err) {
      // Another process made it first: check and update what it made.
      existing = await infoOrNull(jsm, cfg.name);
      if (existing === null) throw err;
    }
  }
  if (existing.config.description !== cfg.description) {
    throw new Error(
      `JetStream stream ${cfg.name} is "${existing.config.description ?? ''}", not "${cfg.description}": ` +
        'the journal was created with another number of partitions',
    );
  }
  if (existing.config.storage !== StorageType.File) {
    throw new Error(`JetStream stream ${cfg.name} is stored in ${existing.config.storage}, not in files`);
  }
  const { subjects, duplicate_window, num_replicas, republish } = cfg;
  await jsm.streams.update(cfg.name, { subjects, duplicate_window, num_replicas, republish });
}

async function infoOrNull(jsm: JetStreamManager, stream: string) {
  try {
    return await jsm.streams.info(stream);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
    throw err;
  }
}

/** `nats://user:pass@host:port,…` → the servers, and the credentials the client takes as options. */
export function parseUrl(url: string): { servers: string[]; user?: string; pass?: string; token?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const u = new URL(s.includes('://') ? s : `nats://${s}`);
      if (u.username) {
        user = decodeURIComponent(u.username);
        pass = u.password ? decodeURIComponent(u.password) : undefined;
      }
      return `${u.protocol}//${u.host}`;
    });
  if (servers.length === 0) throw new Error('journal URL names no NATS server');
  // A user without a password is a token (`nats://token@host`), as the NATS tools read it.
  if (user !== undefined && pass === undefined) return { servers, token: user };
  return { servers, user, pass };
}
