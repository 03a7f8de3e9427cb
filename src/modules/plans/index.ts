import type { AppModule } from '../../platform/composition.js';
import { planRoutes } from './plans.routes.js';

export const plansModule: AppModule = { name: 'plans', routes: [planRoutes] };
