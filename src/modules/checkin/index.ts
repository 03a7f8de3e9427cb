import type { AppModule } from '../../platform/composition.js';
import { checkInRoutes } from './checkin.routes.js';

export const checkinModule: AppModule = { name: 'checkin', routes: [checkInRoutes] };
