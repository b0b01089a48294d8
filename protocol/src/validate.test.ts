import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { NativePayloadSchemas } from './events';
import { compileValidator, formatIssues } from './validate';

describe('compileValidator', () => {
  const sos = compileValidator(NativePayloadSchemas.sos);

  it('returns the value when valid', () => {
    const value = { v: 1, ts: '2026-11-29T03:12:00Z', type: 'sos' };
    expect(sos.validate(value)).toEqual({ ok: true, value });
  });

  it('names the field and the problem', () => {
    const r = sos.validate({ v: 1, ts: 'yesterday', type: 'sos' });
    expect(r).toEqual({ ok: false, issues: [{ path: '/ts', message: 'must match format "date-time"' }] });
  });

  it('reports a missing field at the root with its name', () => {
    const r = sos.validate({ v: 1, type: 'sos' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ path: '/' });
    expect(r.issues[0]?.message).toContain('ts');
  });

  it('reports nested paths and an extra field once (no additionalProperties echo)', () => {
    const nested = sos.validate({ v: 1, ts: '2026-11-29T03:12:00Z', type: 'sos', data: { button: 5 } });
    expect(nested).toEqual({ ok: false, issues: [{ path: '/data/button', message: 'must be string' }] });
    const extra = sos.validate({ v: 1, ts: '2026-11-29T03:12:00Z', type: 'sos', extra: true });
    expect(extra).toEqual({ ok: false, issues: [{ path: '/', message: 'must not have additional properties' }] });
  });

  it('caps the list at five issues without duplicates', () => {
    const wide = compileValidator(
      Type.Object(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, Type.String()]))),
    );
    const r = wide.validate(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, i])));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toHaveLength(5);
    expect(new Set(r.issues.map((i) => i.path)).size).toBe(5);
  });

  it('formats issues as "path: message" joined by semicolons', () => {
    expect(
      formatIssues([
        { path: '/ts', message: 'must match format "date-time"' },
        { path: '/', message: 'must have required properties type' },
      ]),
    ).toBe('/ts: must match format "date-time"; /: must have required properties type');
  });
});
