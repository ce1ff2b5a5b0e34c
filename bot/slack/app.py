"""The Slack app: a slack-bolt async app in the service's event loop (Socket Mode or HTTP mode).

It only translates: Slack payloads become a Caller and a Command for the neutral handlers, and
neutral replies go back through the renderer. Alerts go out through SlackChannelOutput.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.actions import parse_action, stale_button_reply
from bot.chat.commands import Command, parse_command
from bot.chat.handlers import Handlers
from bot.chat.replies import Caller, Image, Reply
from bot.core.models import Destination
from bot.errors import ConfigError, RadarError
from bot.settings import ChatEnvironment, Secrets, SlackSettings
from bot.slack.output import NEEDS_ADMIN, ChannelPacer, SlackChannelOutput, error_code
from bot.slack.render import home_view, reply_message

log = logging.getLogger("radar.slack")
EVENTS_PATH = "/slack/events"
ACTION_IDS = re.compile(r"^radar:(up|down|mute):\d+$")
# Slack's request timestamp is Unix seconds; anything else is refused before Bolt reads it.
TIMESTAMP = re.compile(r"[0-9]{1,12}")
# The Socket Mode client logs every failed connection with a traceback; this logger turns them
# into one line per distinct problem (see OneLine).
SOCKET_LOG = "radar.slack.bolt.socket"  # quiet below WARNING, like Bolt (see bot/logs.py)


class OneLine(logging.Filter):
    """Drops tracebacks from a library's records and repeats of the last message: a connection
    retried every 10 s is then one warning, not a traceback every 10 s."""

    def __init__(self) -> None:
        super().__init__()
        self._last: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        message = record.getMessage()
        if message == self._last:
            return False
        self._last = message
        return True


class SlackUnavailable(RadarError):
    """Slack could not be reached or answered with a server error: worth trying again later."""


def web_client(secrets: Secrets, env: ChatEnvironment) -> AsyncWebClient:
    """The one Web API client: every call honours SLACK_API_URL and retries 429s after
    Retry-After (slack_sdk's handler), and brief connection errors."""
    if secrets.slack_bot_token is None:
        raise ConfigError("environment: SLACK_BOT_TOKEN is not set")
    kwargs: dict[str, Any] = {}
    if env.slack_api_url:
        kwargs["base_url"] = env.slack_api_url.rstrip("/") + "/"
    return AsyncWebClient(
        token=secrets.slack_bot_token.get_secret_value(),
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
        ],
        **kwargs,
    )


