#!/usr/bin/env -S npx tsx
/**
 * The admin CLI (DESIGN.md, "External interface"): non-interactive; `--json` prints the created
 * record with generated ids and any one-time secret, which is shown only here and stored hashed.
 */
import {
  CareCircleError,
  DEVICE_TYPES,
  PLACEMENTS,
  RESIDENT_PRESENCE,
  ROLES,
  systemClock,
  TRAVEL_MODES,
} from '@carecircle/protocol';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ResponderAdmin } from '../circle/responders';
import { ConfigError, loadConfig } from '../config';
import { DeviceFlags } from '../devices/device-flags';
import { createLogger } from '../logger';
import { ProvisioningService } from '../provisioning/provisioning.service';
import { openStorage } from '../storage/open';

/** Where the CLI reads its settings and writes its answers; tests pass their own. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CliIo = {
  env: process.env,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** The same storage the platform opens for this configuration. */
async function open(env: NodeJS.ProcessEnv) {
  const config = loadConfig(env);
  const logger = createLogger('warn', process.stderr as never);
  const storage = await openStorage(config, logger);
  return {
    storage,
    provisioning: new ProvisioningService({
      store: storage.store,
      clock: systemClock,
      deviceSecrets: storage.deviceSecrets,
    }),
    flags: new DeviceFlags({ store: storage.store, clock: systemClock }),
    responders: new ResponderAdmin({ store: storage.store, now: () => new Date(systemClock.now()).toISOString() }),
  };
}

/** What a command works with. */
interface Services {
  flags: DeviceFlags;
  responders: ResponderAdmin;
}

const CLI_ACTOR = { type: 'system', id: 'admin-cli', name: 'admin CLI' } as const;

type Printable = Record<string, unknown>;

