import { AuthChecker } from 'type-graphql';
import { unauthenticated } from '../auth/verifier';
import { forbidden } from '../domain/errors';
import { Viewer } from '../domain/viewer';
import { Context } from './context';

/** The role of a tenant's administrators: `@Authorized(ADMIN_ROLE)`. Admins administer their own tenant only. */
export const ADMIN_ROLE = 'admin';

const hasRoles = (viewer: Viewer, roles: readonly string[]) => roles.every((role) => viewer.roles.includes(role));

/** For what is shown to everyone but filled in for admins only (a topic's instructions, ...). */
export const isAdmin = (viewer: Viewer | null) => viewer !== null && hasRoles(viewer, [ADMIN_ROLE]);

/** The one role check; thrown as domain errors so they keep their code (UNAUTHENTICATED, FORBIDDEN). */
export function requireRoles(viewer: Viewer | null, roles: readonly string[]): Viewer {
  if (!viewer) throw unauthenticated();
  // FORBIDDEN's message names the admin role: the only role there is.
  if (!hasRoles(viewer, roles)) throw forbidden();
  return viewer;
}

/** Every operation is behind `@Authorized()`; admin operations behind `@Authorized(ADMIN_ROLE)`. */
export const authChecker: AuthChecker<Context> = ({ context }, roles) => {
  requireRoles(context.viewer, roles);
  return true;
};
