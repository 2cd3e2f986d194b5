"""Money said aloud in the answer's language: ``network.money``."""

from __future__ import annotations

import pytest

from appliance.sitepack.network import money


@pytest.mark.parametrize(("amount", "currency", "said"), [
    (2.90, "GBP", "2 pounds 90"),
    (8.50, "GBP", "8 pounds 50"),
    (1.00, "GBP", "1 pound"),
    (5.00, "GBP", "5 pounds"),
    (1.45, "GBP", "1 pound 45"),
    (1.05, "GBP", "1 pound 05"),
    (2.50, "EUR", "2 euros 50"),
    (1.00, "USD", "1 dollar"),
    (3.00, "CHF", "3 CHF"),
])
def test_english_money_is_said_as_before(amount: float, currency: str, said: str) -> None:
    # other answers and tests depend on these words, byte for byte
    assert money(amount, currency) == said
    assert money(amount, currency, "en") == said


@pytest.mark.parametrize(("amount", "currency", "said"), [
    (2.20, "GBP", "2 libras con 20"),  # the demo pack's Spanish FAQ: "2 libras con 20"
    (2.90, "GBP", "2 libras con 90"),
    (1.45, "GBP", "1 libra con 45"),
    (1.00, "GBP", "1 libra"),
    (5.00, "GBP", "5 libras"),
    (1.05, "GBP", "1 libra con 5"),
    (2.50, "EUR", "2 euros con 50"),
    (1.00, "EUR", "1 euro"),
    (1.00, "USD", "1 dólar"),
    (3.75, "USD", "3 dólares con 75"),
    (3.00, "CHF", "3 CHF"),
])
def test_spanish_money_is_said_in_spanish(amount: float, currency: str, said: str) -> None:
    assert money(amount, currency, "es") == said


@pytest.mark.parametrize("language", ["es-ES", "ES", "es_MX"])
def test_a_regional_spanish_code_is_spanish(language: str) -> None:
    assert money(2.90, "GBP", language) == "2 libras con 90"


@pytest.mark.parametrize("language", ["fr", "", "xx"])
def test_an_unknown_language_falls_back_to_english(language: str) -> None:
    assert money(2.90, "GBP", language) == "2 pounds 90"
    assert money(1.00, "GBP", language) == "1 pound"
