"""Local stand-ins for the LLM providers behind the gateway (OpenAI, Anthropic, Mistral shapes).

Each upstream records every request it receives (path, model, max_tokens, auth headers and the
status it answered) so tests can prove where the gateway sent traffic. `fail[model] = status`
makes every call for that model answer `status` with the provider's error body; `delay[model] = s`
makes it answer only after `s` seconds (a hung provider, for request_timeout).

Error bodies follow the providers' documented shapes: Anthropic `{"type": "error", "error": {"type":
...}}` with overloaded_error for 529 and not_found_error for 404 (docs.anthropic.com/en/api/errors);
OpenAI `{"error": {"message", "type", "code"}}` with code model_not_found for 404
(platform.openai.com/docs/guides/error-codes).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class UpstreamCall:
    path: str
    model: str | None
    max_tokens: int | None
    max_completion_tokens: int | None
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeUpstream:
    """One provider endpoint on 127.0.0.1; `base_url` is what goes into custom_host."""

    kind: str  # "openai" | "anthropic" | "mistral"
    fail: dict[str, int] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    calls: list[UpstreamCall] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def models_called(self) -> list[str | None]:
        with self._lock:
            return [call.model for call in self.calls]

    def start(self) -> FakeUpstream:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                model = body.get("model")
                status = upstream.fail.get(model, 200)
                with upstream._lock:
                    upstream.calls.append(
                        UpstreamCall(
                            path=self.path,
                            model=model,
                            max_tokens=body.get("max_tokens"),
                            max_completion_tokens=body.get("max_completion_tokens"),
                            status=status,
                            headers={key.lower(): value for key, value in self.headers.items()},
                            body=body,
                        )
                    )
                payload = upstream._answer(self.path, model, status)
                data = json.dumps(payload).encode()
                if model in upstream.delay:
                    time.sleep(upstream.delay[model])
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the gateway gave up waiting (request_timeout)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _answer(self, path: str, model: str | None, status: int) -> dict[str, Any]:
        text = f"{self.kind}:{model}"
        if self.kind == "anthropic":
            if status != 200:
                kind = _ANTHROPIC_ERRORS.get(status, "api_error")
                return {"type": "error", "error": {"type": kind, "message": text}}
            return {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 5, "output_tokens": 3},
            }
        if status == 404:
            return {
                "error": {
                    "message": text,
                    "type": "invalid_request_error",
                    "code": "model_not_found",
                }
            }
        if status != 200:
            return {"error": {"message": text, "type": "server_error", "code": str(status)}}
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
        }
