"""A local stand-in of the Slack Web API on 127.0.0.1, answering the way Slack does, for tests.

Like tests/feedserver.py it runs in its own thread and event loop, so in-process async tests and
`radar` subprocesses can both reach it. It keeps every call and every posted message, checks the
bearer token, resolves channel names, answers Slack's errors (HTTP 200 with ok=false, 429 with
Retry-After) and can be told to fail the next calls of a method. Messages keep their metadata,
which `conversations.history` / `conversations.replies` return only with include_all_metadata;
`ts` is the posting time, as Slack's is.

Files arrive as Slack's files.uploadV2 sends them: `files.getUploadURLExternal` hands out an upload
URL on this server, the bytes are POSTed there, and `files.completeUploadExternal` shares them in
a channel; `uploads` keeps what was shared.

It also plays Slack's Socket Mode side: `apps.connections.open` (app token only) hands out a
`ws://127.0.0.1:<port>/socket?ticket=…` URL; the socket says `hello`, `socket_send` pushes
envelopes down it and the client's acknowledgements land in `socket_acks`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.threaded import ThreadedServer

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class SlackError(Exception):
    """An ok=false answer (HTTP 200), as Slack gives for a refused call."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Call:
    """One request the stand-in received, faulted and refused ones included."""

    method: str  # "chat.postMessage"
    params: dict[str, Any]  # query, form and JSON body merged; JSON-in-form fields left as strings
    headers: dict[str, str]
    http_method: str = "POST"
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


@dataclass
class Fault:
    status: int
    retry_after: int
    error: str
    times: int
    raw: str | None = None  # a body that is not Slack's JSON (a proxy's error page, cut-off JSON)
    content_type: str = "text/plain"


@dataclass
class User:
    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False


