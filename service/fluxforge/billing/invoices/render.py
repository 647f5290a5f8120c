"""An invoice as a customer reads it: CSV (one row per line) and PDF (a printable document).

Pure apart from reading the bundled font: the controller passes the invoice and the issuer it
shows. Amounts are printed from integer minor units with the currency's exponent (USD 2, JPY 0,
BHD 3) by integer/decimal arithmetic only; unit prices, which may be fractions of a minor unit,
are printed exactly.

The PDF uses DejaVu Sans (bundled in fonts/, Bitstream Vera licence), so names in any script
print as written, and fpdf2 embeds only the glyphs used.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from fluxforge.audit.logic import csv_safe, rfc3339
from fluxforge.billing.catalog.pricing import currency_exponent, format_money
from fluxforge.billing.invoices.models import Invoice, InvoiceLine, Issuer

FONT_DIR = Path(__file__).resolve().parent / "fonts"
CSV_MEDIA_TYPE = "text/csv"
PDF_MEDIA_TYPE = "application/pdf"
CSV_COLUMNS = (
    "position",
    "kind",
    "description",
    "meter_key",
    "quantity",
    "billable_quantity",
    "unit_price",
    "amount",
    "amount_minor",
    "currency",
    "window_start",
    "window_end",
    "plan_key",
    "plan_version",
    "event_count",
)
EN_DASH, TIMES, EM_DASH = "\u2013", "\u00d7", "\u2014"
STATUS_LABELS = {
    "draft": "DRAFT",
    "finalized": "",
    "payment_failed": "PAYMENT FAILED",
    "paid": "PAID",
    "void": "VOID",
}


# --- amounts as people read them ---------------------------------------------------------------


def major_units(amount: int, currency: str) -> str:
    """Minor units as a plain decimal of major units ("1234.50", "-0.05", JPY "1235")."""
    exponent = currency_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**exponent)
    return f"{sign}{whole}" + (f".{fraction:0{exponent}d}" if exponent else "")


def unit_price_text(unit_price: Decimal, currency: str, *, grouped: bool = False) -> str:
    """A unit price in minor units as major units, exactly, with at least the currency's decimals
    (USD 0.05 minor units -> "0.0005", 150 -> "1.50")."""
    exponent = currency_exponent(currency)
    value = unit_price.scaleb(-exponent).normalize()
    places = max(exponent, -int(value.as_tuple().exponent)) if value != 0 else exponent
    text = f"{value:,.{places}f}" if grouped else f"{value:.{places}f}"
    return text


def quantity_text(quantity: Decimal, *, grouped: bool = True) -> str:
    normalized = quantity.normalize()
    places = max(0, -int(normalized.as_tuple().exponent))
    return f"{normalized:,.{places}f}" if grouped else f"{normalized:.{places}f}"


def day(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%b %Y}"


def period_text(start: datetime, end: datetime) -> str:
    """[start, end) as a person says it: whole days inclusive when the bounds are midnights (UTC)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    midnight = {(m.hour, m.minute, m.second, m.microsecond) for m in (start, end)} == {(0, 0, 0, 0)}
    if midnight:
        return f"{day(start)} {EN_DASH} {day(end - timedelta(days=1))}"
    return f"{start:%Y-%m-%d %H:%M} {EN_DASH} {end:%Y-%m-%d %H:%M} UTC"


# --- CSV ---------------------------------------------------------------------------------------


