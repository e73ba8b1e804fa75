from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from xinfang.accounts import rules


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Whether the top navigation offers 同类问题归并 to this user."""
    user = getattr(request, "user", None) or AnonymousUser()
    return {"nav_can_view_issue_groups": rules.can_view_issue_groups(user)}
