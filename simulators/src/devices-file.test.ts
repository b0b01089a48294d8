import { describe, expect, it } from 'vitest';
import { parseDevices } from './devices-file';

describe('parseDevices', () => {
  it('reads an array or { devices }, ignoring fields it does not use', () => {
    const list = [
      { id: 'sos-1', secret: 'a', type: 'sos_button', residentId: 'r1', residentName: 'Li', siteId: 's1' },
      { id: 'door-1', secret: 'b', type: 'door_sensor', residentId: null },
    ];
    const expected = [
      { id: 'sos-1', secret: 'a', type: 'sos_button', residentId: 'r1', residentName: 'Li' },
      { id: 'door-1', secret: 'b', type: 'door_sensor' },
    ];
    expect(parseDevices(list)).toEqual(expected);
    expect(parseDevices({ devices: list })).toEqual(expected);
  });

  it('names the entry and field that is wrong', () => {
    expect(() => parseDevices({})).toThrow(/expected an array of devices/);
    expect(() => parseDevices([{ id: 'a/b', secret: 'x', type: 'sos_button' }])).toThrow(/devices\[0\]\.id/);
    expect(() => parseDevices([{ id: 'a', secret: '', type: 'sos_button' }])).toThrow(/devices\[0\]\.secret/);
    expect(() => parseDevices([{ id: 'a', secret: 'x', type: 'toaster' }])).toThrow(
      /devices\[0\]\.type: expected one of/,
    );
  });
});
