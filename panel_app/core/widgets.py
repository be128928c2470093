"""Form widgets tuned for hot pages.

The registration form's country list has ~250 options; rendering them through WTForms'
generic widget cost most of the form's response time (markup escaping per attribute per
option). `CachedSelect` renders the same HTML, but builds the option list once per distinct
set of choices (one per language) and only swaps in the selected option.
"""

from __future__ import annotations

import threading

from markupsafe import Markup
from wtforms.fields.choices import Choice
from wtforms.widgets import Select, html_params

_MAX_ENTRIES = 16


class CachedSelect(Select):
    """A single `<select>` whose rendered options are cached by their (value, label) list."""

    def __init__(self):
        super().__init__(multiple=False)
        self._cache: dict[tuple, tuple[list[str], dict[str, int]]] = {}
        self._lock = threading.Lock()

    def _options(self, choices: list[Choice]) -> tuple[list[str], dict[str, int]]:
        key = tuple((choice.value, str(choice.label), bool(choice.render_kw)) for choice in choices)
        cached = self._cache.get(key)
        if cached is None:
            rendered = [self.render_option(choice._replace(selected=False)) for choice in choices]
            cached = (rendered, {choice.value: i for i, choice in enumerate(choices)})
            with self._lock:
                if len(self._cache) >= _MAX_ENTRIES:
                    self._cache.clear()
                self._cache[key] = cached
        return cached

    def __call__(self, field, **kwargs):
        if field.has_groups():
            return super().__call__(field, **kwargs)
        choices = list(field._iter_choices_normalized())
        if any(choice.render_kw for choice in choices):
            return super().__call__(field, **kwargs)  # per-option attributes: not worth caching
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        options, index = self._options(choices)
        picked = [i for i, choice in enumerate(choices) if choice.selected]
        if picked:
            options = list(options)
            for i in picked:
                options[i] = self.render_option(choices[i])
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>" + "".join(options) + "</select>")
