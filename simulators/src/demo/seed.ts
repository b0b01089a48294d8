/**
 * Seeds the demo: a care facility with 24 residents and a community service station with homes,
 * each resident with devices, and one user per role. Idempotent: on a second run it reuses the
 * records and issues fresh device secrets and one-time passwords (only hashes are stored, so
 * the old ones cannot be shown again).
 */
import type { DeviceType, Role } from '@carecircle/protocol';
import type { ProvisioningService, StateStore } from '@carecircle/server';

export const DEMO_FACILITY = '阳光颐养院 Sunshine Care Home';
export const DEMO_STATION = '和平社区服务站 Heping Community Station';

const FACILITY_RESIDENTS = [
  '王秀英',
  '李桂兰',
  '张淑珍',
  '刘玉梅',
  '陈建国',
  '杨志强',
  '赵凤英',
  '黄德明',
  '周丽华',
  '吴文斌',
  '徐秀兰',
  '孙永福',
  '马淑芬',
  '朱国华',
  '胡桂芳',
  '郭明亮',
  '何玉兰',
  '高建华',
  '林秀珍',
  '罗振华',
  '郑美华',
  '梁光明',
  '谢翠英',
  '宋长海',
];
const HOME_RESIDENTS = [
  { name: '曹玉珍', address: '和平里三区 5 号楼 2 单元 301', lat: 39.9563, lon: 116.4178 },
  { name: '许德胜', address: '和平里七区 12 号楼 1 单元 602', lat: 39.9588, lon: 116.4121 },
  { name: '韩素芬', address: '安德里北街 21 号院 3 号楼 104', lat: 39.9521, lon: 116.4032 },
  { name: '冯宝山', address: '地坛北门外 8 号楼 2 单元 201', lat: 39.9607, lon: 116.4156 },
];

export interface DemoDevice {
  id: string;
  secret: string;
  type: DeviceType;
  residentId: string;
  residentName: string;
  siteId: string;
}

export interface DemoUser {
  username: string;
  password: string;
  role: Role;
  site: string | null;
}

export interface DemoSeed {
  facilityId: string;
  stationId: string;
  devices: DemoDevice[];
  users: DemoUser[];
}

function devicesFor(index: number, atHome: boolean): DeviceType[] {
  const types: DeviceType[] = ['sos_button'];
  if (atHome || index % 2 === 0) types.push('fall_detector');
  else types.push('presence_sensor');
  if (atHome || index % 3 === 0) types.push('door_sensor');
  if (!atHome && index % 4 === 1) types.push('bed_sensor');
  return types;
}

/**
 * `provisioning` is the caller's: the demo passes the platform's own (so the gateway's cache
 * hears of rotated secrets), tests pass one with a cheap hash cost.
 */
export async function seedDemo(provisioning: ProvisioningService, store: StateStore): Promise<DemoSeed> {
  const facility =
    (await store.sites.findByName(DEMO_FACILITY)) ??
    (await provisioning.addSite({ name: DEMO_FACILITY, kind: 'facility' }));
  const station =
    (await store.sites.findByName(DEMO_STATION)) ??
    (await provisioning.addSite({ name: DEMO_STATION, kind: 'station' }));

  const residents: { id: string; name: string; siteId: string; atHome: boolean }[] = [];
  const existing = new Map(
    [...(await store.residents.listBySite(facility.id)), ...(await store.residents.listBySite(station.id))].map((r) => [
      r.name,
      r,
    ]),
  );
  for (const [i, name] of FACILITY_RESIDENTS.entries()) {
    const room = `${Math.floor(i / 8) + 1}${String((i % 8) + 1).padStart(2, '0')}`;
    const r = existing.get(name) ?? (await provisioning.addResident({ siteId: facility.id, name, room }));
    residents.push({ id: r.id, name, siteId: facility.id, atHome: false });
  }
  for (const h of HOME_RESIDENTS) {
    let r = existing.get(h.name);
    if (!r) {
      const home = await provisioning.addHome({ siteId: station.id, address: h.address, lat: h.lat, lon: h.lon });
      r = await provisioning.addResident({ siteId: station.id, homeId: home.id, name: h.name });
    }
    residents.push({ id: r.id, name: h.name, siteId: station.id, atHome: true });
  }

  const issuing: Promise<DemoDevice>[] = [];
  const byResident = new Map<string, { id: string; type: DeviceType }[]>();
  for (const d of await store.devices.list()) {
    if (!d.residentId) continue;
    byResident.set(d.residentId, [...(byResident.get(d.residentId) ?? []), { id: d.id, type: d.type }]);
  }
  // Hashing dominates; scrypt runs on libuv's thread pool, so issue the secrets side by side.
  for (const [i, r] of residents.entries()) {
    const have = byResident.get(r.id) ?? [];
    for (const type of devicesFor(i, r.atHome)) {
      const found = have.find((d) => d.type === type);
      const issued = found
        ? provisioning.rotateDeviceSecret(found.id).then((secret) => ({ id: found.id, secret }))
        : provisioning
            .addDevice({ siteId: r.siteId, residentId: r.id, type })
            .then(({ device, secret }) => ({ id: device.id, secret }));
      issuing.push(issued.then((d) => ({ ...d, type, residentId: r.id, residentName: r.name, siteId: r.siteId })));
    }
  }
  const devices = await Promise.all(issuing);

  const wanted: { username: string; role: Role; siteId?: string; residentId?: string; displayName: string }[] = [
    { username: 'admin', role: 'admin', displayName: '系统管理员 Admin' },
    { username: 'supervisor', role: 'supervisor', displayName: '周主管 Supervisor Zhou' },
    { username: 'staff', role: 'staff', siteId: facility.id, displayName: '李护理 Nurse Li' },
    { username: 'station', role: 'staff', siteId: station.id, displayName: '赵社工 Social worker Zhao' },
    { username: 'family', role: 'family', residentId: residents[0]!.id, displayName: '王小明 (family of 王秀英)' },
  ];
  const users: DemoUser[] = [];
  for (const w of wanted) {
    const password = (await store.users.findByUsername(w.username))
      ? await provisioning.resetPassword(w.username)
      : (await provisioning.addUser(w)).password;
    const site = w.siteId === facility.id ? facility.name : w.siteId === station.id ? station.name : null;
    users.push({ username: w.username, password, role: w.role, site });
  }
  return { facilityId: facility.id, stationId: station.id, devices, users };
}
