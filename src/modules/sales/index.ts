import type { AppModule } from '../../platform/composition.js';
import { saleRoutes } from './sales.routes.js';

export const salesModule: AppModule = { name: 'sales', routes: [saleRoutes] };
