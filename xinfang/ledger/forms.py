from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from xinfang.accounts.enums import RegionLevel
from xinfang.accounts.models import Region, User
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.forms import CategoryChoiceField, RegionChoiceField, regions_for
from xinfang.cases.models import ContentCategory
from xinfang.ledger.enums import REQUIRED_FIELDS, LedgerField
from xinfang.ledger.models import LedgerImport, MappingPreset
from xinfang.ledger.queries import presets_for
from xinfang.ledger.services import MappingInput


class UploadForm(forms.Form):
    file = forms.FileField(label="台账文件", help_text="Excel（.xlsx）或 CSV；第一张工作表")
    source = forms.CharField(
        label="台账来源",
        max_length=100,
        initial="台账导入",
        help_text="如“2019年市长信箱台账”。同一来源中原编号（或内容）相同的行只导入一次",
    )
    preset = forms.ModelChoiceField(
        label="列对应方案", queryset=MappingPreset.objects.none(), required=False,
        empty_label="按列名自动对应",
    )  # fmt: skip

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].queryset = presets_for(user)  # type: ignore[attr-defined]

    def upload(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        return upload


def _column_choices(headers: list[str]) -> list[tuple[str, str]]:
    letters = [_letter(index) for index in range(len(headers))]
    return [("", "（不导入）")] + [
        (str(index), f"{letters[index]}列：{header}") for index, header in enumerate(headers)
    ]


def _letter(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


class MappingForm(forms.Form):
    """One choice of column per field, the defaults for empty cells, and an optional preset."""

    channel = forms.ChoiceField(label="默认来源渠道", choices=Channel.choices)
    handling_category = forms.ChoiceField(label="默认处理类别", choices=HandlingCategory.choices)
    content_category = CategoryChoiceField(
        label="默认内容分类", queryset=ContentCategory.objects.none(), required=False,
        empty_label="（无：每行须有内容分类）",
    )  # fmt: skip
    region = RegionChoiceField(
        label="默认问题属地", queryset=Region.objects.none(), required=False,
        empty_label="（本单位所在地）",
    )  # fmt: skip
    preset_name = forms.CharField(
        label="另存为列对应方案", max_length=50, required=False, help_text="填写名称即保存"
    )
    share_preset = forms.BooleanField(label="与本单位登记员共用", required=False)

    def __init__(self, *args: Any, ledger: LedgerImport, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _column_choices(ledger.headers)
        for field in LedgerField:
            self.fields[f"col_{field.value}"] = forms.ChoiceField(
                label=str(field.label),
                choices=choices,
                required=field in REQUIRED_FIELDS,
                initial=str(ledger.columns[field.value]) if field.value in ledger.columns else "",
            )
        self.fields["content_category"].queryset = ContentCategory.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).select_related("parent")
        self.fields["region"].queryset = regions_for(user).filter(  # type: ignore[attr-defined]
            level__lte=RegionLevel.COUNTY
        )
        saved = ledger.defaults
        self.initial.setdefault("channel", saved.get("channel", Channel.ONLINE))
        self.initial.setdefault(
            "handling_category", saved.get("handling_category", HandlingCategory.CLAIM)
        )
        if saved.get("content_category"):
            self.initial.setdefault(
                "content_category",
                ContentCategory.objects.filter(code=saved["content_category"]).first(),
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{field.value}"] for field in LedgerField]

    def default_fields(self) -> list[forms.BoundField]:
        return [
            self[name] for name in ("channel", "handling_category", "content_category", "region")
        ]

    def to_input(self) -> MappingInput:
        data = self.cleaned_data
        columns = {
            field.value: int(data[f"col_{field.value}"])
            for field in LedgerField
            if data.get(f"col_{field.value}")
        }
        return MappingInput(
            columns=columns,
            channel=data["channel"],
            handling_category=data["handling_category"],
            content_category=data.get("content_category"),
            region=data.get("region"),
            preset_name=data.get("preset_name", ""),
            share_preset=bool(data.get("share_preset")),
        )
