import type { DeadLetter, DeadLetterStore } from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import type { Tables } from './schema';

/** Refused-but-acknowledged device payloads, kept for inspection. */
export class SqlDeadLetters implements DeadLetterStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async record(e: DeadLetter): Promise<void> {
    await this.db
      .insertInto('dead_letters')
      .values({
        device_id: e.deviceId,
        topic: e.topic,
        reason: e.reason,
        detail: e.detail,
        payload: e.payload,
        received_at: e.receivedAt,
      })
      .execute();
  }
}
