from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import User


class ApiToken(models.Model):
    """接口令牌: a bearer secret for one user's programs. Only its SHA-256 is stored, so a
    copy of the database cannot be replayed against the API; the plaintext is shown once."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户")
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("令牌前缀"), max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    def is_usable(self, now: dt.datetime) -> bool:
        """Not revoked, not expired, and its owner's account is still active."""
        if self.revoked_at is not None:
            return False
        if self.expires_at is not None and self.expires_at <= now:
            return False
        return self.user.is_active
