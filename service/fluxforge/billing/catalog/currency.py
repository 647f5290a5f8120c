"""ISO 4217 currencies: how many minor units make a major one, and how amounts read on invoices.

Pure: no I/O. Money everywhere in FluxForge is an integer count of minor units (cents for USD,
yen for JPY, fils for BHD); the exponent says where the decimal point goes when a person reads
it. An unknown code is refused rather than guessed, because a wrong exponent misprices by a
factor of 10 or 100.
"""

from __future__ import annotations

from types import MappingProxyType

# Minor-unit exponents of the currencies in common use (ISO 4217 amendment 176). Currencies
# not listed here are refused; add them with their ISO exponent when a plan needs them.
CURRENCY_EXPONENTS: MappingProxyType[str, int] = MappingProxyType(
    {
        # exponent 0: the major unit is the smallest
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
        "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        # exponent 2
        "AED": 2, "ARS": 2, "AUD": 2, "BDT": 2, "BGN": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2,
        "COP": 2, "CZK": 2, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "EUR": 2, "GBP": 2, "GHS": 2,
        "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "KES": 2, "KZT": 2, "LKR": 2, "MAD": 2,
        "MXN": 2, "MYR": 2, "NGN": 2, "NOK": 2, "NZD": 2, "PEN": 2, "PHP": 2, "PKR": 2, "PLN": 2,
        "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TRY": 2,
        "TWD": 2, "UAH": 2, "USD": 2, "UYU": 2, "ZAR": 2,
        # exponent 3
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        # exponent 4 (units of account)
        "CLF": 4, "UYW": 4,
    }
)  # fmt: skip


class UnknownCurrency(ValueError):
    """A currency code that is not in CURRENCY_EXPONENTS; plans naming one are refused by `logic.validate_terms`."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown currency {code!r}: use an ISO 4217 code such as USD, EUR or JPY")
        self.code = code


def currency_exponent(code: str) -> int:
    """Digits after the decimal point of `code` (USD 2, JPY 0, BHD 3); UnknownCurrency otherwise."""
    try:
        return CURRENCY_EXPONENTS[code]
    except KeyError:
        raise UnknownCurrency(code) from None


def format_money(amount: int, currency: str) -> str:
    """An amount of minor units as people read it on an invoice: "USD 1,234.50", "JPY 1,235",
    "BHD 1.234", "EUR -0.05". Integer arithmetic only, so no amount is ever misprinted."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be an int of minor units")
    exponent = currency_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**exponent)
    text = f"{whole:,}"
    if exponent:
        text += f".{fraction:0{exponent}d}"
    return f"{currency} {sign}{text}"
