import { describe, expect, it } from 'vitest';
import { streamSequenceOf } from './cursors';
import { DEFAULT_NAMES, eventSubject, messageId, partitionOfNotice, subjectToken } from './subjects';
import { PerTurn } from './turns';

describe('journal subjects', () => {
  it('keeps plain ids as they are', () => {
    expect(subjectToken('site_0a1b-2c')).toBe('site_0a1b-2c');
    expect(eventSubject(DEFAULT_NAMES, 3, 'site_1')).toBe('carecircle.journal.3.site_1');
  });

  it('escapes whatever could split, widen or end a subject, one way only', () => {
    const ids = ['a.b', 'a~002eb', 'a*', '*', '>', 'a b', 'a\tb', '~', '', '养老院', 'a\u0000b', 'a\nb'];
    const tokens = ids.map(subjectToken);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_~-]+$/);
    expect(new Set(tokens).size).toBe(ids.length);
    expect(subjectToken('a.b')).toBe('a~002eb');
    expect(subjectToken('a~002eb')).toBe('a~007e002eb');
    expect(subjectToken('')).toBe('~');
  });

  it('makes message ids that tell (device, eventId) pairs apart', () => {
    const pairs: [string, string][] = [
      ['dev.a', 'b'],
      ['dev', 'a.b'],
      ['dev a', 'b'],
      ['dev', 'a b'],
    ];
    const ids = pairs.map(([d, e]) => messageId(d, e));
    expect(new Set(ids).size).toBe(pairs.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_~-]+\.[A-Za-z0-9_~-]+$/);
  });

  it('reads the partition of a notice, and nothing else', () => {
    expect(partitionOfNotice(DEFAULT_NAMES, 'carecircle.journal.appended.5.site_1')).toBe(5);
    expect(partitionOfNotice(DEFAULT_NAMES, 'carecircle.journal.appended.5')).toBe(5);
    expect(partitionOfNotice(DEFAULT_NAMES, 'carecircle.journal.5.site_1')).toBeNull();
    expect(partitionOfNotice(DEFAULT_NAMES, 'carecircle.journal.appended.x.site_1')).toBeNull();
  });

  it('reads the stream sequence from both forms of a JetStream reply subject', () => {
    expect(streamSequenceOf('$JS.ACK.S_1.c1.1.42.7.1700000000000000000.3')).toBe(42);
    expect(streamSequenceOf('$JS.ACK.dom.hash.S_1.c1.1.42.7.1700000000000000000.3.tok')).toBe(42);
    expect(streamSequenceOf('_INBOX.x')).toBeNaN();
    expect(streamSequenceOf(undefined)).toBeNaN();
  });
});

describe('PerTurn', () => {
  it('tells each partition once per turn, however many notices came in it', async () => {
    const told: number[] = [];
    const turns = new PerTurn((p) => told.push(p));
    for (let i = 0; i < 1000; i++) turns.add(i % 3);
    expect(told).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(told).toEqual([0, 1, 2]);
    turns.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(told).toEqual([0, 1, 2, 1]);
  });

  it('tells nothing after stop', async () => {
    const told: number[] = [];
    const turns = new PerTurn((p) => told.push(p));
    turns.add(0);
    turns.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(told).toEqual([]);
  });
});