class SlackAPI(ThreadedServer):
    """The Web API methods Radar uses, plus `POST /response/<id>` for slash-command response_urls.

    Messages are dicts shaped like Slack's (`ts`, `channel`, `text`, `blocks`, `thread_ts`, …).
    """

    def __init__(
        self,
        token: str = "xoxb-test-token",
        *,
        team_id: str = "T0RADAR",
        bot_user_id: str = "U0RADAR",
        bot_id: str = "B0RADAR",
        channels: dict[str, str] | None = None,
        not_in: set[str] | None = None,
        users: dict[str, User] | None = None,
        delay: float = 0.0,
        app_token: str = "xapp-test-token",
        app_id: str = "A0RADAR",
    ) -> None:
        super().__init__()
        self.token = token
        self.app_token = app_token  # the only token apps.connections.open takes
        self.app_id = app_id
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        # name → ID; a channel is known when its ID is a value here.
        self.channels: dict[str, str] = (
            dict(channels) if channels is not None else {"general": "C0GENERAL"}
        )
        self.not_in: set[str] = set(not_in or ())  # channel IDs the bot is not a member of
        self.users: dict[str, User] = dict(users or {})
        self.delay = delay  # seconds added to every call
        self.delays: dict[str, float] = {}  # seconds added to calls of one method
        self.calls: list[Call] = []
        self.posted: list[dict[str, Any]] = []  # chat.postMessage messages, in order
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}  # user ID → last published home view
        self.responses: dict[str, list[dict[str, Any]]] = {}  # response_url id → bodies
        self._faults: dict[str, list[Fault]] = {}
        self.socket_acks: list[dict[str, Any]] = []  # what Socket Mode clients sent, in order
        self._tickets: set[str] = set()  # issued by apps.connections.open, each usable once
        self._ticket_numbers = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []  # open, hello already sent
        self._next_ts = 0  # microseconds
        self._lock = threading.Lock()
        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "views.publish": self._views_publish,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "apps.connections.open": self._connections_open,
            "conversations.list": self._list,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }
        self._pending_files: dict[str, dict[str, Any]] = {}  # file id → name, length, bytes
        self.uploads: list[dict[str, Any]] = []  # shared files: id, title, channel, data, comment

    # -- set-up and inspection --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What `AsyncWebClient(base_url=...)` takes."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, response_id: str) -> str:
        return f"http://127.0.0.1:{self.port}/response/{response_id}"

    def add_channel(self, name: str, channel_id: str, *, member: bool = True) -> None:
        self.channels[name.lstrip("#")] = channel_id
        if member:
            self.not_in.discard(channel_id)
        else:
            self.not_in.add(channel_id)

    def add_user(
        self, user_id: str, name: str = "", *, is_admin: bool = False, is_owner: bool = False
    ) -> User:
        user = User(user_id, name or user_id.lower(), is_admin, is_owner)
        self.users[user_id] = user
        return user

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        retry_after: int = 1,
        error: str | None = None,
        times: int = 1,
        raw: str | None = None,
        content_type: str = "text/plain",
    ) -> None:
        """Make the next `times` calls of `method` fail.

        With no error (or status=429) the answer is HTTP 429 with Retry-After and
        `{"ok": false, "error": "ratelimited"}`; with an error it is HTTP 200 (unless a status is
        given) and `{"ok": false, "error": error}`. With `raw`, the body is that text, sent as
        `content_type`, instead of Slack's JSON.
        """
        if status is None:
            status = 200 if error else 429
        fault = Fault(status, retry_after, error or "ratelimited", times, raw, content_type)
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def socket_send(self, envelope: dict[str, Any], *, timeout: float = 10.0) -> None:
        """Send an envelope (JSON) down the newest Socket Mode connection, once one is open.

        Blocks the calling thread until it is sent: call it after the client has connected (for
        an in-process client, after its connect returns), or from another thread.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                socket = next((s for s in reversed(self._sockets) if not s.closed), None)
            if socket is not None:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("no Socket Mode client is connected")
            time.sleep(0.02)
        sent = asyncio.run_coroutine_threadsafe(socket.send_json(envelope), self._loop)
        sent.result(max(deadline - time.monotonic(), 1.0))

    def socket_ack(self, envelope_id: str) -> dict[str, Any] | None:
        """The client's acknowledgement of an envelope, once it has come."""
        with self._lock:
            return next((a for a in self.socket_acks if a.get("envelope_id") == envelope_id), None)

    @property
    def socket_connected(self) -> bool:
        with self._lock:
            return any(not s.closed for s in self._sockets)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages of a channel (ID or name), oldest first, as last updated."""
        channel_id = self._resolve(channel) or channel
        with self._lock:
            return [
                m
                for m in self.posted
                if m["channel"] == channel_id and m.get("thread_ts") in (None, m["ts"])
            ]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Replies in the thread under message `ts`, oldest first."""
        channel_id = self._resolve(channel) or channel
        with self._lock:
            return [
                m
                for m in self.posted
                if m["channel"] == channel_id and m.get("thread_ts") == ts and m["ts"] != ts
            ]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        channel_id = self._resolve(channel) or channel
        with self._lock:
            for m in self.posted:
                if m["channel"] == channel_id and m["ts"] == ts:
                    return m
        return None

    # -- server -----------------------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_route("POST", "/response/{id}", self._handle_response)
        app.router.add_route("GET", "/socket", self._handle_socket)
        app.router.add_route("POST", "/upload/{file_id}", self._handle_upload)
        app.on_shutdown.append(self._close_sockets)
        return app

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params, dict(request.headers), request.method)
        with self._lock:
            self.calls.append(call)
        pause = self.delay + self.delays.get(method, 0.0)
        if pause:
            await asyncio.sleep(pause)
        fault = self._take_fault(method)
        headers: dict[str, str] = {}
        if fault is not None and fault.raw is not None:
            call.status = fault.status
            return web.Response(
                text=fault.raw, status=fault.status, content_type=fault.content_type
            )
        if fault is not None:
            status, body = fault.status, {"ok": False, "error": fault.error}
            if fault.status == 429:
                headers["Retry-After"] = str(fault.retry_after)
        else:
            status, body = 200, self._answer(method, params, call)
        call.status, call.response = status, body
        return web.json_response(body, status=status, headers=headers)

    async def _handle_response(self, request: web.Request) -> web.Response:
        body = await _params(request)
        call = Call("response_url", body, dict(request.headers))
        with self._lock:
            self.calls.append(call)
            self.responses.setdefault(request.match_info["id"], []).append(body)
        # Slack answers a response_url post with a bare "ok".
        return web.Response(text="ok", content_type="text/plain")

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """Step two of files.uploadV2: the bytes, POSTed to the URL step one handed out."""
        file_id = request.match_info["file_id"]
        data = await request.read()
        with self._lock:
            self.calls.append(Call("upload", {"file_id": file_id}, dict(request.headers)))
            pending = self._pending_files.get(file_id)
            if pending is None or pending.get("data") is not None:
                return web.Response(status=404, text="unknown upload")
            if len(data) != pending["length"]:
                return web.Response(status=400, text="length does not match")
            pending["data"] = data
        return web.Response(text="OK - " + str(len(data)), content_type="text/plain")

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        """A Socket Mode connection: `hello` first, then whatever `socket_send` pushes; every text
        frame from the client (an ack: envelope_id and maybe payload) is kept in socket_acks."""
        ticket = request.query.get("ticket", "")
        with self._lock:
            self.calls.append(Call("socket", dict(request.query), dict(request.headers), "GET"))
            known = ticket in self._tickets
            self._tickets.discard(ticket)
        if not known:
            raise web.HTTPUnauthorized(text="invalid ticket")
        ws = web.WebSocketResponse()  # answers the client's pings with pongs (autoping)
        await ws.prepare(request)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "applink-standin", "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.app_id},
            }
        )
        with self._lock:
            self._sockets.append(ws)
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                with self._lock:
                    self.socket_acks.append(message)
        finally:
            with self._lock:
                self._sockets.remove(ws)
        return ws

    async def _close_sockets(self, app: web.Application) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for ws in sockets:
            await ws.close(code=1001, message=b"server shutdown")

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def _answer(self, method: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
        token = call.token or params.get("token")
        if not token:
            return {"ok": False, "error": "not_authed"}
        app_method = method == "apps.connections.open"
        if token not in (self.token, self.app_token):
            return {"ok": False, "error": "invalid_auth"}
        if app_method != (token == self.app_token):
            # Slack: an xapp- token works only here, and only an xapp- token works here.
            return {"ok": False, "error": "not_allowed_token_type"}
        handler = self._methods.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            with self._lock:
                return {"ok": True, **handler(params)}
        except SlackError as refused:
            return {"ok": False, "error": refused.error, **refused.extra}

    # -- methods (called with the lock held) --------------------------------------------------------

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://radar-test.slack.com/",
            "team": "Radar Test",
            "user": "radar",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,  # Slack includes it for bot tokens
            "is_enterprise_install": False,
        }

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        ticket = f"ticket-{next(self._ticket_numbers)}"
        self._tickets.add(ticket)
        url = f"ws://127.0.0.1:{self.port}/socket?ticket={ticket}&app_id={self.app_id}"
        return {"url": url}

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(params)
        message = self._message(params, limit=50)
        message.update(ts=self._ts(), channel=channel)
        thread_ts = params.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
        metadata = _metadata(params)
        if metadata is not None:
            message["metadata"] = metadata
        self.posted.append(message)
        return {"channel": channel, "ts": message["ts"], "message": _public(message)}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if channel not in self.channels.values():
            raise SlackError("channel_not_found")  # chat.update takes IDs only, not names
        ts = str(params.get("ts") or "")
        found = next(
            (m for m in self.posted if m["channel"] == channel and m["ts"] == ts),
            None,
        )
        if found is None:
            raise SlackError("message_not_found")
        changes = self._message(params, limit=50)
        metadata = _metadata(params)
        if metadata is not None:  # Slack keeps a message's metadata unless an edit replaces it
            changes["metadata"] = metadata
        found.update(changes)
        found["edited"] = {"user": self.bot_user_id, "ts": self._ts()}
        return {"channel": channel, "ts": ts, "text": found["text"], "message": _public(found)}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(params)
        user = str(params.get("user") or "")
        if not user:
            raise SlackError("user_not_found")
        message = self._message(params, limit=50)
        message.update(channel=channel, user=user, ts=self._ts())
        self.ephemerals.append(message)
        return {"message_ts": message["ts"]}

    def _list(self, params: dict[str, Any]) -> dict[str, Any]:
        """The channels, as `{"id", "name", "is_member"}`, paged by `cursor`."""
        every = [
            {"id": cid, "name": name, "is_channel": True, "is_member": cid not in self.not_in}
            for name, cid in sorted(self.channels.items())
        ]
        limit = min(int(params.get("limit") or 100), 1000)
        start = int(params.get("cursor") or 0)
        more = start + limit < len(every)
        return {
            "channels": every[start : start + limit],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """A channel's top-level messages, newest first, `oldest` < ts, paged by `cursor`;
        metadata only with include_all_metadata, as Slack answers."""
        channel = self._member_channel(params, ids_only=True)
        found = [
            m
            for m in reversed(self.posted)
            if m["channel"] == channel and m.get("thread_ts") in (None, m["ts"])
        ]
        return self._page(found, params)

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent, then the replies oldest first; `oldest` filters the replies."""
        channel = self._member_channel(params, ids_only=True)
        ts = str(params.get("ts") or "")
        parent = next((m for m in self.posted if m["channel"] == channel and m["ts"] == ts), None)
        if parent is None:
            raise SlackError("thread_not_found")
        replies = [
            m
            for m in self.posted
            if m["channel"] == channel and m.get("thread_ts") == ts and m["ts"] != ts
        ]
        return self._page([parent, *replies], params)

    @staticmethod
    def _page(found: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        oldest = float(params.get("oldest") or 0)
        found = [m for m in found if float(m["ts"]) > oldest]
        limit = min(int(params.get("limit") or 100), 1000)
        start = int(params.get("cursor") or 0)
        page = found[start : start + limit]
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = [
            {k: v for k, v in _public(m).items() if with_metadata or k != "metadata"} for m in page
        ]
        more = start + limit < len(found)
        return {
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user_id") or "")
        if not user:
            raise SlackError("invalid_arguments")
        view = _json_field(params.get("view"))
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError("invalid_arguments")
        problems = _check_blocks(view.get("blocks") or [], limit=100)
        if problems:
            raise SlackError("invalid_blocks", response_metadata={"messages": problems})
        self.views[user] = view
        return {"view": {"id": f"V{len(self.views):08d}", "team_id": self.team_id, **view}}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        names = {v: k for k, v in self.channels.items()}
        if channel not in names:
            raise SlackError("channel_not_found")
        return {
            "channel": {
                "id": channel,
                "name": names[channel],
                "is_channel": True,
                "is_private": False,
                "is_archived": False,
                "is_member": channel not in self.not_in,
            }
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {
            "user": {
                "id": user.id,
                "team_id": self.team_id,
                "name": user.name,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_bot": False,
                "deleted": False,
            }
        }

    def _get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except ValueError:
            raise SlackError("invalid_arguments") from None
        if not filename or length <= 0:
            raise SlackError("invalid_arguments")
        file_id = f"F{len(self._pending_files) + 1:08d}"
        self._pending_files[file_id] = {"filename": filename, "length": length, "data": None}
        return {"upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = _json_field(params.get("files"))
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        channel = self._member_channel({"channel": params.get("channel_id") or ""})
        shared = []
        for entry in files:
            pending = self._pending_files.get(str(entry.get("id")))
            if pending is None or pending["data"] is None:
                raise SlackError("file_not_found")
            upload = {
                "id": entry["id"],
                "title": entry.get("title") or pending["filename"],
                "name": pending["filename"],
                "channel": channel,
                "data": pending["data"],
                "initial_comment": params.get("initial_comment"),
            }
            self.uploads.append(upload)
            shared.append({"id": entry["id"], "title": upload["title"], "name": upload["name"]})
        return {"files": shared}

    # -- helpers ------------------------------------------------------------------------------------

    def _resolve(self, channel: str) -> str | None:
        """A channel ID from an ID or a "#name"/"name"; None when Slack would not know it."""
        if channel in self.channels.values():
            return channel
        return self.channels.get(channel.removeprefix("#"))

    def _member_channel(self, params: dict[str, Any], *, ids_only: bool = False) -> str:
        given = str(params.get("channel") or "")
        channel = self._resolve(given)
        if channel is None or (ids_only and channel != given):  # history methods take IDs only
            raise SlackError("channel_not_found")
        if channel in self.not_in:
            raise SlackError("not_in_channel")
        return channel

    def _message(self, params: dict[str, Any], *, limit: int) -> dict[str, Any]:
        text = str(params.get("text") or "")
        blocks = _json_field(params.get("blocks"))
        if blocks is not None and not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        if not text and not blocks:
            raise SlackError("no_text")
        if len(text) > 40_000:
            raise SlackError("msg_too_long")
        problems = _check_blocks(blocks or [], limit=limit)
        if problems:
            raise SlackError("invalid_blocks", response_metadata={"messages": problems})
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": text,
        }
        if blocks:
            message["blocks"] = blocks
        return message

    def _ts(self) -> str:
        # Slack's ts is the posting time (seconds.microseconds), unique within a channel.
        now = int(time.time() * 1_000_000)
        self._next_ts = max(self._next_ts + 1, now)
        return f"{self._next_ts // 1_000_000}.{self._next_ts % 1_000_000:06d}"


async def _params(request: web.Request) -> dict[str, Any]:
    """Query string, form body and JSON body merged, as Slack reads its arguments."""
    params: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return params
    raw = await request.read()
    if request.content_type == "application/json":
        body = json.loads(raw or b"{}")
        if isinstance(body, dict):
            params.update(body)
    else:
        params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    return params


def _json_field(value: Any) -> Any:
    """A field that form-encoded calls send as a JSON string and JSON calls send as is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError("invalid_arguments") from None
    return value


def _metadata(params: dict[str, Any]) -> dict[str, Any] | None:
    """Message metadata as Slack stores it: an event_type and an object event_payload."""
    if params.get("metadata") in (None, ""):
        return None
    metadata = _json_field(params["metadata"])
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "channel"}


