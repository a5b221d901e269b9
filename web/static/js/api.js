// Roster's GraphQL API, as the settings page uses it.
//
// gql() answers `data`, or throws an ApiError:
//   kind "UNAUTHENTICATED"  not signed in (the app shows the sign-in page)
//   kind "FORBIDDEN"        the viewer's role may not see this
//   kind "UNEXPECTED"       a bug on the server: errorId is what the admin quotes to support
//   kind "NETWORK"/"HTTP"   Roster could not be reached or answered something that is not GraphQL
//   kind <other code>       e.g. BAD_REQUEST, NOT_FOUND: the message says what is wrong
// mutate() answers { ok: payload } or { error: { __typename, message, field?, ... } } for the
// expected failures that mutations return as union members.

export const ERROR_FIELDS = `
  __typename
  ... on Error { message }
  ... on ValidationError { field }
  ... on VersionConflictError { expectedVersion currentVersion }
`;

export const USER_FIELDS = `
  id userName displayName givenName familyName
  emails { value primary }
  active role { key name } roleOrigin updatedAt version
  roleSource { origin group { id displayName } }
`;

export const TOKEN_FIELDS = `
  id name prefix createdAt lastUsedAt revokedAt createdBy { userName }
`;

export class ApiError extends Error {
  constructor(kind, message, { errorId = null, status = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.kind = kind;
    this.errorId = errorId;
    this.status = status;
  }
}

const listeners = { unauthenticated: [] };

/** Call `listener` whenever the server says the session is gone. */
export function onUnauthenticated(listener) {
  listeners.unauthenticated.push(listener);
}

export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-Roster-CSRF": "1",
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("NETWORK", "Roster could not be reached. Check your connection and try again.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!body || (typeof body !== "object")) {
    throw new ApiError("HTTP", `Roster answered with HTTP status ${response.status}.`, {
      status: response.status,
    });
  }
  const errors = Array.isArray(body.errors) ? body.errors : [];
  if (errors.length) {
    const unauthenticated = errors.find((e) => e.extensions?.code === "UNAUTHENTICATED");
    if (unauthenticated) {
      for (const listener of listeners.unauthenticated) listener();
      throw new ApiError("UNAUTHENTICATED", unauthenticated.message);
    }
    const first = errors.find((e) => e.extensions?.errorId) ?? errors[0];
    const code = first.extensions?.code;
    const errorId = first.extensions?.errorId ?? null;
    const kind = code ?? (errorId ? "UNEXPECTED" : "ERROR");
    throw new ApiError(kind, first.message || "Something went wrong.", {
      errorId,
      status: response.status,
    });
  }
  if (!response.ok || !body.data) {
    throw new ApiError("HTTP", `Roster answered with HTTP status ${response.status}.`, {
      status: response.status,
    });
  }
  return body.data;
}

/** Run a mutation whose result is a union of a payload and error types. */
export async function mutate(query, variables, key) {
  const data = await gql(query, variables);
  const result = data[key];
  if (result && typeof result.__typename === "string" && result.__typename.endsWith("Error")) {
    return { error: result };
  }
  return { ok: result };
}

const FIND_USER = `query FindUser($search: String) { users(first: 5, search: $search) { edges { node { id userName } } } }`;

/** The user whose userName is exactly `userName` (whatever its case) as { id, userName }, or null. */
export async function userNamed(userName) {
  const edges = (await gql(FIND_USER, { search: userName })).users.edges;
  return edges.map((e) => e.node).find((u) => u.userName.toLowerCase() === userName.toLowerCase()) ?? null;
}

/** The text to show for an error thrown by gql(). */
export function describeError(error) {
  if (error instanceof ApiError) {
    if (error.kind === "UNEXPECTED") {
      return `Unexpected error. If it happens again, quote error ID ${error.errorId} to support.`;
    }
    if (error.kind === "FORBIDDEN") {
      return `Your role does not allow this. (${error.message})`;
    }
    return error.message;
  }
  console.warn(error); // a bug in this page: keep the details for the developer console
  return "Something went wrong in this page. Reload it and try again.";
}

export const VIEWER_FIELDS = `
  user { id userName role { key name } }
  organization { name slug }
  permissions
`;
