export * from './journal.contract';
