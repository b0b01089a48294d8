/**
 * The `StateStore` port (DESIGN.md, "Storage"): sites, homes, residents, devices, users,
 * alerts and the audit log. The embedded adapter is SQLite; `transaction` runs a function
 * atomically across all of them (and the journal offsets in the same database).
 */

import { AlertsRepository } from './sqlite/alerts.repository';
import { AuditRepository } from './sqlite/audit.repository';
import type { Db } from './sqlite/database';
import { DevicesRepository } from './sqlite/devices.repository';
import { ResidentsRepository } from './sqlite/residents.repository';
import { SitesRepository } from './sqlite/sites.repository';
import { UsersRepository } from './sqlite/users.repository';

export interface StateStore {
  sites: SitesRepository;
  residents: ResidentsRepository;
  devices: DevicesRepository;
  users: UsersRepository;
  alerts: AlertsRepository;
  audit: AuditRepository;
  transaction<T>(fn: () => T): T;
  /** True while the underlying database answers. */
  healthy(): boolean;
}

export function createSqliteStateStore(db: Db): StateStore {
  return {
    sites: new SitesRepository(db),
    residents: new ResidentsRepository(db),
    devices: new DevicesRepository(db),
    users: new UsersRepository(db),
    alerts: new AlertsRepository(db),
    audit: new AuditRepository(db),
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    healthy: () => {
      try {
        db.prepare('SELECT 1').get();
        return true;
      } catch {
        return false;
      }
    },
  };
}
