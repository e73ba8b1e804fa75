from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")
