import type { DeadLetter, DeadLetterStore } from '@carecircle/protocol';
import type { Db } from './database';

/** Refused-but-acknowledged device payloads, kept for inspection. */
export class SqliteDeadLetters implements DeadLetterStore {
  private readonly insert;
  constructor(db: Db) {
    this.insert = db.prepare(
      'INSERT INTO dead_letters (device_id, topic, reason, detail, payload, received_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }
  record(e: DeadLetter): void {
    this.insert.run(e.deviceId, e.topic, e.reason, e.detail, e.payload, e.receivedAt);
  }
}
