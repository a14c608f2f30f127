// Money arrives as integer minor units plus an ISO 4217 currency; Intl knows each currency's digits.

const formatters = new Map();

function formatter(currency) {
  if (!formatters.has(currency)) {
    formatters.set(currency, new Intl.NumberFormat(undefined, { style: "currency", currency }));
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
  if (stock <= 0) return "Sold out";
  if (stock <= 10) return `only ${stock} left`;
  return `${stock} in stock`;
}
