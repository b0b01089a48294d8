/**
 * The contract every `StateStore` adapter and fake passes unchanged (CONVENTIONS.md, "One
 * contract suite per port"). Call it from a test file with a factory that opens a fresh, empty
 * store (with the given number of alert stream partitions) and disposes of it.
 */
import { describe } from 'vitest';
import { describeAccountsContract } from './accounts.contract';
import { describeAlertStreamContract } from './alert-stream.contract';
import { describeAlertsContract } from './alerts.contract';
import { describeDirectoryContract } from './directory.contract';
import { type StateStoreFactory, useStores } from './harness';
import { describeRespondersContract } from './responders.contract';
import { describeTimersContract } from './timers.contract';
import { describeUnitOfWorkContract } from './unit-of-work.contract';

export type { StateStoreFactory, StateStoreOptions, StateStoreUnderTest } from './harness';

export function describeStateStoreContract(name: string, open: StateStoreFactory): void {
  describe(`StateStore contract: ${name}`, () => {
    const fresh = useStores(open);
    describeDirectoryContract(fresh);
    describeAccountsContract(fresh);
    describeAlertsContract(fresh);
    describeAlertStreamContract(fresh);
    describeUnitOfWorkContract(fresh);
    describeTimersContract(fresh);
    describeRespondersContract(fresh);
  });
}
