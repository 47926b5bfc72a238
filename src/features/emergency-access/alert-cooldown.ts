/**
 * The alert cooldown of SPEC §4.6: no alert round while the last one was sent less than
 * `EMERGENCY_ALERT_COOLDOWN_MIN` ago. `last_alert_at` only moves forward, so a committed
 * value inside the window proves that no round is due, whatever runs in parallel.
 */
export function withinAlertCooldown(lastAlertAt: Date | null, now: Date, cooldownMinutes: number): boolean {
  return lastAlertAt !== null && lastAlertAt.getTime() > now.getTime() - cooldownMinutes * 60_000
}
