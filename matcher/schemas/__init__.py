"""Input schemas and fields shared by the API, the pages, the CLI, imports and the demo loader.

Neutral ground: nothing here imports Flask, ``api`` or ``web``, so every entry point
validates a care home or a group with the same rules. Response schemas stay in ``api``.
"""

from .care_homes import CareHomeInputSchema, CareHomePatchSchema, ResidentLanguageSchema
from .fields import ContactSchema, Interests, LanguageName, Postcode, contact_of, flatten_contact
from .groups import GroupInputSchema, GroupPatchSchema, SafeguardingSchema
from .introductions import IntroductionMessageSchema, message_field

__all__ = [
    "CareHomeInputSchema",
    "CareHomePatchSchema",
    "ContactSchema",
    "GroupInputSchema",
    "GroupPatchSchema",
    "IntroductionMessageSchema",
    "Interests",
    "LanguageName",
    "Postcode",
    "ResidentLanguageSchema",
    "SafeguardingSchema",
    "contact_of",
    "flatten_contact",
    "message_field",
]
