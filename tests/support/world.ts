/**
 * A small world provisioned through the admin CLI: two sites, a resident with an SOS button
 * in the first, and a staff user in each.
 */
import { cli } from './harness';

export interface World {
  siteA: string;
  siteB: string;
  residentA: string;
  device: { id: string; secret: string };
  /** A second device in site A, for tests that need a well-behaved neighbour. */
  neighbour: { id: string; secret: string };
  staffA: { username: string; password: string };
  staffB: { username: string; password: string };
  /** A family member of the resident with `device`. */
  familyA: { username: string; password: string };
}

/** `env`: further settings for the CLI (a shared database and journal, say). */
export async function provisionWorld(dataDir: string, env: Record<string, string> = {}): Promise<World> {
  const run = <T>(args: string[]) => cli<T>(dataDir, args, env);
  const siteA = await run<{ id: string }>(['site', 'add', '--name', 'Facility A', '--kind', 'facility']);
  const siteB = await run<{ id: string }>(['site', 'add', '--name', 'Facility B', '--kind', 'facility']);
  const resident = await run<{ id: string }>([
    'resident',
    'add',
    '--site',
    siteA.id,
    '--name',
    '王秀英',
    '--room',
    '101',
  ]);
  const neighbourResident = await run<{ id: string }>([
    'resident',
    'add',
    '--site',
    siteA.id,
    '--name',
    '李桂兰',
    '--room',
    '102',
  ]);
  const device = await run<{ id: string; secret: string }>([
    'device',
    'add',
    '--site',
    siteA.id,
    '--resident',
    resident.id,
    '--type',
    'sos_button',
  ]);
  const neighbour = await run<{ id: string; secret: string }>([
    'device',
    'add',
    '--site',
    siteA.id,
    '--resident',
    neighbourResident.id,
    '--type',
    'sos_button',
  ]);
  const staffA = await run<{ username: string; password: string }>([
    'user',
    'add',
    '--username',
    'nurse-a',
    '--role',
    'staff',
    '--site',
    siteA.id,
  ]);
  const staffB = await run<{ username: string; password: string }>([
    'user',
    'add',
    '--username',
    'nurse-b',
    '--role',
    'staff',
    '--site',
    siteB.id,
  ]);
  const familyA = await run<{ username: string; password: string }>([
    'user',
    'add',
    '--username',
    'daughter-a',
    '--role',
    'family',
    '--resident',
    resident.id,
  ]);
  return {
    siteA: siteA.id,
    siteB: siteB.id,
    residentA: resident.id,
    device: { id: device.id, secret: device.secret },
    neighbour: { id: neighbour.id, secret: neighbour.secret },
    staffA: { username: staffA.username, password: staffA.password },
    staffB: { username: staffB.username, password: staffB.password },
    familyA: { username: familyA.username, password: familyA.password },
  };
}
