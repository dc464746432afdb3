"""Everything about glossary terms, usable on its own: the TSV file (`store`), finding terms in
Dutch and their targets in English (`match`), repairing translations (`enforce`) and the
`nlen glossary` commands (`cli`). Never imports `translate`.
"""

from __future__ import annotations

from glossary.match import Match, find_target, find_terms, target_present
from glossary.store import (
    DEFAULT_GLOSSARY, Glossary, GlossaryError, Problem, Term, add_term, check_glossary, export_terms,
    import_terms, load_glossary, parse_glossary, remove_term, resolve_glossary_path,
)

__all__ = [
    "DEFAULT_GLOSSARY", "Glossary", "GlossaryError", "Match", "Problem", "Term", "add_term", "check_glossary",
    "export_terms", "find_target", "find_terms", "import_terms", "load_glossary", "parse_glossary",
    "remove_term", "resolve_glossary_path", "target_present",
]
