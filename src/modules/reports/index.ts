import type { AppModule } from '../../platform/composition.js';
import { reportRoutes } from './reports.routes.js';

export const reportsModule: AppModule = { name: 'reports', routes: [reportRoutes] };