/** A JSON option's value; a clear error when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CareCircleError('ERR_VALIDATION', `--settings must be JSON, got ${JSON.stringify(text)}`);
  }
}

async function run(
  io: CliIo,
  json: boolean,
  action: (p: ProvisioningService, services: Services) => Promise<Printable>,
): Promise<void> {
  const { storage, provisioning, flags, responders } = await open(io.env);
  try {
    const result = await action(provisioning, { flags, responders });
    if (json) io.out(`${JSON.stringify(result, null, 2)}\n`);
    else {
      for (const [key, value] of Object.entries(result)) {
        const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
        io.out(`${key}: ${text}\n`);
      }
      if ('secret' in result || 'password' in result) {
        io.out('(shown once: it is stored only as a hash)\n');
      }
    }
  } finally {
    await storage.close();
  }
}

const json = new Option('--json', 'print the created record as JSON');

export function buildCli(io: CliIo = processIo): Command {
  const program = new Command('carecircle')
    .description('CareCircle admin CLI')
    .exitOverride()
    // Usage errors and help go where the caller said, like every other answer (subcommands inherit it).
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  const site = program.command('site').description('sites: care facilities and community stations');
  site
    .command('add')
    .requiredOption('--name <name>')
    .addOption(new Option('--kind <kind>').choices(['facility', 'station']).default('facility'))
    .option('--tz <tz>', 'IANA time zone', 'Asia/Shanghai')
    .addOption(json)
    .action((o) => run(io, o.json, (p) => p.addSite({ name: o.name, kind: o.kind, tz: o.tz })));

  site
    .command('rules')
    .description("set a site's care rule settings (JSON; what is left out is the default)")
    .requiredOption('--site <siteId>')
    .requiredOption('--settings <json>', 'e.g. \'{"nightStart":"21:30","wanderingReturnMinutes":15}\'')
    .addOption(json)
    .action((o) =>
      run(io, o.json, async (p) => ({ site: o.site, rules: await p.setSiteRules(o.site, parseJson(o.settings)) })),
    );

  site
    .command('ladders')
    .description("set a site's escalation ladders by severity (JSON, seconds; a severity left out keeps the default)")
    .requiredOption('--site <siteId>')
    .requiredOption(
      '--settings <json>',
      'e.g. \'{"critical":{"steps":[{"ring":1,"afterSeconds":0},{"ring":2,"afterSeconds":45}],"reminderEverySeconds":120}}\'',
    )
    .addOption(json)
    .action((o) =>
      run(io, o.json, async (p) => ({ site: o.site, ladders: await p.setSiteLadders(o.site, parseJson(o.settings)) })),
    );

  const home = program.command('home').description('private homes served by a community station');
  home
    .command('add')
    .requiredOption('--site <siteId>')
    .requiredOption('--address <address>')
    .requiredOption('--lat <lat>', 'latitude', parseFloat)
    .requiredOption('--lon <lon>', 'longitude', parseFloat)
    .addOption(json)
    .action((o) =>
      run(io, o.json, async (p) => ({
        ...(await p.addHome({ siteId: o.site, address: o.address, lat: o.lat, lon: o.lon })),
      })),
    );

  const resident = program.command('resident').description('residents (elders)');
  resident
    .command('add')
    .requiredOption('--site <siteId>')
    .requiredOption('--name <name>')
    .option('--home <homeId>')
    .option('--room <room>')
    .addOption(json)
    .action((o) =>
      run(io, o.json, async (p) => ({
        ...(await p.addResident({ siteId: o.site, name: o.name, homeId: o.home, room: o.room })),
      })),
    );

  const flag = (v: string) => {
    if (v !== 'true' && v !== 'false') throw new InvalidArgumentError('expected true or false');
    return v === 'true';
  };
  resident
    .command('care')
    .description("change a resident's care profile: risk flags, away or in hospital, own rule settings")
    .requiredOption('--resident <residentId>')
    .option('--wandering-risk <bool>', 'at risk of wandering (dementia): true or false', flag)
    .option('--lives-alone <bool>', 'true or false', flag)
    .addOption(new Option('--presence <presence>').choices([...RESIDENT_PRESENCE]))
    .option('--settings <json>', "the resident's own rule settings (JSON), over the site's")
    .addOption(json)
    .action((o) =>
      run(io, o.json, async (p) => ({
        resident: o.resident,
        care: await p.setResidentCare(o.resident, {
          ...(o.wanderingRisk !== undefined ? { wanderingRisk: o.wanderingRisk } : {}),
          ...(o.livesAlone !== undefined ? { livesAlone: o.livesAlone } : {}),
          ...(o.presence !== undefined ? { presence: o.presence } : {}),
          ...(o.settings !== undefined ? { rules: parseJson(o.settings) as never } : {}),
        }),
      })),
    );

  const device = program.command('device').description('devices and their MQTT credentials');
  device
    .command('add')
    .requiredOption('--site <siteId>')
    .addOption(new Option('--type <type>').choices([...DEVICE_TYPES]).makeOptionMandatory())
    .option('--resident <residentId>')
    .option('--id <deviceId>', 'choose the device id (default: generated)')
    .addOption(json)
    .action((o) =>
      run(io, o.json, async (p) => {
        const { device: d, secret } = await p.addDevice({
          siteId: o.site,
          residentId: o.resident,
          type: o.type,
          id: o.id,
        });
        return { ...d, secret, username: d.id, clientId: d.id };
      }),
    );
  device
    .command('rotate-secret')
    .requiredOption('--id <deviceId>')
    .addOption(json)
    .action((o) => run(io, o.json, async (p) => ({ id: o.id, secret: await p.rotateDeviceSecret(o.id) })));

  for (const [name, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    device
      .command(name)
      .requiredOption('--id <deviceId>')
      .addOption(json)
      .action((o) => run(io, o.json, (p) => p.setDeviceEnabled(o.id, enabled)));
  }
  device
    .command('place')
    .description('say where a device is in the home, for the care rules')
    .requiredOption('--id <deviceId>')
    .addOption(new Option('--placement <placement>').choices([...PLACEMENTS, 'none']).makeOptionMandatory())
    .addOption(json)
    .action((o) => run(io, o.json, (p) => p.placeDevice(o.id, o.placement)));
  device
    .command('clear-flag')
    .description('clear the flag the gateway set on a device (it flooded); the device was never refused for it')
    .requiredOption('--id <deviceId>')
    .addOption(json)
    .action((o) =>
      run(io, o.json, async (_p, { flags }) => {
        const { id, flaggedAt, flagReason } = await flags.clear(CLI_ACTOR, o.id);
        return { id, flaggedAt, flagReason };
      }),
    );

  const user = program.command('user').description('people who log in to the dashboard');
  user
    .command('add')
    .requiredOption('--username <username>')
    .addOption(new Option('--role <role>').choices([...ROLES]).makeOptionMandatory())
    .option('--site <siteId>', 'required for staff and responder')
    .option('--resident <residentId>', 'required for family')
    .option('--name <displayName>')
    .addOption(json)
    .action((o) =>
      run(io, o.json, async (p) => {
        const { user: u, password } = await p.addUser({
          username: o.username,
          role: o.role,
          siteId: o.site,
          residentId: o.resident,
          displayName: o.name,
        });
        return { ...u, password };
      }),
    );
  user
    .command('shifts')
    .description("replace a staff member's weekly duty shifts (site zone): ring 1 of the escalation ladder")
    .requiredOption('--username <username>')
    .option('--shift <shift...>', 'ISO weekday and hours, e.g. "1 22:00-06:00" (Monday night); none: no shifts', [])
    .addOption(json)
    .action((o) => run(io, o.json, (p) => p.setShifts(o.username, o.shift)));
  user
    .command('reset-password')
    .requiredOption('--username <username>')
    .addOption(json)
    .action((o) =>
      run(io, o.json, async (p) => ({ username: o.username, password: await p.resetPassword(o.username) })),
    );

  const responder = program.command('responder').description('community responders of the 15-minute service circle');
  responder
    .command('add')
    .description('add a responder user at a community station, on the roster (their weekly shifts: user shifts)')
    .requiredOption('--username <username>')
    .requiredOption('--name <displayName>')
    .requiredOption('--station <siteId>', 'a site of kind station')
    .addOption(new Option('--mode <mode>', 'how they travel').choices([...TRAVEL_MODES]).makeOptionMandatory())
    .requiredOption('--lat <lat>', 'latitude of their home base', parseFloat)
    .requiredOption('--lon <lon>', 'longitude of their home base', parseFloat)
    .addOption(json)
    .action((o) =>
      run(io, o.json, async (_p, { responders }) => {
        const { responder: r, password } = await responders.add(CLI_ACTOR, {
          username: o.username,
          displayName: o.name,
          stationId: o.station,
          travelMode: o.mode,
          homeBase: { lat: o.lat, lon: o.lon },
        });
        return { ...r, username: o.username, password };
      }),
    );

  return program;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    await buildCli(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof CareCircleError || err instanceof ConfigError) {
      io.err(`error: ${err.message}\n`);
      return err instanceof ConfigError ? 2 : 1;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
