"""The vocabulary of docs/design.md as enums: the allowed values of the data contract."""

from __future__ import annotations

from enum import StrEnum

from matcher.vocab import kinds


class Gender(StrEnum):
    female = "female"
    male = "male"
    other = "other"


class Group(StrEnum):
    """Why a client is supported. Sensitive: never shown to a provider, never logged."""

    youth_at_risk = "youth_at_risk"
    trafficking_returnee = "trafficking_returnee"
    after_rehab = "after_rehab"
    after_prison = "after_prison"
    after_reform_school = "after_reform_school"
    sex_worker_exiting = "sex_worker_exiting"
    gbv_survivor = "gbv_survivor"
    disabled = "disabled"
    other = "other"


# Groups that carry a record (drugs, prison, reform school): an option must accept records.
GROUPS_WITH_RECORD = frozenset(
    {Group.after_rehab, Group.after_prison, Group.after_reform_school}
)


class Education(StrEnum):
    none = "none"
    primary = "primary"
    lower_secondary = "lower_secondary"
    upper_secondary = "upper_secondary"
    vocational = "vocational"
    college = "college"


class Disability(StrEnum):
    none = "none"
    deaf = "deaf"
    blind = "blind"
    physical = "physical"
    intellectual = "intellectual"
    psychosocial = "psychosocial"


#: The kinds of provider and option, from the one table of kinds (matcher.vocab.kinds).
ProviderKind = StrEnum("ProviderKind", {k: k for k in kinds.PROVIDER_KINDS})
OptionKind = StrEnum("OptionKind", {k: k for k in kinds.CODES})


class PlacementStatus(StrEnum):
    ongoing = "ongoing"
    completed = "completed"
    dropped = "dropped"


class Role(StrEnum):
    social_worker = "social_worker"
    programme_staff = "programme_staff"
    provider = "provider"
    admin = "admin"
