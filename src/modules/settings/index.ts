import type { AppModule } from '../../platform/composition.js';
import { bookingSettingsRoutes, settingsRoutes } from './settings.routes.js';

export const settingsModule: AppModule = { name: 'settings', routes: [settingsRoutes, bookingSettingsRoutes] };
