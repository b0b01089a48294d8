import { describe, expect, it } from 'vitest';
import { remainingLength } from '../testing/raw';
import { PacketSizeScanner } from './packet-size-guard';

/** A PUBLISH-typed packet with `bodyBytes` of body and a correctly encoded Remaining Length. */
function packet(bodyBytes: number): Buffer {
  return Buffer.concat([Buffer.from([0x30]), remainingLength(bodyBytes), Buffer.alloc(bodyBytes, 7)]);
}

describe('PacketSizeScanner', () => {
  it('passes packets up to the limit, whole or cut anywhere', () => {
    const stream = Buffer.concat([packet(0), packet(10), packet(200), packet(1021)]); // the last is 1024 bytes
    for (let cut = 1; cut < 40; cut += 3) {
      const scanner = new PacketSizeScanner(1024);
      for (let i = 0; i < stream.length; i += cut) {
        expect(scanner.push(stream.subarray(i, i + cut))).toBeNull();
      }
    }
  });

  it('reports a packet one byte over the limit from its header alone', () => {
    const scanner = new PacketSizeScanner(1024);
    expect(scanner.push(packet(10))).toBeNull();
    const big = packet(1022); // 1 + 2 + 1022 = 1025 bytes
    expect(scanner.push(big.subarray(0, 3))).toBe(1025);
  });

  it('reports a huge announced length before any body byte, even byte by byte', () => {
    const scanner = new PacketSizeScanner(16 * 1024);
    const header = [0x30, 0xff, 0xff, 0xff, 0x7f]; // 268,435,455 bytes announced
    const results = header.map((b) => scanner.push(Buffer.from([b])));
    expect(results.find((r) => r !== null)).toBeGreaterThan(16 * 1024);
  });

  it('reports a Remaining Length longer than four bytes as malformed', () => {
    const scanner = new PacketSizeScanner(Number.MAX_SAFE_INTEGER);
    expect(scanner.push(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80]))).toBe(Number.POSITIVE_INFINITY);
  });
});
