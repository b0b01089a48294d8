/** User roles (DESIGN.md, "Live updates and API"). */
export const ROLES = ['admin', 'supervisor', 'staff', 'responder', 'family'] as const;
export type Role = (typeof ROLES)[number];

/** Roles whose scope is one site; `admin` and `supervisor` see every site. */
export const SITE_SCOPED_ROLES: readonly Role[] = ['staff', 'responder'];
