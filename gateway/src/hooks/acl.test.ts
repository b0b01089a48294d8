import { topics } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { mayPublishWill, mayReceive, maySubscribe, publishChannel } from './acl';

describe('publishChannel', () => {
  it('allows a device its own event, reading, senml and status topics', () => {
    expect(publishChannel('dev-1', topics.event('dev-1'))).toBe('event');
    expect(publishChannel('dev-1', topics.reading('dev-1'))).toBe('reading');
    expect(publishChannel('dev-1', topics.senml('dev-1'))).toBe('senml');
    expect(publishChannel('dev-1', topics.status('dev-1'))).toBe('status');
  });

  it("refuses another device's topics, its own cmd topic, $SYS and anything non-native", () => {
    for (const topic of [
      topics.event('dev-2'),
      topics.cmd('dev-1'),
      '$SYS/broker/clients',
      'cc/v1/d/dev-1/event/extra',
      'cc/v1/d/dev-1/unknown',
      'zigbee2mqtt/kitchen',
      'cc/v1/d/dev-1',
      '',
    ]) {
      expect(publishChannel('dev-1', topic), topic).toBeNull();
    }
  });

  it('lets a last will go only to the own status topic', () => {
    expect(mayPublishWill('dev-1', topics.status('dev-1'))).toBe(true);
    expect(mayPublishWill('dev-1', topics.event('dev-1'))).toBe(false);
    expect(mayPublishWill('dev-1', topics.status('dev-2'))).toBe(false);
  });
});

describe('maySubscribe / mayReceive', () => {
  it('allows exactly the own cmd topic', () => {
    expect(maySubscribe('dev-1', topics.cmd('dev-1'))).toBe(true);
    expect(mayReceive('dev-1', topics.cmd('dev-1'))).toBe(true);
  });

  it('refuses wildcards, other devices, event topics and $SYS', () => {
    for (const filter of [
      topics.cmd('dev-2'),
      topics.event('dev-1'),
      'cc/v1/d/dev-1/#',
      'cc/v1/d/+/cmd',
      '#',
      '$SYS/#',
    ]) {
      expect(maySubscribe('dev-1', filter), filter).toBe(false);
      expect(mayReceive('dev-1', filter), filter).toBe(false);
    }
  });

  it('refuses everything for an id that is not a device id', () => {
    expect(maySubscribe('a/b', 'cc/v1/d/a/b/cmd')).toBe(false);
  });
});
