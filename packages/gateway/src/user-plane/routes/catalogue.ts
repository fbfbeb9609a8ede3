/**
 * Every route of the user plane, in documentation order: the allow-list (CTL-17). The server
 * registers exactly these; a test compares the running route inventory with this list.
 */
import { auditRoutes } from './audit-routes.js';
import { careTeamRoutes } from './care-team-routes.js';
import { deviceRoutes } from './device-routes.js';
import { firmwareRoutes } from './firmware-routes.js';
import { maintenanceRoutes } from './maintenance-routes.js';
import { patientRoutes } from './patient-routes.js';
import type { RouteSpec } from './route-spec.js';
import { sessionRoutes } from './session-routes.js';
import { streamRoutes } from './stream-route.js';
import { systemRoutes } from './system-routes.js';
import { therapyRoutes } from './therapy-routes.js';
import { userRoutes } from './user-routes.js';

/** All route specs. */
export const ROUTE_SPECS: readonly RouteSpec[] = [
  ...Object.values(systemRoutes),
  ...Object.values(sessionRoutes),
  ...Object.values(patientRoutes),
  ...Object.values(streamRoutes),
  ...Object.values(deviceRoutes),
  ...Object.values(therapyRoutes),
  ...Object.values(maintenanceRoutes),
  ...Object.values(firmwareRoutes),
  ...Object.values(userRoutes),
  ...Object.values(careTeamRoutes),
  ...Object.values(auditRoutes),
];
