/** Who is calling: always from the verified token, never from GraphQL arguments. */
export interface Viewer {
  tenantId: string;
  userId: string;
  roles: readonly string[];
}
