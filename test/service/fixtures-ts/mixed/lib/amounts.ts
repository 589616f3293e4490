// A helper of mixed/large-refund.ts. Rules' helpers live in a subfolder: the loader reads only
// the files directly in the folder it is given.

/** Whether an event's `amount` is a number of at least `min`. */
export function amountAtLeast(event: { readonly amount?: unknown }, min: number): boolean {
  return typeof event.amount === "number" && event.amount >= min;
}
