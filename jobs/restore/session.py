"""The Snowflake side: a session that runs checked statements and records their query ids.

The real session is snowflake-connector-python with the stack's key-pair deploy user
(`authenticator="SNOWFLAKE_JWT"`, `private_key=` a key object; connector `connection.py`
DEFAULT_CONFIGURATION, https://docs.snowflake.com/en/developer-guide/python-connector/
python-connector-connect, key-pair authentication). `QUERY_TAG` is a session parameter, so
every statement of the session carries it
(https://docs.snowflake.com/en/sql-reference/parameters, QUERY_TAG); TIMEZONE=UTC makes the
timestamps Snowflake returns comparable with ours.

Errors never carry the key: the key is read here from the environment, handed to the connector
as an object, and any message that leaves this module is scrubbed of the PEM's lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlglot import exp

from jobs.restore.declared import Connection
from jobs.restore.outcome import CouldNotCheck, Executed
from jobs.restore.sql import render

KEY_ENV = (
    "SNOWFLAKE_PRIVATE_KEY"  # the deploy key in the stack's environment (docs/ci-identities.md)
)
PASSPHRASE_ENV = "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"


class SnowflakeError(Exception):
    """Snowflake answered a statement with an error (text scrubbed)."""

    def __init__(self, errno: int | None, message: str) -> None:
        super().__init__(message)
        self.errno = errno
        self.message = message


@dataclass
class Answer:
    rows: list[dict[str, Any]]
    query_id: str | None


class Session(Protocol):
    def run(self, check: str, statement: exp.Expression) -> Answer: ...

    def close(self) -> None: ...


def has_credentials(environ: Mapping[str, str] | None = None) -> bool:
    return bool((environ if environ is not None else os.environ).get(KEY_ENV, "").strip())


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        for line in secret.splitlines():
            line = line.strip()
            if len(line) >= 8 and not line.startswith("-----"):
                text = text.replace(line, "(value not shown)")
    return text


def load_private_key(environ: Mapping[str, str]) -> Any:
    """The key object from SNOWFLAKE_PRIVATE_KEY (PEM), never echoed."""
    from cryptography.hazmat.primitives import serialization

    pem = environ.get(KEY_ENV, "")
    passphrase = environ.get(PASSPHRASE_ENV) or None
    try:
        return serialization.load_pem_private_key(
            pem.encode(), password=passphrase.encode() if passphrase else None
        )
    except (ValueError, TypeError):
        raise CouldNotCheck(
            "connect",
            f"{KEY_ENV} is not a PEM private key (or {PASSPHRASE_ENV} does not open it); "
            "value not shown",
        ) from None
    except Exception as err:  # cryptography's UnsupportedAlgorithm and friends
        raise CouldNotCheck(
            "connect", f"{KEY_ENV} could not be loaded ({type(err).__name__}); value not shown"
        ) from None


class ConnectorSession:
    """A connector connection; `run` renders (round-trip checked), executes, records sfqid."""

    def __init__(self, connection: Any, secrets: list[str]) -> None:
        self._connection = connection
        self._secrets = secrets
        self.executed: list[Executed] = []

    def run(self, check: str, statement: exp.Expression) -> Answer:
        from snowflake.connector import DictCursor
        from snowflake.connector.errors import Error as ConnectorError

        text = render(statement)
        cursor = self._connection.cursor(DictCursor)
        try:
            cursor.execute(text)
            rows = list(cursor.fetchall())
        except ConnectorError as err:
            message = _scrub(str(getattr(err, "msg", None) or err), self._secrets)
            self.executed.append(Executed(check, text, getattr(err, "sfqid", None), 0))
            raise SnowflakeError(getattr(err, "errno", None), message) from None
        finally:
            query_id = getattr(cursor, "sfqid", None)
            cursor.close()
        self.executed.append(Executed(check, text, query_id, len(rows)))
        return Answer(rows=rows, query_id=query_id)

    def close(self) -> None:
        self._connection.close()


def connect(
    connection: Connection,
    query_tag: str,
    environ: Mapping[str, str],
    connect_fn: Callable[..., Any] | None = None,
) -> ConnectorSession:
    """Log in as the stack's deploy user with its key pair; QUERY_TAG on the session."""
    key = load_private_key(environ)
    if connect_fn is None:
        import snowflake.connector

        connect_fn = snowflake.connector.connect
    secrets = [environ.get(KEY_ENV, ""), environ.get(PASSPHRASE_ENV, "")]
    try:
        conn = connect_fn(
            account=connection.account,
            user=connection.user,
            role=connection.role,
            warehouse=connection.warehouse,
            authenticator="SNOWFLAKE_JWT",
            private_key=key,
            session_parameters={"QUERY_TAG": query_tag, "TIMEZONE": "UTC"},
            application="sophia-infra-restore",
        )
    except Exception as err:
        raise CouldNotCheck(
            "connect",
            f"cannot log in to {connection.account} as {connection.user} with role "
            f"{connection.role}: {_scrub(str(err), secrets)[:300]}",
        ) from None
    return ConnectorSession(conn, secrets)
