/** What a `within` window bounds (FlinkCEP's `WithinType`). */
export enum WithinType {
  /** Time between the first and the last event of the whole match. */
  FIRST_AND_LAST = "FIRST_AND_LAST",
  /** Time between the previous stage's last event and this stage's events. */
  PREVIOUS_AND_CURRENT = "PREVIOUS_AND_CURRENT",
}
