from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from xinfang.accounts import rules, sessions


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the top navigation may offer this user."""
    # Error pages can be rendered before AuthenticationMiddleware ran (e.g. a bad Host header).
    user = getattr(request, "user", None) or AnonymousUser()
    session = getattr(request, "session", None)
    return {
        # Password alone (the second factor still owed): no navigation, only the way out.
        "nav_signed_in": bool(
            user.is_authenticated and session is not None and sessions.second_factor_done(session)
        ),
        "nav_can_manage_security": rules.can_manage_security(user),
        "nav_can_register": rules.can_register_cases(user),
        "nav_can_work_cases": rules.can_work_cases(user),
        "nav_can_request_export": rules.can_request_personal_export(user),
        "nav_can_use_exports": rules.can_request_personal_export(user)
        or rules.can_approve_personal_exports(user),
        "nav_can_manage_accounts": rules.can_manage_accounts(user),
    }
