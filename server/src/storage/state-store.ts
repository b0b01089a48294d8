/**
 * The `StateStore` port (DESIGN.md, "Storage"): sites, homes, residents, devices, users,
 * alerts and the audit log. The embedded adapter is SQLite; `transaction` runs a function
 * atomically across all of them (and the journal offsets in the same database).
 */

import { AlertsRepository } from './sqlite/alerts.repository';
import { AuditRepository } from './sqlite/audit.repository';
import { type Db, statementCache } from './sqlite/database';
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
  const sql = statementCache(db);
  return {
    sites: new SitesRepository(sql),
    residents: new ResidentsRepository(sql),
    devices: new DevicesRepository(sql),
    users: new UsersRepository(sql),
    alerts: new AlertsRepository(sql),
    audit: new AuditRepository(sql),
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
