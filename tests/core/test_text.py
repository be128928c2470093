"""`error_text`: what a failure leaves in a `last_error` column (core/text.py)."""

from __future__ import annotations

from panel_app.core.text import ERROR_TEXT_MAX, error_text


def test_a_long_error_page_is_cut_to_the_column_limit():
    proxy_page = "<html><body>502 Bad Gateway – passerelle incorrecte</body></html>" * 500
    assert error_text(RuntimeError(proxy_page)) == proxy_page[:ERROR_TEXT_MAX]
    assert len(error_text(proxy_page, limit=100)) == 100


def test_a_short_message_is_kept_whole_with_its_accents():
    assert error_text(ValueError("adresse refusée : ñúñez@parlamento.example")) == (
        "adresse refusée : ñúñez@parlamento.example")


def test_an_exception_without_a_message_is_named_by_its_type():
    assert error_text(TimeoutError()) == "TimeoutError"
