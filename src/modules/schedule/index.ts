import type { AppModule } from '../../platform/composition.js';
import { catalogRoutes } from './catalog.routes.js';
import { instructorRoutes } from './instructors.routes.js';
import { lessonRoutes } from './lessons.routes.js';
import { roomRoutes } from './rooms.routes.js';

export const scheduleModule: AppModule = { name: 'schedule', routes: [catalogRoutes, roomRoutes, instructorRoutes, lessonRoutes] };
