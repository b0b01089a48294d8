/** User roles (DESIGN.md, "Live updates and API"). */
export const ROLES = ['admin', 'supervisor', 'staff', 'responder', 'family'] as const;
export type Role = (typeof ROLES)[number];