class SlackPlatform:
    """Everything Slack in one process: outputs for channels, the /radar command, buttons, Home."""

    def __init__(
        self,
        settings: SlackSettings,
        secrets: Secrets,
        env: ChatEnvironment,
        client: AsyncWebClient | None = None,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.client = client or web_client(secrets, env)
        self.pacer = ChannelPacer(settings.per_channel_interval)
        self.handlers: Handlers | None = None
        self.app: AsyncApp | None = None
        self._runner: web.AppRunner | None = None
        self._socket: Any = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port: int | None = None
        # The installation's workspace and app (auth.test): requests naming others are refused.
        self.team_id: str | None = None
        self.app_id: str | None = None

    def output(self, destination: Destination, channel: str) -> SlackChannelOutput:
        return SlackChannelOutput(destination, channel, self.client, self.pacer)

    # -- the interactive app ------------------------------------------------------------------

    def build_app(self, handlers: Handlers) -> AsyncApp:
        if self.secrets.slack_signing_secret is None and self.secrets.slack_app_token is None:
            raise ConfigError(
                "environment: set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)"
            )
        self.handlers = handlers
        signing = self.secrets.slack_signing_secret
        app = AsyncApp(
            client=self.client,
            # Socket Mode needs no signature (the socket is authenticated); HTTP mode always checks.
            signing_secret=signing.get_secret_value() if signing else "socket-mode",
            request_verification_enabled=self.secrets.slack_app_token is None,
            logger=logging.getLogger("radar.slack.bolt"),
        )
        app.error(self._on_error)
        app.use(self._same_installation)
        app.command("/radar")(self._on_command)
        app.action(ACTION_IDS)(self._on_action)
        app.event("app_home_opened")(self._on_home)
        self.app = app
        return app

    async def start(self, handlers: Handlers) -> None:
        """Check the token, then listen: Socket Mode with SLACK_APP_TOKEN, else HTTP mode."""
        app = self.build_app(handlers)
        auth = await self._check("auth.test", self.client.auth_test(), "check SLACK_BOT_TOKEN")
        self.team_id = str(auth.get("team_id") or "") or None
        self.app_id = str(auth.get("app_id") or "") or None
        log.info("Slack: connected as %s in %s", auth.get("user"), auth.get("team"))
        if self.secrets.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            app_token = self.secrets.slack_app_token.get_secret_value()
            # slack_sdk's socket client retries a refused token forever; ask once here, so a bad
            # SLACK_APP_TOKEN is one clear error, and hand the client the URL it would ask for.
            opened = await self._check(
                "apps.connections.open",
                self.client.apps_connections_open(app_token=app_token),
                "check SLACK_APP_TOKEN (an xapp- token with the connections:write scope)",
            )
            socket_log = logging.getLogger(SOCKET_LOG)
            if not socket_log.filters:
                socket_log.addFilter(OneLine())
            self._socket = AsyncSocketModeHandler(app, app_token, logger=socket_log)
            self._socket.client.wss_uri = opened["url"]
            log.info("Slack: Socket Mode connecting")
            await self._socket.connect_async()  # retries every 10 s until the socket opens
            log.info("Slack: Socket Mode connected")
            return
        web_app = web.Application()
        web_app.router.add_post(EVENTS_PATH, self._http)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        try:
            await site.start()
        except OSError as exc:  # a port in use, an address this machine does not have
            await self._runner.cleanup()
            self._runner = None
            raise ConfigError(
                f"Slack: cannot listen on {self.settings.host}:{self.settings.port} "
                f"({exc.strerror or exc}); change [slack] host or port"
            ) from None
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        log.info(
            "Slack: HTTP mode, listening on %s:%s%s", self.settings.host, self.port, EVENTS_PATH
        )

    async def _check(self, method: str, call: Awaitable[Any], fix: str) -> Any:
        """A start-up call: a refused token is a ConfigError (no retry helps), anything else
        (a 5xx, an unreachable host) is SlackUnavailable, which the service retries."""
        try:
            return await call
        except SlackApiError as exc:
            code = error_code(exc)
            if code in NEEDS_ADMIN or code in ("invalid_auth", "not_allowed_token_type"):
                raise ConfigError(f"Slack: {method} failed ({code}); {fix}") from None
            raise SlackUnavailable(f"Slack: {method} failed ({code or 'not JSON'})") from None
        except AttributeError:  # slack_sdk on a text/plain answer: a proxy's error page
            raise SlackUnavailable(
                f"Slack: {method} answered with a body that is not JSON"
            ) from None
        except (TimeoutError, OSError) as exc:
            raise SlackUnavailable(f"Slack: {method} failed ({type(exc).__name__})") from None

    async def _http(self, request: web.Request) -> web.Response:
        """POST /slack/events: the signature is checked on the raw body before anything reads
        it, so unsigned junk is a 401 and signed junk a 400, never a 500."""
        assert self.app is not None
        raw = await request.read()
        if not self._signed(raw, request.headers):
            return web.Response(status=401, text="invalid request")
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, TypeError, AttributeError) as exc:  # JSON that is not Slack's shape
            log.warning("Slack: refused a malformed request (%s)", type(exc).__name__)
            return web.Response(status=400, text="malformed request")
        try:
            response = await self.app.async_dispatch(bolt_request)
        except Exception as exc:  # Bolt reads fields of a payload with the wrong types this way
            return self._unhandled(exc)
        return await to_aiohttp_response(response)

    @staticmethod
    def _unhandled(error: BaseException) -> web.Response:
        log.warning("Slack: could not handle a request: %s: %s", type(error).__name__, error)
        log.debug("Slack request failure", exc_info=error)
        return web.Response(status=400, text="malformed request")

    def _signed(self, raw: bytes, headers: Any) -> bool:
        stamp = str(headers.get("X-Slack-Request-Timestamp") or "")
        signature = str(headers.get("X-Slack-Signature") or "")
        secret = self.secrets.slack_signing_secret
        if secret is None or not TIMESTAMP.fullmatch(stamp):
            return False
        return SignatureVerifier(secret.get_secret_value()).is_valid(raw, stamp, signature)

    async def _same_installation(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Refuse signed requests from a workspace or an app other than this installation's
        (the same signing secret can serve several installs of a distributed app)."""
        if not isinstance(body, dict):
            return BoltResponse(status=400, body="")
        team = body.get("team_id") or (body.get("team") or {}).get("id")
        app_id = body.get("api_app_id")
        if (self.team_id and team and team != self.team_id) or (
            self.app_id and app_id and app_id != self.app_id
        ):
            log.warning(
                "Slack: refused a request from workspace %s, app %s (installed: %s, %s)",
                team,
                app_id,
                self.team_id,
                self.app_id,
            )
            return BoltResponse(status=403, body="")
        await next()
        return None

    async def _on_error(self, error: Exception, body: Any) -> BoltResponse:
        """A request Bolt or a listener could not handle: one line, a 400, no traceback."""
        self._unhandled(error)
        return BoltResponse(status=400, body="")

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- listeners ----------------------------------------------------------------------------

    async def _caller(self, body: dict[str, Any], command: Command | None) -> Caller:
        user = str(body.get("user_id") or (body.get("user") or {}).get("id") or "")
        channel = str(body.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        team = str(body.get("team_id") or (body.get("team") or {}).get("id") or "")
        may_manage = False
        if command is not None and (
            (command.name == "feeds" and command.args[:1] != ("list",))
            or (command.name == "moves" and command.args[:1] == ("fix",))
        ):
            may_manage = user in self.settings.admins or await self._is_workspace_admin(user)
        return Caller("slack", team, channel, user, may_manage_feeds=may_manage)

    async def _is_workspace_admin(self, user: str) -> bool:
        if not user:
            return False
        try:
            info = await self.client.users_info(user=user)
        except SlackApiError as exc:
            log.warning("Slack: users.info failed for an admin check: %s", error_code(exc))
            return False
        profile = info.get("user") or {}
        return bool(profile.get("is_admin") or profile.get("is_owner"))

    async def _on_command(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        assert self.handlers is not None
        command = parse_command(str(body.get("text") or ""))
        if command.slow:
            # Acknowledge now (Slack gives 3 s); the answer follows through response_url.
            await ack(response_type="ephemeral", text=f"Working on /radar {command.name}…")
            caller = await self._caller(body, command)
            self._spawn(self._answer_later(caller, command, respond))
            return
        caller = await self._caller(body, command)
        reply = await self.handlers.execute(caller, command)
        await ack(**_response(reply))

    async def _answer_later(self, caller: Caller, command: Command, respond: Any) -> None:
        assert self.handlers is not None
        reply = await self.handlers.execute(caller, command)
        try:
            await respond(**_response(reply))
        except Exception as exc:  # the response_url may have expired (30 min) or be unreachable
            log.warning("Slack: could not answer /radar %s: %s", command.name, exc)
        if reply.image is not None:
            await self._upload(caller, reply.image)

    async def _upload(self, caller: Caller, image: Image) -> None:
        """A reply's picture as a file in the caller's channel (files.uploadV2)."""
        try:
            await self.client.files_upload_v2(
                channel=caller.channel, file=image.data, filename=image.filename, title=image.title
            )
        except SlackApiError as exc:
            log.warning("Slack: could not upload %s: %s", image.filename, exc.response.get("error"))

    async def _on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        assert self.handlers is not None
        await ack()
        parsed = parse_action(str(action.get("action_id") or ""))
        caller = await self._caller(body, None)
        if parsed is None:
            reply = stale_button_reply()
        else:
            reply = await self.handlers.act(caller, parsed)
        try:
            await self.client.chat_postEphemeral(
                channel=caller.channel, user=caller.user, **reply_message(reply)
            )
        except SlackApiError as exc:
            log.warning("Slack: could not confirm a button press: %s", error_code(exc))

    async def _on_home(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        assert self.handlers is not None
        if event.get("tab") not in (None, "home"):
            return
        user = str(event.get("user") or "")
        caller = Caller("slack", str(body.get("team_id") or ""), "", user)
        view = home_view(self.handlers.home(caller))
        try:
            await self.client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            log.warning("Slack: could not publish App Home: %s", error_code(exc))

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _response(reply: Reply) -> dict[str, Any]:
    """A command answer: only the caller sees it unless it is meant for the channel."""
    return {
        "response_type": "ephemeral" if reply.ephemeral else "in_channel",
        **reply_message(reply),
    }
