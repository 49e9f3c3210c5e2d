"""Secret-shaped values the cases plant; none may ever appear in an output."""

PEM_PRIVATE = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDmtNpBvQyR2Wm5sFAKEkey\n"
    "-----END PRIVATE KEY-----\n"
)
DER_PRIVATE_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDmtNpBvQyR2Wm5sFAKEkeyAAAA"
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
GITHUB_PAT = "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
OPENAI_KEY = "sk-proj-" + "abcdefghijklmnopqrstuvwxyz012345"
SLACK_TOKEN = "xoxb-" + "123456789012-abcdefghijklmnop"
AWS_KEY = "AKIA" + "ABCDEFGHIJKLMNOP"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzb3BoaWEtdGVzdCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
# Supabase-shaped keys ({"iss": "supabase", "role": ...}): anon is public, service_role is not.
ANON_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSI"
    "sInJvbGUiOiJhbm9uIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
)
SERVICE_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSI"
    "sInJvbGUiOiJzZXJ2aWNlX3JvbGUifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
)
REFRESH = "eyJpZCI6ImFiY2RlZjAxMjM0NSIsInNlY3JldCI6InMzY3JldC12YWx1ZS14eXoifQ=="
PLANTED = (PEM_PRIVATE.splitlines()[1], DER_PRIVATE_BODY, GITHUB_TOKEN, GITHUB_PAT, OPENAI_KEY,
           SLACK_TOKEN, AWS_KEY, JWT, SERVICE_JWT, REFRESH, "REPLACE-WITH-pulumi")  # fmt: skip
