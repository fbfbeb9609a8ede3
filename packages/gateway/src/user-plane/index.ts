/** The user plane: HTTPS API and live-stream WebSocket for people, and the user store. */
export { createUserPlane, type UserPlaneDeps, type UserPlaneOptions } from './server.js';
export { UserStore, normalizeUsername, type CreatedUser, type NewUser, type UserRecord, type UserStoreOptions } from '../users/user-store.js';
export type { PatientRecord } from '../users/patients.js';
export { checkPasswordPolicy, generatePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../users/password.js';
export { USER_ROLES, PRIVILEGED_ROLES, isUserRole, mfaRequired, type UserRole } from '../users/roles.js';
export { PERMISSIONS, allows, type Permission } from './rbac/permissions.js';
export { ROUTE_SPECS } from './routes/catalogue.js';
export { HTTP_STATUS } from './http-errors.js';
export { TOKEN_AUDIENCE, TOKEN_ISSUER } from './auth/access-token.js';
export { STREAM_CLOSE } from './stream/live-stream.js';
export { buildOpenApiDocument, renderOpenApi, OPENAPI_PATH } from './openapi.js';
export { renderAccessControl, ACCESS_CONTROL_PATH } from './access-control-doc.js';
