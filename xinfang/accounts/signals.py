"""Login, logout and failed logins go to the audit trail (SECURITY.md 13); a login starts the
session's clocks and a logout ends every session of the account (SECURITY.md 5–6)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from xinfang.accounts import sessions
from xinfang.accounts.models import User
from xinfang.accounts.services import end_sessions_of
from xinfang.audit.enums import Outcome
from xinfang.audit.services import record


@receiver(user_logged_in)
def audit_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record("auth.login", actor=user, target=user)


@receiver(user_logged_in)
def start_session_clocks(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    # The password was accepted; the second factor is still owed (SecondFactorMiddleware).
    sessions.start(request.session, now=time.time())


@receiver(user_logged_out)
def audit_logout(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        # Signing out signs out everywhere: a session left open on another desk ends too.
        ended = end_sessions_of(user)
        record("auth.logout", actor=user, target=user, detail={"sessions_ended": ended})


@receiver(user_login_failed)
def audit_login_failure(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    # Only the username is kept: never the password that was tried.
    username = str(credentials.get("username", ""))[:64]
    record(
        "auth.login_failed",
        actor=None,
        object_type="accounts.user",
        object_id=username,
        outcome=Outcome.FAILURE,
    )