def csv_document(invoice: Invoice) -> bytes:
    """RFC 4180: one row per line, then subtotal, credited (when any) and total rows.

    Amounts twice: in major units as a decimal ("12.34") for people and spreadsheets, and in
    minor units as an integer for programs. Text cells are neutralised against formulas.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    currency = invoice.currency
    for line in invoice.lines:
        source = line.source
        writer.writerow(
            [
                line.position + 1,
                line.kind,
                csv_safe(line.description),
                csv_safe(line.meter_key or ""),
                quantity_text(line.quantity, grouped=False),
                "" if line.billable_quantity is None else quantity_text(line.billable_quantity, grouped=False),
                "" if line.unit_price is None else unit_price_text(line.unit_price, currency),
                major_units(line.amount, currency),
                line.amount,
                currency,
                rfc3339(source.window_start),
                rfc3339(source.window_end),
                csv_safe(source.plan_key),
                source.plan_version,
                "" if source.event_count is None else source.event_count,
            ]
        )
    summary = [("subtotal", "Subtotal", invoice.subtotal)]
    if invoice.credited:
        summary.append(("credited", "Credited", -invoice.credited))
    summary.append(("total", "Total", invoice.total))
    for kind, label, amount in summary:
        writer.writerow(["", kind, label, "", "", "", "", major_units(amount, currency), amount, currency])
    return buffer.getvalue().encode()


def filename(invoice: Invoice, extension: str) -> str:
    name = invoice.number or f"draft-{invoice.customer_slug}-{invoice.period_start.astimezone(UTC):%Y%m%d}"
    return f"invoice-{name}.{extension}"


# --- PDF ---------------------------------------------------------------------------------------

INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
ACCENT = (31, 78, 121)
BAND = (241, 244, 248)
STAMP = {"DRAFT": (214, 137, 16), "PAID": (25, 135, 84), "VOID": (176, 42, 55), "PAYMENT FAILED": (176, 42, 55)}
COLUMNS = (("Description", 88.0, "L"), ("Quantity", 30.0, "R"), ("Unit price", 30.0, "R"), ("Amount", 32.0, "R"))


class _Document(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.add_font("Sans", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("Sans", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=22)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_draw_color(*RULE)
        self.line(15, self.get_y() - 2, 195, self.get_y() - 2)
        self.set_font("Sans", "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(150, 5, self.footer_text, align="L")
        self.cell(30, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def _text(pdf: FPDF, size: float, *, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
    pdf.set_font("Sans", "B" if bold else "", size)
    pdf.set_text_color(*color)


def _table_header(pdf: FPDF) -> None:
    pdf.set_fill_color(*BAND)
    _text(pdf, 8.5, bold=True, color=MUTED)
    for title, width, align in COLUMNS:
        pdf.cell(width, 7, title.upper(), fill=True, align=align)
    pdf.ln(7)


def _line_rows(pdf: FPDF, line: InvoiceLine, currency: str) -> None:
    if pdf.will_page_break(14):
        pdf.add_page()
        _table_header(pdf)
    description_width = COLUMNS[0][1]
    top = pdf.get_y() + 1.5
    pdf.set_xy(15, top)
    _text(pdf, 9)
    pdf.multi_cell(description_width - 2, 4.6, line.description, new_x=XPos.RIGHT, new_y=YPos.TOP)
    bottom = pdf.get_y()
    pdf.set_xy(15 + description_width, top)
    quantity = quantity_text(line.quantity)
    if line.billable_quantity is not None and line.billable_quantity != line.quantity:
        quantity += f"\n({quantity_text(line.billable_quantity)} billable)"
    unit = "" if line.unit_price is None else unit_price_text(line.unit_price, currency, grouped=True)
    if line.unit_price is None and line.tiers:
        unit = "tiered"
    elif line.unit_price is None and line.kind == "usage":
        unit = "per package"
    pdf.multi_cell(COLUMNS[1][1], 4.6, quantity, align="R", new_x=XPos.RIGHT, new_y=YPos.TOP)
    bottom = max(bottom, top + 4.6 * (quantity.count("\n") + 1))
    pdf.set_xy(15 + description_width + COLUMNS[1][1], top)
    pdf.cell(COLUMNS[2][1], 4.6, unit, align="R")
    pdf.cell(COLUMNS[3][1], 4.6, format_money(line.amount, currency), align="R")
    y = max(bottom, top + 4.6)
    details = [
        (
            f"Tier {tier.tier_index + 1}: {quantity_text(tier.quantity)} {TIMES} "
            f"{unit_price_text(tier.unit_price, currency, grouped=True)}"
            + (f" + flat {format_money(tier.flat_fee, currency)}" if tier.flat_fee else "")
        )
        for tier in line.tiers
    ]
    source = line.source
    if line.kind == "usage":
        details.append(f"{source.event_count or 0:,} events, {period_text(source.window_start, source.window_end)}")
    _text(pdf, 7.5, color=MUTED)
    for detail in details:
        pdf.set_xy(19, y)
        pdf.cell(description_width + COLUMNS[1][1] + COLUMNS[2][1] - 4, 3.8, detail)
        y += 3.8
    y += 1.5
    pdf.set_draw_color(*RULE)
    pdf.line(15, y, 195, y)
    pdf.set_y(y)


def _totals(pdf: FPDF, invoice: Invoice) -> None:
    currency = invoice.currency
    adjustments = invoice.total - invoice.subtotal
    rows: list[tuple[str, int, bool]] = [("Subtotal", invoice.subtotal, False)]
    if adjustments:
        rows.append(("Minimum commitment adjustment", adjustments, False))
    rows.append((f"Total ({currency})", invoice.total, True))
    if invoice.credited:
        rows.append(("Credited", -invoice.credited, False))
        rows.append(("Amount due", invoice.total - invoice.credited, True))
    if pdf.will_page_break(8 * len(rows) + 6):
        pdf.add_page()
    pdf.ln(3)
    for label, amount, strong in rows:
        pdf.set_x(105)
        if strong:
            pdf.set_fill_color(*BAND)
            _text(pdf, 10.5, bold=True)
            pdf.cell(55, 8, label, fill=True, align="L")
            pdf.cell(35, 8, format_money(amount, currency), fill=True, align="R")
        else:
            _text(pdf, 9, color=MUTED)
            pdf.cell(55, 6.5, label, align="L")
            _text(pdf, 9)
            pdf.cell(35, 6.5, format_money(amount, currency), align="R")
        pdf.ln(8 if strong else 6.5)


def _header(pdf: FPDF, invoice: Invoice, issuer_name: str, issuer_address: str) -> None:
    """The issuer on the left; the document's identity, dates and state stamp on the right."""
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, 210, 4, style="F")
    pdf.set_xy(15, 15)
    _text(pdf, 17, bold=True, color=ACCENT)
    pdf.cell(100, 9, issuer_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _text(pdf, 8.5, color=MUTED)
    for address_line in issuer_address.splitlines():
        if address_line.strip():
            pdf.cell(100, 4.4, address_line.strip(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    header_bottom = pdf.get_y()
    pdf.set_xy(115, 15)
    _text(pdf, 22, bold=True)
    pdf.cell(80, 10, "INVOICE", align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    facts = [
        ("Invoice number", invoice.number or f"Draft {EM_DASH} not yet issued"),
        ("Issue date", day(invoice.issued_at) if invoice.issued_at else EM_DASH),
        ("Due date", day(invoice.due_at) if invoice.due_at else EM_DASH),
        ("Currency", invoice.currency),
    ]
    for label, value in facts:
        pdf.set_x(115)
        _text(pdf, 8.5, color=MUTED)
        pdf.cell(35, 5, label, align="L")
        _text(pdf, 8.5, bold=True)
        pdf.cell(45, 5, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    stamp = STATUS_LABELS[invoice.status]
    if stamp:
        pdf.set_x(115)
        pdf.set_draw_color(*STAMP[stamp])
        _text(pdf, 10, bold=True, color=STAMP[stamp])
        pdf.set_line_width(0.6)
        pdf.cell(80, 8, stamp, border=1, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_line_width(0.2)
    pdf.set_y(max(pdf.get_y(), header_bottom) + 8)


def _parties(pdf: FPDF, invoice: Invoice) -> None:
    """Bill to (the tenant) on the left, the period billed on the right."""
    top = pdf.get_y()
    pdf.set_draw_color(*RULE)
    pdf.line(15, top, 195, top)
    pdf.set_xy(15, top + 4)
    _text(pdf, 7.5, bold=True, color=MUTED)
    pdf.cell(90, 4.5, "BILL TO", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _text(pdf, 11, bold=True)
    pdf.cell(90, 6, invoice.customer_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _text(pdf, 8.5, color=MUTED)
    pdf.cell(90, 4.5, f"Account: {invoice.customer_slug}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(90, 4.5, f"Tenant ID: {invoice.tenant_id}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()
    pdf.set_xy(115, top + 4)
    _text(pdf, 7.5, bold=True, color=MUTED)
    pdf.cell(80, 4.5, "BILLING PERIOD", align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    _text(pdf, 11, bold=True)
    pdf.set_x(115)
    pdf.cell(80, 6, period_text(invoice.period_start, invoice.period_end), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    _text(pdf, 8.5, color=MUTED)
    pdf.set_x(115)
    pdf.cell(80, 4.5, f"Invoice ID: {invoice.id}", align="R")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)


def _closing(pdf: FPDF, invoice: Invoice) -> None:
    """Credit notes against the invoice, then the payment terms and how lines were computed."""
    currency = invoice.currency
    if invoice.credit_notes:
        pdf.ln(4)
        _text(pdf, 8.5, bold=True)
        pdf.cell(180, 5, "Credit notes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _text(pdf, 8.5, color=MUTED)
        for note in invoice.credit_notes:
            text = (
                f"{note.number}, {day(note.issued_at)}: {format_money(note.amount, currency)} {EM_DASH} {note.reason}"
            )
            pdf.cell(180, 4.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    _text(pdf, 8, color=MUTED)
    terms = [
        f"All amounts in {currency}. Usage lines count the metered events of the window shown beneath them;",
        "each line's source (meter, window, event count, plan version) is also available through the API.",
    ]
    if invoice.due_at is not None and invoice.status in ("finalized", "payment_failed"):
        terms.insert(0, f"Payment is due by {day(invoice.due_at)}. Please quote {invoice.number} with your payment.")
    for term in terms:
        pdf.cell(180, 4.2, term, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def pdf_document(invoice: Invoice, issuer: Issuer) -> bytes:
    """The invoice as a one-or-more-page A4 PDF: issuer, customer, number and dates, the lines
    with quantities, unit prices and amounts (tiers and the usage each line counts beneath it),
    then subtotal, adjustments, total and credits. Drafts and void/paid invoices are stamped.

    A finalized invoice prints the issuer it was issued by; a draft prints the current one.
    """
    issuer_name = invoice.issuer_name or issuer.name
    issuer_address = (invoice.issuer_address if invoice.issuer_name is not None else issuer.address) or ""
    pdf = _Document(f"{issuer_name} \u00b7 Invoice {invoice.number or '(draft)'} \u00b7 {invoice.customer_name}")
    pdf.set_title(f"Invoice {invoice.number or 'draft'} {EM_DASH} {invoice.customer_name}")
    pdf.set_author(issuer_name)
    pdf.set_creator("FluxForge")
    pdf.set_creation_date(invoice.issued_at or invoice.created_at)
    pdf.add_page()
    _header(pdf, invoice, issuer_name, issuer_address)
    _parties(pdf, invoice)
    _table_header(pdf)
    if not invoice.lines:
        _text(pdf, 9, color=MUTED)
        pdf.cell(180, 9, "No charges in this period.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for line in invoice.lines:
        _line_rows(pdf, line, invoice.currency)
    _totals(pdf, invoice)
    _closing(pdf, invoice)
    return bytes(pdf.output())
