"""Connector specs the stand-in knows, transcribed from what each connector publishes: endpoint
and resource schemas (every property this project sends or that is required, with its type,
format, pattern, `secret` marker and `required` list exactly as published; long descriptions
dropped) and stream lists. Each block names its source; `GUESS:` marks what no published spec
showed. The rules that use them are in estuary_connectors.py.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------
# source-http-ingest
# Source: estuary/connectors source-http-ingest/src/lib.rs (`EndpointConfig`,
# `ResourceConfig`, `do_validate`; search index file id 30274145639). serde
# `rename_all = "camelCase"` and no `deny_unknown_fields`: an unknown key such as
# `require_auth_token` is accepted and ignored (so it is neither encrypted nor enforced).
# --------------------------------------------------------------------------------------
HTTP_INGEST_ENDPOINT = {
    "$schema": "https://json-schema.org/draft/2019-09/schema",
    "title": "EndpointConfig",
    "type": "object",
    "properties": {
        "requireAuthToken": {
            "title": "Authentication token",
            "type": ["string", "null"],
            "secret": True,
            "default": None,
        },
        "paths": {
            "title": "URL paths",
            "type": "array",
            "items": {"type": "string", "pattern": "/.+"},
            "default": ["/webhook-data"],
        },
        "allowedCorsOrigins": {
            "title": "CORS Allowed Origins",
            "type": "array",
            "items": {"type": "string"},
            "default": [],
        },
        "signatureConfig": {
            "title": "Signature Verification",
            "type": "object",
            "default": {"provider": "none"},
            "oneOf": [
                {
                    "title": "None",
                    "properties": {"provider": {"type": "string", "const": "none"}},
                    "required": ["provider"],
                },
                {
                    "title": "Twilio SendGrid",
                    "properties": {
                        "provider": {"type": "string", "const": "twilio"},
                        "publicKey": {"type": "string", "secret": True},
                        "maxSignatureAge": {"type": "integer", "minimum": 1, "maximum": 259200},
                    },
                    "required": ["provider", "publicKey"],
                },
                {
                    "title": "Custom",
                    "properties": {
                        "provider": {"type": "string", "const": "custom"},
                        "algorithm": {"type": "string", "enum": ["ecdsa"]},
                        "publicKey": {"type": "string", "secret": True},
                        "signatureHeader": {"type": "string"},
                        "timestampHeader": {"type": "string"},
                        "maxSignatureAge": {"type": "integer", "minimum": 1, "maximum": 259200},
                    },
                    "required": ["provider", "algorithm", "publicKey", "signatureHeader"],
                },
            ],
        },
    },
}
HTTP_INGEST_RESOURCE = {
    "$schema": "https://json-schema.org/draft/2019-09/schema",
    "title": "ResourceConfig",
    "type": "object",
    "properties": {
        "stream": {"type": ["string", "null"], "default": None},
        "path": {"type": ["string", "null"], "default": None},
        "idFromHeader": {"type": ["string", "null"], "default": None},
    },
}


# --------------------------------------------------------------------------------------
# materialize-snowflake
# Source: estuary/connectors materialize-snowflake/.snapshots/TestSpecification (the newest
# version in the search index, commit 050088af; search id 30228087696). `timestamp_type` is
# not in that snapshot: it is required from a later version on, with the four values below
# (docs/estuary.md, "Review, row by row" H8, and Estuary's own
# `materialize-snowflake-create` skill: "timestamp_type is required"; search id 62310983283).
# GUESS: the exact later snapshot was not in the index; the top level has no
# `additionalProperties: false`, so sending it to an older connector is harmless.
# --------------------------------------------------------------------------------------
TIMESTAMP_TYPES = (
    "TIMESTAMP_LTZ",
    "TIMESTAMP_NTZ (discard TZ)",
    "TIMESTAMP_NTZ (normalize to UTC)",
    "TIMESTAMP_TZ",
)
SNOWFLAKE_ENDPOINT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "SQL Connection",
    "required": ["host", "database", "schema", "credentials", "timestamp_type"],
    "properties": {
        "host": {"type": "string", "pattern": "^[^/:]+.snowflakecomputing.com$"},
        "database": {"type": "string"},
        "schema": {"type": "string"},
        "warehouse": {"type": "string"},
        "role": {"type": "string"},
        "account": {"type": "string"},
        "hardDelete": {"type": "boolean", "default": False},
        "timestamp_type": {"type": "string", "enum": list(TIMESTAMP_TYPES)},
        "credentials": {
            "type": "object",
            "title": "Authentication",
            "default": {"auth_type": "jwt"},
            "discriminator": {"propertyName": "auth_type"},
            "oneOf": [
                {
                    "title": "Private Key (JWT)",
                    "properties": {
                        "auth_type": {"type": "string", "const": "jwt", "default": "jwt"},
                        "user": {"type": "string"},
                        "private_key": {"type": "string", "multiline": True, "secret": True},
                    },
                    "required": ["auth_type", "private_key"],
                },
                {
                    "title": "OAuth2",
                    "properties": {
                        "auth_type": {"type": "string", "const": "oauth2"},
                        "client_id": {"type": "string", "secret": True},
                        "client_secret": {"type": "string", "secret": True},
                        "refresh_token": {"type": "string", "secret": True},
                    },
                    "required": ["auth_type", "client_id", "client_secret", "refresh_token"],
                },
                {
                    "title": "User Password",
                    "properties": {
                        "auth_type": {"type": "string", "const": "user_password"},
                        "user": {"type": "string"},
                        "password": {"type": "string", "secret": True},
                    },
                    "required": ["auth_type", "user", "password"],
                },
            ],
        },
        "syncSchedule": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "syncFrequency": {
                    "type": "string",
                    "enum": ["0s", "30s", "5m", "15m", "30m", "1h", "2h", "4h"],
                },
                "timezone": {"type": "string"},
                "fastSyncStartTime": {
                    "type": "string",
                    "pattern": "^(0?[0-9]|1[0-9]|2[0-3]):[0-5][0-9]$",
                },
                "fastSyncStopTime": {
                    "type": "string",
                    "pattern": "^(0?[0-9]|1[0-9]|2[0-3]):[0-5][0-9]$",
                },
                "fastSyncEnabledDays": {"type": "string"},
            },
        },
    },
}
SNOWFLAKE_RESOURCE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "SQL Table",
    "required": ["table"],
    "properties": {
        "table": {"type": "string", "x-collection-name": True},
        "schema": {"type": "string"},
        "delta_updates": {"type": "boolean"},
    },
}

# --------------------------------------------------------------------------------------
# Estuary-CDK connectors (HubSpot, Intercom, Gong) share the CDK's ResourceConfig:
# `additionalProperties: false`, `name` required, `interval` an ISO-8601 duration.
# --------------------------------------------------------------------------------------
CDK_RESOURCE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "_meta": {"anyOf": [{"type": "object"}, {"type": "null"}], "default": None},
        "name": {"type": "string"},
        "interval": {"type": "string", "format": "duration", "default": "PT0S"},
        "schedule": {"type": "string", "default": ""},
    },
}
_ACCESS_TOKEN = {
    "type": "object",
    "title": "AccessToken",
    "required": ["access_token"],
    "properties": {
        "credentials_title": {"type": "string", "const": "Private App Credentials"},
        "access_token": {"type": "string", "secret": True},
    },
}

# Source: estuary/connectors source-hubspot-native/tests/snapshots/snapshots__spec__stdout.json
# (commit 0b89ce18; search id 30934377643). `credentials.oneOf` lists ONLY the OAuth
# variant: the Private App (AccessToken) variant is in `$defs` and in the discriminator
# mapping but not offered, so a config with an access token fails validation.
HUBSPOT_ENDPOINT = {
    "type": "object",
    "title": "EndpointConfig",
    "required": ["credentials"],
    "$defs": {
        "AccessToken": _ACCESS_TOKEN,
        "BaseOAuth2Credentials": {
            "type": "object",
            "title": "OAuth",
            "required": ["client_id", "client_secret", "refresh_token"],
            "properties": {
                "credentials_title": {"type": "string", "const": "OAuth Credentials"},
                "client_id": {"type": "string", "secret": True},
                "client_secret": {"type": "string", "secret": True},
                "refresh_token": {"type": "string", "secret": True},
            },
            "x-oauth2-provider": "hubspot",
        },
    },
    "properties": {
        "credentials": {
            "title": "Authentication",
            "discriminator": {
                "propertyName": "credentials_title",
                "mapping": {
                    "OAuth Credentials": "#/$defs/BaseOAuth2Credentials",
                    "Private App Credentials": "#/$defs/AccessToken",
                },
            },
            "oneOf": [{"$ref": "#/$defs/BaseOAuth2Credentials"}],
        },
        "capturePropertyHistory": {"type": "boolean", "default": False},
        "useLegacyNamingForCustomObjects": {"type": "boolean", "default": False},
    },
}

# Source: estuary/connectors source-intercom-native/tests/snapshots/
# snapshots__spec__capture.stdout.json (commit 469242c7; search id 30384967829).
INTERCOM_ENDPOINT = {
    "type": "object",
    "title": "EndpointConfig",
    "required": ["credentials"],
    "$defs": {
        "AccessToken": _ACCESS_TOKEN,
        "_OAuth2Credentials": {
            "type": "object",
            "title": "OAuth",
            "required": ["client_id", "client_secret", "access_token"],
            "properties": {
                "credentials_title": {"type": "string", "const": "OAuth Credentials"},
                "client_id": {"type": "string", "secret": True},
                "client_secret": {"type": "string", "secret": True},
                "access_token": {"type": "string", "secret": True},
            },
        },
    },
    "properties": {
        "credentials": {
            "title": "Authentication",
            "oneOf": [{"$ref": "#/$defs/_OAuth2Credentials"}, {"$ref": "#/$defs/AccessToken"}],
        },
        "start_date": {"type": "string", "format": "date-time"},
        "advanced": {"type": "object"},
    },
}

# Source: estuary/connectors source-gong/tests/snapshots/snapshots__spec__stdout.json
# (commit 223eee65; search id 52773426208). The region is a sub-domain: the connector
# builds `https://{region}.api.gong.io` (source_gong/models.py; docs/estuary.md H5).
GONG_ENDPOINT = {
    "type": "object",
    "title": "EndpointConfig",
    "required": ["credentials"],
    "$defs": {
        "GongCredentials": {
            "type": "object",
            "required": ["access_key", "access_key_secret"],
            "properties": {
                "credentials_title": {"type": "string", "const": "API Key"},
                "access_key": {"type": "string", "secret": True},
                "access_key_secret": {"type": "string", "secret": True},
            },
        }
    },
    "properties": {
        "credentials": {"oneOf": [{"$ref": "#/$defs/GongCredentials"}]},
        "region": {"type": "string", "default": "us-55616"},
        "start_date": {"type": "string", "format": "date-time"},
        "calls_lookback_window": {"type": "integer", "minimum": 1, "maximum": 30, "default": 7},
    },
}


# --------------------------------------------------------------------------------------
# Airbyte-based connectors (GitHub, Slack): resources are {stream, syncMode}.
# --------------------------------------------------------------------------------------
AIRBYTE_RESOURCE = {
    # Source: estuary/flow site/docs/reference/Connectors/capture-connectors/github.md
    # "Bindings" table (both required). GUESS: the same shape for Slack (Airbyte protocol).
    "type": "object",
    "required": ["stream", "syncMode"],
    "properties": {
        "stream": {"type": "string"},
        "syncMode": {"type": "string", "enum": ["full_refresh", "incremental"]},
        "namespace": {"type": "string"},
        "cursorField": {"type": "array", "items": {"type": "string"}},
    },
}

# Source: estuary/flow site/docs/reference/Connectors/capture-connectors/github.md (commit
# 157b6fea; search id 34867326208): /credentials, /repository and /start_date are Required;
# start_date is "YYYY-MM-DDT00:00:00Z". Credential variants and the start_date pattern from
# the Airbyte spec the connector is forked from (airbytehq/airbyte source-github
# spec.json; search id 52699032969), where tokens are `airbyte_secret`.
GITHUB_ENDPOINT = {
    "type": "object",
    "required": ["credentials", "repository", "start_date"],
    "properties": {
        "credentials": {
            "type": "object",
            "oneOf": [
                {
                    "type": "object",
                    "title": "OAuth",
                    "required": ["access_token"],
                    "properties": {
                        "option_title": {"type": "string", "const": "OAuth Credentials"},
                        "access_token": {"type": "string", "airbyte_secret": True},
                    },
                },
                {
                    "type": "object",
                    "title": "Personal Access Token",
                    "required": ["personal_access_token"],
                    "properties": {
                        "option_title": {"type": "string", "const": "PAT Credentials"},
                        "personal_access_token": {"type": "string", "airbyte_secret": True},
                    },
                },
            ],
        },
        "repository": {"type": "string"},
        "start_date": {
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
            "format": "date-time",
        },
        "branch": {"type": "string"},
        "page_size_for_large_streams": {"type": "integer", "default": 10},
    },
}
# The docs' resource list (same page), as the Airbyte stream identifiers of its titles
# (GUESS: the identifiers; the titles are the docs'). There is no `discussions` resource.
GITHUB_STREAMS = (
    "assignees", "branches", "collaborators", "issue_labels", "pull_request_commits", "tags",
    "team_members", "team_memberships", "teams", "users", "comments",
    "commit_comment_reactions", "commit_comments", "commits", "deployments", "events",
    "issue_comment_reactions", "issue_events", "issue_milestones", "issue_reactions",
    "issues", "project_cards", "project_columns", "projects",
    "pull_request_comment_reactions", "pull_request_stats", "pull_requests", "releases",
    "repositories", "review_comments", "reviews", "stargazers", "workflow_runs", "workflows",
)  # fmt: skip


# Source: estuary/airbyte airbyte-integrations/connectors/source-slack/source_slack/
# spec.json (commit 15b3fd9e; search id 14667286652).
SLACK_ENDPOINT = {
    "type": "object",
    "required": ["start_date", "lookback_window", "join_channels"],
    "additionalProperties": True,
    "properties": {
        "start_date": {
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
            "format": "date-time",
        },
        "lookback_window": {"type": "integer"},
        "join_channels": {"type": "boolean", "default": True},
        "channel_filter": {"type": "array", "items": {"type": "string"}, "default": []},
        "credentials": {
            "type": "object",
            "oneOf": [
                {
                    "type": "object",
                    "required": ["option_title", "client_id", "client_secret", "access_token"],
                    "properties": {
                        "option_title": {
                            "type": "string",
                            "const": "Default OAuth2.0 authorization",
                        },
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string", "airbyte_secret": True},
                        "access_token": {"type": "string", "airbyte_secret": True},
                    },
                },
                {
                    "type": "object",
                    "required": ["option_title", "api_token"],
                    "properties": {
                        "option_title": {"type": "string", "const": "API Token Credentials"},
                        "api_token": {"type": "string", "airbyte_secret": True},
                    },
                },
            ],
        },
    },
}
# GUESS: the Airbyte Slack streams (channels, users, channel_messages, threads, ...).
SLACK_STREAMS = ("channels", "channel_members", "channel_messages", "threads", "users")
