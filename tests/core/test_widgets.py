"""QuickSelect writes what Django's select templates write: the same elements, attributes and
text, every value escaped."""

from __future__ import annotations

from html.parser import HTMLParser

from django import forms

from xinfang.core.widgets import QuickSelect

CHOICES = [
    ("", "全部"),
    ("990100", "甲市"),
    ("990102", "　A1区 <b>&</b>"),
    ('"><script>', "引号"),
    ("组", [("a", "甲"), ("b", "乙")]),
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, tuple[tuple[str, str | None], ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(("start", tag, tuple(sorted(attrs))))

    def handle_endtag(self, tag: str) -> None:
        self.seen.append(("end", tag, ()))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.seen.append(("text", data, ()))


def _elements(html: str) -> list[tuple[str, str, tuple[tuple[str, str | None], ...]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.seen


def test_quick_select_writes_the_elements_django_writes_for_the_same_choices() -> None:
    for value in ("", "990102", "b", '"><script>', ["990100"]):
        attrs = {"id": "id_region", "class": "wide"}
        django = forms.Select(choices=CHOICES).render("region", value, attrs)
        ours = QuickSelect(choices=CHOICES).render("region", value, attrs)
        assert _elements(ours) == _elements(django), value


def test_quick_select_escapes_values_and_labels() -> None:
    html = QuickSelect(choices=CHOICES).render("region", "")
    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html


def test_a_form_field_with_quick_select_marks_the_chosen_option() -> None:
    class Form(forms.Form):
        region = forms.ChoiceField(choices=CHOICES, required=False, widget=QuickSelect)

    html = str(Form({"region": "990102"})["region"])
    assert '<option value="990102" selected>' in html
    assert html.count(" selected") == 1
