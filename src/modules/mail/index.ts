import type { AppModule } from '../../platform/composition.js';
import { mailRoutes } from './mail.routes.js';

export const mailModule: AppModule = { name: 'mail', routes: [mailRoutes] };
