"""The alarm book: ISA-18.2 lifecycle, its relational store, calls and the rule-to-book service."""
