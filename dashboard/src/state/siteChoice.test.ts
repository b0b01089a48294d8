import type { MeResponse } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { readDisplay } from './display';
import { ALL_SITES, initialSite } from './siteChoice';

const site = (id: string) => ({ id, name: id, kind: 'facility' as const, tz: 'Asia/Shanghai' });
const me = (role: 'supervisor' | 'staff', siteId: string | null, sites: string[]): MeResponse => ({
  user: { id: 'u', username: 'u', displayName: 'U', role, siteId, residentId: null },
  sites: sites.map(site),
});

describe('initialSite', () => {
  const lead = me('supervisor', null, ['a', 'b']);
  it('takes the address first, then the browser’s last choice, then the user’s site', () => {
    expect(initialSite(lead, '?site=b', 'a')).toBe('b');
    expect(initialSite(lead, '', 'a')).toBe('a');
    expect(initialSite(me('staff', 'a', ['a']), '', null)).toBe('a');
  });
  it('opens every site at once for a supervisor with no choice yet', () => {
    expect(initialSite(lead, '', null)).toBe(ALL_SITES);
    expect(initialSite(lead, `?site=${ALL_SITES}`, 'a')).toBe(ALL_SITES);
  });
  it('ignores a site the user may not see, and "all" for a user of one site', () => {
    const nurse = me('staff', 'a', ['a']);
    expect(initialSite(nurse, '?site=b', 'zzz')).toBe('a');
    expect(initialSite(nurse, `?site=${ALL_SITES}`, ALL_SITES)).toBe('a');
    expect(initialSite(me('staff', null, []), '', null)).toBeNull();
  });
});

describe('readDisplay', () => {
  it('reads what was stored and survives garbage', () => {
    expect(readDisplay('{"night":true,"large":false}')).toEqual({ night: true, large: false });
    expect(readDisplay('{"night":"yes"}')).toEqual({ night: false, large: false });
    expect(readDisplay('not json')).toEqual({ night: false, large: false });
    expect(readDisplay(null)).toEqual({ night: false, large: false });
  });
});
