// Words and numbers as the admin reads them.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

export function parseDate(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatDateTime(value) {
  const date = parseDate(value);
  return date ? dateTime.format(date) : "";
}

/** "just now", "3 minutes ago", "yesterday", "2 months ago". */
export function timeAgo(value, now = Date.now()) {
  const date = parseDate(value);
  if (!date) return "";
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  const steps = [
    [60 * 60, 60, "minute"],
    [60 * 60 * 24, 60 * 60, "hour"],
    [60 * 60 * 24 * 30, 60 * 60 * 24, "day"],
    [60 * 60 * 24 * 365, 60 * 60 * 24 * 30, "month"],
    [Infinity, 60 * 60 * 24 * 365, "year"],
  ];
  for (const [limit, size, unit] of steps) {
    if (abs < limit) return relative.format(Math.round(seconds / size), unit);
  }
  return dateTime.format(date);
}

// Where a user's role came from; the first that applies wins (see the Groups page).
export const ROLE_ORIGINS = {
  IDENTITY_PROVIDER: {
    label: "From the identity provider",
    hint: "Stated by the identity provider: Okta's permissionsRole, or Entra ID's app role or extension attribute.",
  },
  GROUP: {
    label: "From a group",
    hint: "The highest-ranked role among the roles of the user's groups (the identity provider stated none).",
  },
  MANUAL: {
    label: "Set by hand",
    hint: "Set by an admin; a role from the identity provider or a group takes precedence.",
  },
  DEFAULT: {
    label: "Default (no role given)",
    hint: "Neither the identity provider nor a group gives a role, and none was set by hand: the organization's default role applies.",
  },
};

export function originLabel(origin) {
  return ROLE_ORIGINS[origin]?.label ?? origin;
}

export const CHANNELS = { SCIM: "SCIM", GRAPHQL: "Settings page / API", CLI: "Command line" };

export const ACTIONS = {
  "user.provisioned": "User provisioned",
  "user.replaced": "User updated (full replace)",
  "user.updated": "User updated",
  "user.deactivated": "User deactivated",
  "user.reactivated": "User reactivated",
  "user.deleted": "User deleted",
  "user.role_assigned": "Role changed by hand",
  "user.role_changed": "Role changed by a group",
  "group.created": "Group created",
  "group.replaced": "Group updated (full replace)",
  "group.updated": "Group updated",
  "group.deleted": "Group deleted",
  "group.role_set": "Group role changed",
  "user.provision_failed": "Provisioning failed",
  "user.replace_failed": "Update (replace) failed",
  "user.update_failed": "Update failed",
  "role.created": "Custom role created",
  "role.updated": "Custom role changed",
  "role.deleted": "Custom role deleted",
  "scim_token.issued": "SCIM token generated",
  "scim_token.revoked": "SCIM token revoked",
  "api_token.issued": "API token created",
  "api_token.revoked": "API token revoked",
  "organization.created": "Organization created",
  "organization.updated": "Organization settings changed",
  "organization.sso_enforcement_set": "Single sign-on enforcement changed",
  "organization.provisioning_paused": "Provisioning paused",
  "organization.provisioning_resumed": "Provisioning resumed",
  "user.deprovisioning_held": "Deactivation held for review",
  "organization.held_changes_confirmed": "Held deactivations confirmed",
  "organization.held_changes_rejected": "Held deactivations rejected",
  "organization.deprovisioning_guard_set": "Mass-deactivation protection changed",
  "organization.request_log_redaction_set": "Provisioning log redaction changed",
  "sso.connection_created": "Single sign-on set up",
  "sso.connection_changed": "Single sign-on changed",
  "sso.connection_deleted": "Single sign-on removed",
  "sso.sign_in_refused": "Single sign-on refused",
  "admin.created": "Admin created",
  "admin.signed_in": "Signed in",
  "admin.signed_out": "Signed out",
};

export function actionLabel(action) {
  if (ACTIONS[action]) return ACTIONS[action];
  const words = action.replace(/[._]/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function isFailure(action) {
  return action.endsWith("_failed") || action.endsWith("_refused");
}

const FIELD_LABELS = {
  user_name: "User name",
  display_name: "Display name",
  given_name: "Given name",
  family_name: "Family name",
  middle_name: "Middle name",
  nick_name: "Nickname",
  external_id: "External ID",
  emails: "Emails",
  phone_numbers: "Phone numbers",
  active: "Active",
  role: "Role",
  role_origin: "Role origin",
  extras: "Other attributes",
  key: "Role ID",
  name: "Name",
  description: "Description",
  permission_level: "Permission level",
  restricted_apps: "Restricted apps",
  default_role: "Default role",
  slug: "Slug",
  prefix: "Token prefix",
  revoked_at: "Revoked",
  moved_to: "Users moved to",
  users_moved: "Users moved",
  title: "Title",
  locale: "Locale",
  timezone: "Time zone",
  preferred_language: "Preferred language",
  user_type: "User type",
};

export function fieldLabel(name) {
  if (FIELD_LABELS[name]) return FIELD_LABELS[name];
  const words = name.replace(/_/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function isEmptyValue(value) {
  if (value === null || value === undefined || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A value of an audit entry's `changes`, as text. */
export function formatValue(name, value) {
  if (isEmptyValue(value)) return "(none)";
  if (name === "role_origin") {
    return originLabel(String(value).toUpperCase());
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string" && ISO_DATE.test(value)) return formatDateTime(value) || value;
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        if (item && typeof item === "object" && "value" in item) {
          const notes = [item.type, item.primary ? "primary" : null].filter(Boolean);
          return notes.length ? `${item.value} (${notes.join(", ")})` : String(item.value);
        }
        return typeof item === "object" ? JSON.stringify(item) : String(item);
      })
      .join(", ");
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The display name of a user: "Jane Doe", or nothing. */
export function personName(user) {
  if (user.displayName) return user.displayName;
  return [user.givenName, user.familyName].filter(Boolean).join(" ");
}

export function primaryEmail(user) {
  const emails = user.emails ?? [];
  return (emails.find((e) => e.primary) ?? emails[0])?.value ?? "";
}

/** "SCIM token 'Okta' (rst_scim_AbCd)" -> { name: "Okta", prefix: "rst_scim_AbCd" }. */
export function parseScimActor(label) {
  const match = /^SCIM token (['"])(.*)\1 \(([^)]+)\)$/.exec(label);
  return match ? { name: match[2], prefix: match[3] } : null;
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}
