import { describe, expect, it } from 'vitest';
import { DEVICE_CHANNELS, isValidDeviceId, parseDeviceTopic, TOPIC_ROOT, topics } from './topics';

describe('device topics', () => {
  it('builds cc/v1/d/{id}/{channel} and parses it back for every channel', () => {
    for (const channel of DEVICE_CHANNELS) {
      const topic = topics[channel]('sos-1_A');
      expect(topic).toBe(`cc/v1/d/sos-1_A/${channel}`);
      expect(parseDeviceTopic(topic)).toEqual({ deviceId: 'sos-1_A', channel });
    }
  });

  it('rejects a wrong root', () => {
    expect(parseDeviceTopic('cc/v2/d/sos-1/event')).toBeNull();
    expect(parseDeviceTopic('xx/v1/d/sos-1/event')).toBeNull();
    expect(parseDeviceTopic('cc/v1/x/sos-1/event')).toBeNull();
    expect(parseDeviceTopic(`/${TOPIC_ROOT}/sos-1/event`)).toBeNull();
  });

  it('rejects too few or too many levels', () => {
    expect(parseDeviceTopic('cc/v1/d/sos-1')).toBeNull();
    expect(parseDeviceTopic('cc/v1/d/sos-1/event/extra')).toBeNull();
    expect(parseDeviceTopic('cc/v1/d/sos-1/event/')).toBeNull();
    expect(parseDeviceTopic('')).toBeNull();
  });

  it('rejects wildcards, empty and invalid ids, and unknown channels', () => {
    expect(parseDeviceTopic('cc/v1/d/+/event')).toBeNull();
    expect(parseDeviceTopic('cc/v1/d/#')).toBeNull();
    expect(parseDeviceTopic('cc/v1/d/sos-1/#')).toBeNull();
    expect(parseDeviceTopic('cc/v1/d/sos-1/+')).toBeNull();
    expect(parseDeviceTopic('cc/v1/d//event')).toBeNull();
    expect(parseDeviceTopic('cc/v1/d/-leading-dash/event')).toBeNull();
    expect(parseDeviceTopic('cc/v1/d/has space/event')).toBeNull();
    expect(parseDeviceTopic(`cc/v1/d/${'a'.repeat(65)}/event`)).toBeNull();
    expect(parseDeviceTopic('cc/v1/d/sos-1/events')).toBeNull();
  });

  it('builders throw on ids that would be wildcards or extra levels', () => {
    for (const bad of ['+', '#', 'a/b', 'sos+1', 'sos#', '', ' sos', 'a'.repeat(65)]) {
      expect(() => topics.event(bad), bad).toThrow(TypeError);
      expect(() => topics.cmd(bad), bad).toThrow(/invalid device id/);
    }
  });

  it('accepts ids up to 64 characters of letters, digits, dash and underscore', () => {
    expect(isValidDeviceId('a'.repeat(64))).toBe(true);
    expect(isValidDeviceId('dev_0123456789abcdef')).toBe(true);
    expect(isValidDeviceId('_leading')).toBe(false);
  });
});
