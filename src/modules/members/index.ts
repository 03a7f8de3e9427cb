import type { AppModule } from '../../platform/composition.js';
import { memberAuthRoutes, memberSelfRoutes, signUpSettingsRoutes } from './member-accounts.routes.js';
import { memberRoutes } from './members.routes.js';
import { notificationRoutes } from './notifications.routes.js';
import { memberPushRoutes } from './push.routes.js';

export const membersModule: AppModule = {
  name: 'members',
  routes: [memberRoutes, memberAuthRoutes, memberSelfRoutes, signUpSettingsRoutes, notificationRoutes, memberPushRoutes],
};

/** The platform's auth resolves shm_… bearer tokens through this table. */
export { memberSessionsRepo as memberSessions } from './member-accounts.repo.js';
