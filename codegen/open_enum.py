"""Base class of the generated enums, tolerant of values added to the schema."""

from enum import StrEnum


class OpenEnum(StrEnum):
    """A string enum that accepts values unknown when the client was generated.

    Layer adds enum values without notice. An unknown value becomes a
    pseudo-member named `UNKNOWN` whose `value` is the raw string, so parsing
    goes on and the caller can still read and compare what the server sent.
    """

    @classmethod
    def _missing_(cls, value: object) -> "OpenEnum | None":
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member

    @property
    def is_unknown(self) -> bool:
        """True when the value is not among the members of this enum."""
        return self._value_ not in type(self)._value2member_map_
