import type { Kysely } from 'kysely';
import { type ConsumerOffsets, type LogName, OffsetMoved } from '../ports';
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

  async advance(log: LogName, consumer: string, partition: number, from: number, to: number): Promise<void> {
    // Never committed is offset 0 with no row: the first advance inserts it, unless another
    // got there first (then the conflict's update finds it elsewhere than 0).
    const changed =
      from === 0
        ? (
            await this.db
              .insertInto('consumer_positions')
              .values({ log, consumer, partition, offset: to })
              .onConflict((oc) =>
                oc
                  .columns(['log', 'consumer', 'partition'])
                  .doUpdateSet({ offset: to })
                  .where('consumer_positions.offset', '=', 0),
              )
              .executeTakeFirst()
          ).numInsertedOrUpdatedRows
        : (
            await this.db
              .updateTable('consumer_positions')
              .set({ offset: to })
              .where('log', '=', log)
              .where('consumer', '=', consumer)
              .where('partition', '=', partition)
              .where('offset', '=', from)
              .executeTakeFirst()
          ).numUpdatedRows;
    if (Number(changed ?? 0n) !== 1) throw new OffsetMoved(log, consumer, partition, from);
  }
}
