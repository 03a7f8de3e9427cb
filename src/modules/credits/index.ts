import type { AppModule } from '../../platform/composition.js';
import { creditRoutes } from './credits.routes.js';

export const creditsModule: AppModule = { name: 'credits', routes: [creditRoutes] };
