// One way to print an amount of US dollars, wherever guardrun shows one (exit line, prompts, replay).

/**
 * `$0.00` for nothing; two significant digits below a cent (`$0.000015`, floor `<$0.000001`); up to four
 * decimals below a dollar, trailing zeros past the cents dropped (`$0.0123`, `$0.05`); cents above (`$12.35`).
 * Small sums stay visible instead of rounding to zero.
 */
export function formatUsd(amount: number): string {
  if (amount === 0) return '$0.00';
  if (amount < 0) return `-${formatUsd(-amount)}`;
  if (amount < 0.000001) return '<$0.000001';
  if (amount < 0.01) return `$${Number(amount.toPrecision(2)).toFixed(Math.min(6, Math.max(4, -Math.floor(Math.log10(amount)) + 1)))}`;
  if (amount < 1) return `$${amount.toFixed(4).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
  return `$${amount.toFixed(2)}`;
}
