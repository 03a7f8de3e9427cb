import type { StaffRole } from '../db/types.js';
import { text, type Text } from '../i18n.js';

/** A staff role's name in words for a person (front_desk: front desk / 受付スタッフ). */
export const roleName = (role: StaffRole): Text => text(`platform.role.${role}`);

/** Roles as one list in the reader's language: "owner, manager" / "オーナー、マネージャー". */
export const roleList = (roles: readonly StaffRole[]): Text =>
  roles.slice(0, -1).reduceRight<Text>((tail, role) => text('platform.list', { head: roleName(role), tail }), roleName(roles.at(-1)!));
