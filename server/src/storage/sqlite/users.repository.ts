import { createHash } from 'node:crypto';
import type { Role, User } from '@carecircle/protocol';
import { newId } from '../ids';
import type { Sql } from './database';

const COLUMNS = 'id, username, display_name AS displayName, role, site_id AS siteId, resident_id AS residentId';

/** Session tokens are random; only their SHA-256 is stored, so a database leak yields no live tokens. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class UsersRepository {
  constructor(private readonly db: Sql) {}

  create(
    input: {
      username: string;
      displayName: string;
      role: Role;
      siteId: string | null;
      residentId: string | null;
      passwordHash: string;
    },
    now: string,
  ): User {
    const user: User = {
      id: newId('usr'),
      username: input.username,
      displayName: input.displayName,
      role: input.role,
      siteId: input.siteId,
      residentId: input.residentId,
    };
    this.db
      .prepare(
        `INSERT INTO users (id, username, display_name, role, site_id, resident_id, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(user.id, user.username, user.displayName, user.role, user.siteId, user.residentId, input.passwordHash, now);
    return user;
  }

  get(id: string): User | null {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM users WHERE id = ?`).get(id) as User | undefined) ?? null;
  }

  findByUsername(username: string): (User & { passwordHash: string }) | null {
    return (
      (this.db
        .prepare(`SELECT ${COLUMNS}, password_hash AS passwordHash FROM users WHERE username = ?`)
        .get(username) as (User & { passwordHash: string }) | undefined) ?? null
    );
  }

  setPasswordHash(id: string, passwordHash: string): void {
    this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, id);
    this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(id);
  }

  createSession(userId: string, token: string, now: string, expiresAt: string): void {
    this.db
      .prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(tokenHash(token), userId, now, expiresAt);
  }

  /** The user behind a live session token, or null (unknown or expired). */
  userForToken(token: string, now: string): User | null {
    const row = this.db
      .prepare(
        `SELECT u.id, u.username, u.display_name AS displayName, u.role, u.site_id AS siteId, u.resident_id AS residentId
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?`,
      )
      .get(tokenHash(token), now) as User | undefined;
    return row ?? null;
  }

  deleteSession(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash(token));
  }

  purgeExpiredSessions(now: string): number {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes;
  }
}
