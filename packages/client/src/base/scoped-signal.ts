export interface ScopedSignal {
  signal: AbortSignal;
  /** Releases the timer and the parent listener; call it when the operation ends. */
  dispose(): void;
}

/**
 * An abort signal for one operation: it aborts when `parent` does or after `ms`. AbortSignal.any and
 * AbortSignal.timeout would do the same, but their timers and their registration on a long-lived parent
 * stay alive until the timer fires, so thousands of short calls with long budgets pile up in memory.
 */
export function scopedSignal(parent: AbortSignal | undefined, ms: number): ScopedSignal {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent!.reason);
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation timed out', 'TimeoutError')),
    ms,
  );
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
