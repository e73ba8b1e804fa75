"""The server-side session (SECURITY.md 5–6): a database store that keeps the signed-in
account's id in its own indexed column, and the markers the middleware reads.

``SESSION_ENGINE = "xinfang.accounts.sessions"``. With the account id beside each row, logout and
deactivation end every session of an account with one indexed delete, instead of decoding all
live sessions.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

from xinfang.accounts.models import UserSession

#: Unix time the password was accepted: the absolute lifetime counts from here.
SIGNED_IN_AT = "xf_signed_in_at"
#: Unix time of the last request (or keep-alive): the idle timeout counts from here.
LAST_SEEN_AT = "xf_last_seen_at"
#: True once the second factor was given in this session.
SECOND_FACTOR_DONE = "xf_second_factor"


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> UserSession:
        instance = cast(UserSession, super().create_model_instance(data))
        try:
            instance.user_id = int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            instance.user_id = None
        return instance


def start(session: SessionBase, *, now: float) -> None:
    """A password was just accepted: both clocks start, the second factor is still owed."""
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    session[SECOND_FACTOR_DONE] = False


def second_factor_done(session: SessionBase) -> bool:
    return session.get(SECOND_FACTOR_DONE) is True


def mark_second_factor_done(session: SessionBase) -> None:
    """The session is now fully signed in. Its key changes, as at any rise in privilege."""
    session.cycle_key()
    session[SECOND_FACTOR_DONE] = True


def expiry_reason(session: SessionBase, *, now: float, idle: int, absolute: int) -> str | None:
    """``"idle"`` or ``"absolute"`` if the session has outlived a limit, else ``None``. A
    session without the clocks (from before they existed) counts as expired."""
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(LAST_SEEN_AT)
    if not isinstance(signed_in, int | float) or now - signed_in > absolute:
        return "absolute"
    if not isinstance(seen, int | float) or now - seen > idle:
        return "idle"
    return None


def touch(session: SessionBase, *, now: float) -> None:
    """Activity: the idle clock restarts. The absolute clock never moves."""
    session[LAST_SEEN_AT] = now
