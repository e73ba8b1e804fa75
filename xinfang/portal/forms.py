"""Portal forms. Plain language; every field says what it is for."""

from __future__ import annotations

import random
import time
from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError

from xinfang.accounts.enums import RegionLevel
from xinfang.accounts.models import Region, Unit
from xinfang.cases.enums import HandlingCategory
from xinfang.cases.forms import (
    AttachmentsField,
    CategoryChoiceField,
    RegionChoiceField,
)
from xinfang.cases.models import ContentCategory
from xinfang.cases.queries import registrable_categories
from xinfang.cases.services import CaseInput
from xinfang.core.validators import validate_id_number, validate_phone
from xinfang.portal import services

TEXT = forms.Textarea(attrs={"rows": 5})
_CHALLENGE_SALT = "xinfang.portal.challenge"
_CHALLENGE_MAX_AGE = 2 * 3600
_NUMBERS = "零一二三四五六七八九十"


class LookupForm(forms.Form):
    number = forms.CharField(
        label="信访件编号",
        max_length=32,
        help_text="登记时告知您的编号，如 A01-2026-000123",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    query_code = forms.CharField(
        label="查询码",
        max_length=16,
        help_text="8 位字母和数字，印在受理告知书上",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class HumanCheckField(forms.CharField):
    """人机验证 without any outside service: a small sum in Chinese numerals, its answer signed
    into the form (so it survives a reload and cannot be replayed after two hours)."""


def new_challenge() -> tuple[str, str]:
    """(question, signed token)."""
    left, right = random.randint(1, 9), random.randint(1, 9)  # noqa: S311 - not a secret
    question = f"{_NUMBERS[left]}加{_NUMBERS[right]}等于几？（请填阿拉伯数字）"
    token = signing.dumps({"a": left + right, "t": int(time.time())}, salt=_CHALLENGE_SALT)
    return question, token


class OnlinePetitionForm(forms.Form):
    """第十九条: 姓名、住址、请求、事实和理由; a phone or ID number so the office can reach you."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号", max_length=18, required=False, help_text="可不填；填写后便于核实身份"
    )
    phone = forms.CharField(label="联系电话", max_length=20)
    address = forms.CharField(label="住址", max_length=200)
    title = forms.CharField(label="标题", max_length=100, help_text="一句话说明您反映的事情")
    request = forms.CharField(label="您的请求", max_length=5000, widget=TEXT)
    facts_reasons = forms.CharField(label="事实和理由", max_length=20000, widget=TEXT)
    content_category = CategoryChoiceField(
        label="问题类别", queryset=ContentCategory.objects.none(), empty_label="请选择"
    )
    region = RegionChoiceField(
        label="问题发生地", queryset=Region.objects.none(), empty_label="请选择"
    )
    attachments = AttachmentsField(label="材料（可选）", required=False)
    answer = HumanCheckField(label="验证", max_length=4)
    challenge = forms.CharField(widget=forms.HiddenInput)
    website = forms.CharField(required=False, label="请勿填写此项")  # honeypot for robots

    def __init__(self, *args: Any, office: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["content_category"].queryset = registrable_categories().select_related(  # type: ignore[attr-defined]
            "parent"
        )
        regions = Region.objects.filter(level__gte=RegionLevel.CITY)
        if office.region is not None:
            regions = regions.filter(code__startswith=office.region.code)
        self.fields["region"].queryset = regions.order_by("code")  # type: ignore[attr-defined]
        question, token = new_challenge()
        if self.is_bound and self.data.get("challenge"):
            token = str(self.data["challenge"])
            question = str(self.data.get("question", question))
        self.fields["answer"].label = question
        self.initial["challenge"] = token
        self.question = question

    def clean_id_number(self) -> str:
        raw: str = self.cleaned_data["id_number"].strip()
        return validate_id_number(raw) if raw else ""

    def clean_phone(self) -> str:
        return validate_phone(self.cleaned_data["phone"])

    def clean_website(self) -> str:
        if self.cleaned_data["website"]:
            raise ValidationError("提交未成功，请刷新页面后重试。")
        return ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            payload = signing.loads(
                data.get("challenge", ""), salt=_CHALLENGE_SALT, max_age=_CHALLENGE_MAX_AGE
            )
        except signing.BadSignature:
            self.add_error("answer", "验证已过期，请按新的题目重新作答。")
            return data
        if str(payload.get("a")) != str(data.get("answer", "")).strip():
            self.add_error("answer", "验证答案不正确，请重新计算。")
        return data

    def petition(self) -> services.OnlinePetition:
        data = self.cleaned_data
        return services.OnlinePetition(
            name=data["name"].strip(),
            id_number=data["id_number"],
            phone=data["phone"],
            address=data["address"].strip(),
            title=data["title"].strip(),
            request=data["request"].strip(),
            facts_reasons=data["facts_reasons"].strip(),
        )

    def case_input(self) -> CaseInput:
        data = self.cleaned_data
        return CaseInput(
            handling_category=HandlingCategory.CLAIM,  # 受理时由办理机关确定途径
            content_category=data["content_category"],
            region=data["region"],
            title=data["title"].strip(),
            request=data["request"].strip(),
            facts_reasons=data["facts_reasons"].strip(),
        )


class EvaluationForm(forms.Form):
    office_rating = forms.ChoiceField(
        label="对信访部门（登记、转送）的评价", widget=forms.RadioSelect
    )
    organ_rating = forms.ChoiceField(label="对办理机关（处理意见）的评价", widget=forms.RadioSelect)
    comment = forms.CharField(
        label="意见和建议（可选）", required=False, max_length=2000, widget=TEXT
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(label, label) for label in services.scale()]
        self.fields["office_rating"].choices = choices  # type: ignore[attr-defined]
        self.fields["organ_rating"].choices = choices  # type: ignore[attr-defined]


class FollowUpForm(EvaluationForm):
    """回访: staff record what the petitioner said on the phone or in person."""

    channel = forms.ChoiceField(
        label="回访方式",
        choices=[("phone", "电话回访"), ("visit", "当面回访")],
    )


class ReviewRequestForm(forms.Form):
    request_text = forms.CharField(
        label="您对处理意见的不同意见和理由", max_length=5000, widget=TEXT
    )
