"""How slots are said in words, shared by the generators (which say them) and the NLU (which reads them).

>>> slot_words("pricerange"), slot_words("phone"), slot_words("near_station")
('price range', 'phone number', 'near station')
"""

from __future__ import annotations

SLOT_WORDS = {
    "pricerange": "price range",
    "weightrange": "weight range",
    "batteryrating": "battery rating",
    "driverange": "drive range",
    "processorclass": "processor class",
    "isforbusiness": "business use",
    "phone": "phone number",
    "signature": "signature dish",
    "opening": "opening hours",
}
"""Slots whose names are not plain English; any other slot is said with ``_``/``-`` as spaces."""

SLOT_ALIASES = {
    "pricerange": ("price", "prices", "cost"),
    "food": ("cuisine", "kind of food", "type of food"),
    "area": ("part of town", "location", "neighbourhood"),
    "phone": ("phone", "telephone", "number"),
    "postcode": ("post code", "postal code", "zip code"),
    "address": ("where it is",),
    "people": ("party size", "how many people"),
}
"""Further ways to name a slot, read by the NLU (never produced by the templates)."""


def slot_words(slot: str) -> str:
    """The words for a slot in an utterance (``pricerange`` -> ``price range``)."""
    return SLOT_WORDS.get(slot) or slot.replace("_", " ").replace("-", " ")
