import { DEVICE_PROFILES, EVENT_KINDS } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { deviceEvent } from '../testing/fixtures';
import { BATTERY_RECOVERED_PERCENT, evaluate, LOW_BATTERY_PERCENT, subjectOf } from './alert.rules';

const withResident = { deviceId: 'sos-1', siteId: 'site_1', residentId: 'res_1' };
const loose = { deviceId: 'door-1', siteId: 'site_1' };
const wearable = DEVICE_PROFILES.wearable;

describe('alert rules', () => {
  it('an SOS or a fall raises a critical alert of the same kind', () => {
    expect(evaluate(deviceEvent('sos', withResident), wearable)).toEqual({
      action: 'raise',
      kind: 'sos',
      severity: 'critical',
      subject: 'resident:res_1',
    });
    expect(evaluate(deviceEvent('fall', withResident, { data: { confidence: 0.8 } }), wearable)).toEqual({
      action: 'raise',
      kind: 'fall',
      severity: 'critical',
      subject: 'resident:res_1',
    });
  });

  it('keys on the device when it belongs to no resident', () => {
    expect(evaluate(deviceEvent('sos', loose), wearable)?.subject).toBe('device:door-1');
    expect(subjectOf({ deviceId: 'd', residentId: undefined })).toBe('device:d');
    expect(subjectOf({ deviceId: 'd', residentId: 'r' })).toBe('resident:r');
  });

  it("a fall_cancel asks to cancel within the device type's window: 60 s on a wearable, none on a radar", () => {
    expect(evaluate(deviceEvent('fall_cancel', withResident), wearable)).toEqual({
      action: 'cancel',
      kind: 'fall',
      subject: 'resident:res_1',
      windowMs: 60_000,
    });
    expect(evaluate(deviceEvent('fall_cancel', withResident), DEVICE_PROFILES.fall_detector)).toMatchObject({
      windowMs: 0,
    });
  });

  it('a low battery raises one low alert on the device; a recovered one closes it, with a gap between', () => {
    const battery = (percent: number) =>
      evaluate(deviceEvent('battery', withResident, { data: { percent } }), wearable);
    expect(battery(LOW_BATTERY_PERCENT - 1)).toEqual({
      action: 'raise',
      kind: 'low_battery',
      severity: 'low',
      subject: 'device:sos-1',
      once: true,
    });
    expect(battery(LOW_BATTERY_PERCENT)).toBeNull();
    expect(battery(BATTERY_RECOVERED_PERCENT - 1)).toBeNull();
    expect(battery(BATTERY_RECOVERED_PERCENT)).toMatchObject({ action: 'recover', kind: 'low_battery' });
  });

  it('a tamper raises one high alert on the device, and putting it back closes nothing', () => {
    expect(evaluate(deviceEvent('tamper', loose, { data: { tampered: true } }), wearable)).toEqual({
      action: 'raise',
      kind: 'tamper',
      severity: 'high',
      subject: 'device:door-1',
      once: true,
    });
    expect(evaluate(deviceEvent('tamper', loose, { data: { tampered: false } }), wearable)).toBeNull();
  });

  it('raises nothing for the other kinds', () => {
    const acting = ['sos', 'fall', 'fall_cancel', 'battery', 'tamper'];
    for (const kind of EVENT_KINDS.filter((k) => !acting.includes(k))) {
      expect(evaluate(deviceEvent(kind, withResident), wearable), kind).toBeNull();
    }
  });
});
