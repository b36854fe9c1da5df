/** The parallel-jobs module of the dispatcher: app.ts loads `registerJobRoutes` from here. */
export { registerJobRoutes } from './routes.js';
