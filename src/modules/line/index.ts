import type { AppModule } from '../../platform/composition.js';
import { lineRoutes } from './line.routes.js';

export const lineModule: AppModule = { name: 'line', routes: [lineRoutes] };
