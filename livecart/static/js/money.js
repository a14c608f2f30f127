// Money arrives as integer minor units plus an ISO 4217 currency; Intl knows each currency's digits and
// formats them in the reader's locale (i18n.js).
import { locale, t } from "./i18n.js";

const formatters = new Map();

function formatter(currency) {
  if (!formatters.has(currency)) {
    formatters.set(currency, new Intl.NumberFormat(locale, { style: "currency", currency }));
  }
  return formatters.get(currency);
}

export function minorDigits(currency) {
  return formatter(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** formatMoney(1900, "EUR") → "€19.00" (in the reader's locale); formatMoney(500, "JPY") → "¥500". */
export function formatMoney(cents, currency) {
  if (typeof cents !== "number" || !currency) return "";
  return formatter(currency).format(cents / 10 ** minorDigits(currency));
}

/** "only 3 left" when few remain, "Sold out" at zero, "N in stock" otherwise. */
export function stockText(stock) {
  if (typeof stock !== "number") return "";
  if (stock <= 0) return t("stock.sold_out");
  if (stock <= 10) return t("stock.only_left", { left: stock });
  return t("stock.in_stock", { stock: new Intl.NumberFormat(locale).format(stock) });
}
