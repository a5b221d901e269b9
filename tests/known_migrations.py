"""The migrations there are, in order: what `roster migrate` applies to an empty database and
what readiness names while they are pending."""

MIGRATIONS = [
    "0001_initial",
    "0002_listing_indexes",
    "0003_users_text_columns",
    "0004_user_counts",
    "0005_user_count_slots",
    "0006_user_search_key",
    "0007_groups",
    "0008_group_roles",
    "0009_sso_connections",
    "0010_sso_assertions",
    "0011_provisioning_pause",
    "0012_provisioning_requests",
    "0013_deprovisioning_guard",
    "0014_request_ids",
    "0015_request_log_redaction",
]
PENDING = f"migrations not applied: {', '.join(MIGRATIONS)}; run `roster migrate`"
APPLIED = f"applied {len(MIGRATIONS)} migration(s): {', '.join(MIGRATIONS)}"