_TEXT_LIMITS = {"section": 3000, "header": 150, "context": 3000}


def _check_blocks(blocks: list[Any], *, limit: int) -> list[str]:
    """The Block Kit limits Radar relies on, checked the way Slack refuses a message."""
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}]"
        if not isinstance(block, dict) or "type" not in block:
            problems.append(f"[ERROR] missing required field: type {where}")
            continue
        kind = block["type"]
        texts: list[tuple[Any, int]] = []
        if kind in ("section", "header") and "text" in block:
            texts.append((block["text"], _TEXT_LIMITS[kind]))
        if kind == "section":
            fields = block.get("fields") or []
            if len(fields) > 10:
                problems.append(f"[ERROR] no more than 10 items allowed {where}")
            texts += [(f, 2000) for f in fields]
        if kind == "context":
            elements = block.get("elements") or []
            if len(elements) > 10:
                problems.append(f"[ERROR] no more than 10 items allowed {where}")
            texts += [(e, 3000) for e in elements if e.get("type") != "image"]
        if kind == "actions":
            for element in block.get("elements") or []:
                if element.get("type") == "button":
                    texts.append((element.get("text"), 75))
        for obj, most in texts:
            text = obj.get("text") if isinstance(obj, dict) else None
            if not isinstance(text, str) or not text:
                problems.append(f"[ERROR] must be more than 0 characters {where}")
            elif len(text) > most:
                problems.append(f"[ERROR] must be less than {most + 1} characters {where}")
    return problems
