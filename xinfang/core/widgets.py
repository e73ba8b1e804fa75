"""Form widgets rendered in Python where Django's templates cost more than the page around
them.

Django renders a ``<select>`` through one template, then one more template per option (and
one for each option's attributes): a filter form with a few hundred places, units and
categories spent a third of the case list's time there. :class:`QuickSelect` writes the same
HTML (whitespace between tags aside) directly, every value escaped."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


class QuickSelect(forms.Select):
    """A ``<select>`` with its options and groups, as ``django/forms/widgets/select.html``
    writes it, without a template per option."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        opening = format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))
        parts: list[str] = [opening]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    str(option["value"]),
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        # Every piece is format_html's (values escaped) or one of the two closing tags above.
        return mark_safe("".join(parts))  # noqa: S308
