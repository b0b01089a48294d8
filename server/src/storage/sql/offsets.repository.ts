import type { Kysely } from 'kysely';
import type { ConsumerOffsets, LogName } from '../ports';
import type { Tables } from './schema';

export class SqlConsumerOffsets implements ConsumerOffsets {
  constructor(private readonly db: Kysely<Tables>) {}

  async get(log: LogName, consumer: string, partition: number): Promise<number> {
    const r = await this.db
      .selectFrom('consumer_positions')
      .select('offset')
      .where('log', '=', log)
      .where('consumer', '=', consumer)
      .where('partition', '=', partition)
      .executeTakeFirst();
    return r ? Number(r.offset) : 0;
  }

  async commit(log: LogName, consumer: string, partition: number, offset: number): Promise<void> {
    await this.db
      .insertInto('consumer_positions')
      .values({ log, consumer, partition, offset })
      .onConflict((oc) =>
        oc
          .columns(['log', 'consumer', 'partition'])
          .doUpdateSet({ offset })
          .where('consumer_positions.offset', '<', offset),
      )
      .execute();
  }
}
