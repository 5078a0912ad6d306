"""Domain rules shared by a general category's generator, gold solver and checker (pricing, opening
hours, calendar arithmetic, ...): pure functions below both, so grading and generation agree and
imports point down (families -> verifiers -> core)."""
