import { EVENT_KINDS } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { deviceEvent } from '../testing/fixtures';
import { evaluate, FALL_CANCEL_WINDOW_MS, subjectOf } from './alert.rules';

const withResident = { deviceId: 'sos-1', siteId: 'site_1', residentId: 'res_1' };
const loose = { deviceId: 'door-1', siteId: 'site_1' };

describe('alert rules', () => {
  it('an SOS or a fall raises a critical alert of the same kind', () => {
    expect(evaluate(deviceEvent('sos', withResident))).toEqual({
      action: 'raise',
      kind: 'sos',
      severity: 'critical',
      subject: 'resident:res_1',
    });
    expect(evaluate(deviceEvent('fall', withResident, { data: { confidence: 0.8 } }))).toEqual({
      action: 'raise',
      kind: 'fall',
      severity: 'critical',
      subject: 'resident:res_1',
    });
  });

  it('keys on the device when it belongs to no resident', () => {
    expect(evaluate(deviceEvent('sos', loose))?.subject).toBe('device:door-1');
    expect(subjectOf({ deviceId: 'd', residentId: undefined })).toBe('device:d');
    expect(subjectOf({ deviceId: 'd', residentId: 'r' })).toBe('resident:r');
  });

  it('a fall_cancel asks to cancel the resident’s fall within the cancel window', () => {
    expect(evaluate(deviceEvent('fall_cancel', withResident))).toEqual({
      action: 'cancel',
      kind: 'fall',
      subject: 'resident:res_1',
      windowMs: FALL_CANCEL_WINDOW_MS,
    });
  });

  it('raises nothing for the other kinds', () => {
    for (const kind of EVENT_KINDS.filter((k) => k !== 'sos' && k !== 'fall' && k !== 'fall_cancel')) {
      expect(evaluate(deviceEvent(kind, withResident)), kind).toBeNull();
    }
  });
});
