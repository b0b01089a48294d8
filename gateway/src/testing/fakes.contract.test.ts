import { describeJournalContract } from '@carecircle/protocol/testing';
import { MemoryJournal } from './fakes';

describeJournalContract('MemoryJournal (the gateway tests’ fake)', async (partitions) => {
  const journal = new MemoryJournal(partitions);
  return { journal, dispose: () => journal.close() };
});
