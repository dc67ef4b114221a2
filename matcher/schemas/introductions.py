"""What a care home writes when it asks for an introduction (API and pages)."""

from __future__ import annotations

import marshmallow as ma

from .fields import MESSAGE_MAX, Text


def message_field(**kwargs) -> Text:
    """The home's message to the group: plain text (line breaks allowed, no control
    characters) up to ``MESSAGE_MAX`` characters."""
    return Text(max_length=MESSAGE_MAX, multiline=True, **kwargs)


class IntroductionMessageSchema(ma.Schema):
    """The care-home page's request form."""

    message = message_field(load_default="")

    @ma.post_load
    def _strip(self, data, **kwargs):
        data["message"] = (data.get("message") or "").strip() or None
        return data
