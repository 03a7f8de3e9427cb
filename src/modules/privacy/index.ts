import type { AppModule } from '../../platform/composition.js';
import { privacyRoutes } from './privacy.routes.js';

/** Members' data requests (APPI / GDPR): export, and erasure with the books kept. */
export const privacyModule: AppModule = { name: 'privacy', routes: [privacyRoutes] };
