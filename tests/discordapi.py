"""A stand-in for Discord's REST API v10 on 127.0.0.1, for driving the real discord.py in tests.

It runs in its own thread and event loop (like tests/feedserver.py), keeps the messages, threads,
webhooks and application commands it is sent (attachments of multipart messages included), records every call, and can be told to fail the next
matching requests the way Discord does: 429 with its rate-limit headers, 403 50013, 404 10003...
Responses carry 'Via', as Discord's do: discord.py treats a 429 without it as a Cloudflare ban.
Ids are time-based snowflakes; a message created with a nonce and enforce_nonce comes back instead
of a new one when the same author reuses the nonce within `nonce_window` seconds.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.threaded import ThreadedServer

PREFIX = "/api/v10"

ERROR_MESSAGES = {
    0: "401: Unauthorized",
    10003: "Unknown Channel",
    10008: "Unknown Message",
    10015: "Unknown Webhook",
    50001: "Missing Access",
    50013: "Missing Permissions",
    50035: "Invalid Form Body",
    160004: "A thread has already been created for this message",
}
DEFAULT_CODES = {401: 0, 403: 50013, 404: 10003}
DISCORD_EPOCH_MS = 1_420_070_400_000


@dataclass
class Call:
    method: str
    path: str  # below /api/v10, e.g. "/channels/1/messages"
    json: Any
    headers: dict[str, str]
    query: dict[str, str]
    status: int = 0


@dataclass
class _Fault:
    method: str
    path_prefix: str
    status: int
    retry_after: float
    code: int | None
    times: int
    global_: bool


@dataclass
class Webhook:
    id: int
    token: str
    channel_id: int
    name: str = "Radar"


@dataclass
class Thread:
    id: int
    parent_id: int
    name: str
    auto_archive_duration: int


class _Snowflakes:
    """Ids as Discord makes them: the creation time in the top bits, so `after` a time works."""

    def __init__(self) -> None:
        self._last = 0

    def __next__(self) -> int:
        now = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(self._last + 1, now)
        return self._last


@dataclass
class _State:
    channels: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    threads: dict[int, Thread] = field(default_factory=dict)
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)


class DiscordAPI(ThreadedServer):
    """Start with `DiscordAPI().start()`, point discord.py at `.base_url`, `stop()` at the end."""

    def __init__(
        self, bot_token: str = "test-bot-token", guild_id: int = 900000000000000001
    ) -> None:
        super().__init__()
        self.bot_token = bot_token
        self.guild_id = guild_id
        self.bot_id = 910000000000000001
        self.application_id = 920000000000000001
        self.calls: list[Call] = []
        self._state = _State()
        self._faults: list[_Fault] = []
        self._ids = _Snowflakes()
        self._lock = threading.Lock()
        # Discord checks an enforced nonce "in the past few minutes"; tests may shorten it.
        self.nonce_window = 300.0
        self._nonces: dict[tuple[str, str], tuple[float, int, int]] = {}  # → (when, channel, id)

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def bot_env(self) -> dict[str, str]:
        """The environment a Radar in bot mode needs to reach this stand-in."""
        return {
            "DISCORD_TOKEN": self.bot_token,
            "DISCORD_API_BASE_URL": self.base_url,
            "DISCORD_GUILD_ID": str(self.guild_id),
        }

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", PREFIX + "/{tail:.*}", self._handle)
        return app

    # -- set-up and inspection -------------------------------------------------------------------

    def add_channel(self, channel_id: int | None = None) -> int:
        with self._lock:
            cid = channel_id if channel_id is not None else next(self._ids)
            self._state.channels.setdefault(cid, {})
            return cid

    def add_webhook(self, channel_id: int | None = None, token: str | None = None) -> Webhook:
        cid = self.add_channel(channel_id)
        with self._lock:
            wid = next(self._ids)
            hook = Webhook(wid, token or f"tok-{wid}-" + "x" * 60, cid)
            self._state.webhooks[wid] = hook
            return hook

    def webhook_url(self, hook: Webhook, host: str = "https://discord.com/api") -> str:
        """The URL Discord would show for the webhook (pass host=self.base_url for a local one)."""
        return f"{host}/webhooks/{hook.id}/{hook.token}"

    def messages(self, channel_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._state.channels.get(channel_id, {}).values()]

    def message(self, channel_id: int, message_id: int) -> dict[str, Any]:
        with self._lock:
            return dict(self._state.channels[channel_id][message_id])

    def webhook_messages(self, webhook_id: int) -> list[dict[str, Any]]:
        hook = self._state.webhooks[webhook_id]
        return [m for m in self.messages(hook.channel_id) if m.get("webhook_id") == str(webhook_id)]

    @property
    def threads(self) -> dict[int, Thread]:
        with self._lock:
            return dict(self._state.threads)

    @property
    def commands(self) -> dict[str, list[dict[str, Any]]]:
        """Registered commands by scope: "global" or the guild id as a string."""
        with self._lock:
            return {k: list(v) for k, v in self._state.commands.items()}

    @property
    def interaction_callbacks(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._state.callbacks)

    def calls_to(self, method: str, path_prefix: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.path.startswith(path_prefix)]

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        status: int = 429,
        retry_after: float = 0.5,
        code: int | None = None,
        times: int = 1,
        global_: bool = False,
    ) -> None:
        """Answer the next `times` requests matching method and path (below /api/v10) with an error."""
        with self._lock:
            self._faults.append(
                _Fault(method.upper(), path_prefix, status, retry_after, code, times, global_)
            )

    def component_interaction(
        self, channel_id: int, message_id: int, custom_id: str, user_id: int = 930000000000000001
    ) -> dict[str, Any]:
        """The gateway's INTERACTION_CREATE data for a button click on a stored message."""
        return self._interaction(
            3,
            channel_id,
            {"custom_id": custom_id, "component_type": 2},
            user_id,
            "0",
            message=self.message(channel_id, message_id),
        )

    def command_interaction(
        self,
        channel_id: int,
        subcommand: str,
        options: list[dict[str, Any]],
        permissions: int = 0,
        user_id: int = 930000000000000001,
    ) -> dict[str, Any]:
        """The gateway's INTERACTION_CREATE data for `/radar <subcommand>` typed in a channel."""
        data = {
            "id": "1",
            "name": "radar",
            "type": 1,
            "guild_id": str(self.guild_id),
            "options": [{"name": subcommand, "type": 1, "options": options}],
        }
        return self._interaction(2, channel_id, data, user_id, str(permissions))

    def _interaction(
        self,
        kind: int,
        channel_id: int,
        data: dict[str, Any],
        user_id: int,
        permissions: str,
        **extra: Any,
    ) -> dict[str, Any]:
        interaction_id = self._next_id()
        user = {"id": str(user_id), "username": "reader", "discriminator": "0", "avatar": None}
        return {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": f"interaction-{interaction_id}",
            "version": 1,
            "guild_id": str(self.guild_id),
            "channel_id": str(channel_id),
            "channel": self._channel_object(channel_id, None),
            "data": data,
            "member": {
                "user": user,
                "roles": [],
                "joined_at": self._now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": permissions,  # a bit set, as a decimal string
            },
            "app_permissions": "0",
            "locale": "en-US",
            "attachment_size_limit": 8 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {},
            "context": 0,
            **extra,
        }

    # -- plumbing --------------------------------------------------------------------------------

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and path.startswith(fault.path_prefix):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @staticmethod
    def _headers(remaining: int = 4, reset_after: float = 1.0) -> dict[str, str]:
        return {
            "Via": "1.1 google",
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": "standin-bucket",
        }

    def _json(self, data: Any, status: int = 200) -> web.Response:
        if status == 204:
            return web.Response(status=204, headers=self._headers())
        return self._raw_json(data, status, self._headers())

    @staticmethod
    def _raw_json(data: Any, status: int, headers: dict[str, str]) -> web.Response:
        # Exactly 'application/json', no charset: discord.py compares the header verbatim.
        headers = {**headers, "Content-Type": "application/json"}
        return web.Response(body=json.dumps(data).encode(), status=status, headers=headers)

    def _error(self, status: int, code: int | None = None) -> web.Response:
        code = DEFAULT_CODES.get(status, 0) if code is None else code
        message = ERROR_MESSAGES.get(code, f"HTTP {status}")
        return self._json({"message": message, "code": code}, status)

    def _rate_limited(self, fault: _Fault) -> web.Response:
        headers = self._headers(remaining=0, reset_after=fault.retry_after)
        headers["Retry-After"] = str(math.ceil(fault.retry_after))
        headers["X-RateLimit-Scope"] = "global" if fault.global_ else "user"
        if fault.global_:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": fault.retry_after,
            "global": fault.global_,
        }
        return self._raw_json(body, 429, headers)

    async def _body(self, request: web.Request) -> Any:
        if not request.can_read_body:
            return None
        if request.content_type.startswith("multipart/"):
            # Messages with attachments: payload_json plus one files[n] part per file. The files
            # are kept under "_files" (name, type, bytes) for tests to inspect.
            form = await request.post()
            raw = form.get("payload_json")
            body = json.loads(str(raw)) if raw is not None else {}
            files = [
                {
                    "filename": part.filename,
                    "content_type": part.content_type,
                    "data": part.file.read(),
                }
                for name, part in form.items()
                if name.startswith("files[") and isinstance(part, web.FileField)
            ]
            if files:
                body["_files"] = files
            return body
        text = await request.text()
        return json.loads(text) if text else None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(PREFIX) :]
        body = await self._body(request)
        call = Call(request.method, path, body, dict(request.headers), dict(request.query))
        with self._lock:
            self.calls.append(call)
        response = self._dispatch(request.method, path, body, request)
        call.status = response.status
        return response

    def _dispatch(self, method: str, path: str, body: Any, request: web.Request) -> web.Response:
        fault = self._take_fault(method, path)
        if fault is not None:
            return (
                self._rate_limited(fault)
                if fault.status == 429
                else self._error(fault.status, fault.code)
            )
        parts = path.strip("/").split("/")
        if parts[0] == "webhooks":
            wait = request.query.get("wait", "false").lower() in ("true", "1")
            return self._webhooks(method, parts[1:], body, wait)
        if parts[0] == "interactions" and method == "POST" and len(parts) == 4:
            return self._interaction_callback(int(parts[1]), parts[2], body)
        if request.headers.get("Authorization") != f"Bot {self.bot_token}":
            return self._error(401)
        if parts[0] == "users" and parts[1:] == ["@me"] and method == "GET":
            return self._json(self._bot_user())
        if path in ("/oauth2/applications/@me", "/applications/@me") and method == "GET":
            return self._json(self._application())
        if parts[0] == "applications" and method == "PUT":
            return self._put_commands(parts[1:], body)
        if parts[0] == "channels":
            return self._channels(method, parts[1:], body, dict(request.query))
        return self._error(404, 0)

    # -- objects ---------------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": str(self.bot_id),
            "username": "Radar",
            "discriminator": "0000",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "flags": 0,
            "public_flags": 0,
            "mfa_enabled": False,
            "verified": True,
        }

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": "Radar",
            "description": "",
            "icon": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": self._bot_user(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": self._bot_user(),
        }

    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).isoformat()

    def _message(
        self, channel_id: int, body: dict[str, Any], author: dict[str, Any], webhook_id: int | None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": str(self._next_id()),
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_id),
            "type": 0,
            "content": body.get("content") or "",
            "author": author,
            "embeds": body.get("embeds") or [],
            "attachments": [
                {
                    "id": str(self._next_id()),
                    "filename": f["filename"],
                    "size": len(f["data"]),
                    "content_type": f["content_type"],
                    "url": f"https://cdn.discordapp.example/{f['filename']}",
                    "proxy_url": f"https://media.discordapp.example/{f['filename']}",
                }
                for f in body.get("_files") or []
            ],
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": bool(body.get("tts", False)),
            "timestamp": self._now(),
            "edited_timestamp": None,
            "flags": body.get("flags") or 0,
            "components": body.get("components") or [],
        }
        if webhook_id is not None:
            message["webhook_id"] = str(webhook_id)
        return message

    def _create(
        self,
        channel_id: int,
        body: dict[str, Any],
        author: dict[str, Any],
        webhook_id: int | None,
    ) -> web.Response:
        """Create a message. With a nonce and enforce_nonce, a nonce the same author used in the
        last `nonce_window` seconds returns that earlier message and creates nothing."""
        nonce = body.get("nonce")
        key = (str(author["id"]), str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            with self._lock:
                earlier = self._nonces.get(key)
                if earlier is not None and time.monotonic() - earlier[0] < self.nonce_window:
                    stored = self._state.channels.get(earlier[1], {}).get(earlier[2])
                    if stored is not None:
                        return self._json(dict(stored))
        message = self._message(channel_id, body, author, webhook_id)
        if nonce is not None:
            message["nonce"] = nonce
        self._store(channel_id, message)
        if nonce is not None:
            with self._lock:
                self._nonces[key] = (time.monotonic(), channel_id, int(message["id"]))
        return self._json(message)

    def _store(self, channel_id: int, message: dict[str, Any]) -> None:
        with self._lock:
            self._state.channels.setdefault(channel_id, {})[int(message["id"])] = message

    def _edit(self, channel_id: int, message_id: int, body: dict[str, Any]) -> web.Response:
        with self._lock:
            message = self._state.channels.get(channel_id, {}).get(message_id)
            if message is None:
                return self._error(404, 10008)
            for key in ("content", "embeds", "components", "flags"):
                if key in body and body[key] is not None:
                    message[key] = body[key]
            message["edited_timestamp"] = self._now()
            return self._json(dict(message))

    # -- routes ----------------------------------------------------------------------------------

    def _channels(
        self, method: str, parts: list[str], body: Any, query: dict[str, str]
    ) -> web.Response:
        channel_id = int(parts[0])
        with self._lock:
            known = channel_id in self._state.channels
            thread = self._state.threads.get(channel_id)
        if not known:
            return self._error(404, 10003)
        if method == "GET" and len(parts) == 1:
            return self._json(self._channel_object(channel_id, thread))
        if method == "GET" and parts[1:] == ["messages"]:
            return self._history(channel_id, query)
        if method == "POST" and parts[1:] == ["messages"]:
            return self._create(channel_id, body or {}, self._bot_user(), None)
        if method == "PATCH" and len(parts) == 3 and parts[1] == "messages":
            return self._edit(channel_id, int(parts[2]), body or {})
        if (
            method == "POST"
            and len(parts) == 4
            and parts[1] == "messages"
            and parts[3] == "threads"
        ):
            return self._start_thread(channel_id, int(parts[2]), body or {})
        return self._error(404, 0)

    def _history(self, channel_id: int, query: dict[str, str]) -> web.Response:
        """GET messages: the `limit` (≤ 100) messages right after `after` (or the newest), newest
        first, as Discord answers."""
        limit = max(1, min(int(query.get("limit") or 50), 100))
        with self._lock:
            stored = sorted(self._state.channels.get(channel_id, {}).items())
        if "after" in query:
            after = int(query["after"])
            chosen = [m for mid, m in stored if mid > after][:limit]
        else:
            chosen = [m for _, m in stored][-limit:]
        # Discord returns no nonce on fetched messages: only the create answer carries it.
        return self._json([{k: v for k, v in m.items() if k != "nonce"} for m in reversed(chosen)])

    def _channel_object(self, channel_id: int, thread: Thread | None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": f"channel-{channel_id}",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if thread is not None:
            data.update(self._thread_object(thread))
        return data

    def _thread_object(self, thread: Thread) -> dict[str, Any]:
        return {
            "id": str(thread.id),
            "type": 11,
            "guild_id": str(self.guild_id),
            "parent_id": str(thread.parent_id),
            "owner_id": str(self.bot_id),
            "name": thread.name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": thread.auto_archive_duration,
                "archive_timestamp": self._now(),
                "locked": False,
            },
        }

    def _start_thread(self, channel_id: int, message_id: int, body: dict[str, Any]) -> web.Response:
        with self._lock:
            if message_id not in self._state.channels.get(channel_id, {}):
                return self._error(404, 10008)
            if message_id in self._state.threads:
                return self._error(400, 160004)
            # Discord gives a thread started from a message that message's id.
            thread = Thread(
                message_id,
                channel_id,
                str(body.get("name", "")),
                int(body.get("auto_archive_duration") or 4320),
            )
            self._state.threads[message_id] = thread
            self._state.channels.setdefault(message_id, {})
        return self._json(self._thread_object(thread), 201)

    def _webhook_author(self, hook_id: int) -> dict[str, Any]:
        return {
            "id": str(hook_id),
            "username": "Radar",
            "discriminator": "0000",
            "avatar": None,
            "bot": True,
        }

    def _webhooks(self, method: str, parts: list[str], body: Any, wait: bool) -> web.Response:
        if len(parts) < 2:
            return self._error(404, 10015)
        hook_id, token = int(parts[0]), parts[1]
        if hook_id == self.application_id:
            return self._interaction_webhook(method, token, parts[2:], body or {})
        with self._lock:
            hook = self._state.webhooks.get(hook_id)
        if hook is None or hook.token != token:
            return self._error(404, 10015)
        if method == "POST" and len(parts) == 2:
            message = self._message(
                hook.channel_id, body or {}, self._webhook_author(hook_id), hook_id
            )
            self._store(hook.channel_id, message)
            return self._json(message) if wait else self._json(None, 204)
        if method == "PATCH" and len(parts) == 4 and parts[2] == "messages":
            with self._lock:
                stored = self._state.channels[hook.channel_id].get(int(parts[3]))
            if stored is None or stored.get("webhook_id") != str(hook_id):
                return self._error(404, 10008)
            return self._edit(hook.channel_id, int(parts[3]), body or {})
        return self._error(404, 0)

    def _interaction_callback(self, interaction_id: int, token: str, body: Any) -> web.Response:
        body = body or {}
        record = {"interaction_id": interaction_id, "token": token, **body}
        with self._lock:
            self._state.callbacks.append(record)
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 7):
            resource["message"] = self._message(0, data, self._bot_user(), None)
        payload = {
            "interaction": {
                "id": str(interaction_id),
                "type": 3,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
            },
            "resource": resource,
        }
        return self._json(payload)

    def _interaction_webhook(
        self, method: str, token: str, rest: list[str], body: dict[str, Any]
    ) -> web.Response:
        """Follow-ups and @original edits of an interaction: recorded with the callbacks."""
        with self._lock:
            self._state.callbacks.append({"token": token, "method": method, "path": rest, **body})
        return self._json(self._message(0, body, self._bot_user(), self.application_id))

    def _put_commands(self, parts: list[str], body: Any) -> web.Response:
        # /applications/{app}/commands or /applications/{app}/guilds/{guild}/commands
        if int(parts[0]) != self.application_id or parts[-1] != "commands":
            return self._error(404, 0)
        scope = parts[2] if len(parts) == 4 and parts[1] == "guilds" else "global"
        echoed = []
        for command in body or []:
            item = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                **command,
                "id": str(self._next_id()),
                "application_id": str(self.application_id),
                "version": "1",
            }
            if scope != "global":
                item["guild_id"] = scope
            echoed.append(item)
        with self._lock:
            self._state.commands[scope] = echoed
        return self._json(echoed)
