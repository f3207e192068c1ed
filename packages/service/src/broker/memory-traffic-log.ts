import { TRAFFIC_LOG_SIZE, type TrafficEntry, type TrafficLog } from './traffic-log.ts';

/** The embedded traffic log: a ring of entries per tunnel in this process. */
export class MemoryTrafficLog implements TrafficLog {
  readonly #rings = new Map<string, TrafficEntry[]>();

  async record(tunnelId: string, entry: TrafficEntry): Promise<void> {
    let ring = this.#rings.get(tunnelId);
    if (!ring) this.#rings.set(tunnelId, (ring = []));
    ring.push(entry);
    if (ring.length > TRAFFIC_LOG_SIZE) ring.splice(0, ring.length - TRAFFIC_LOG_SIZE);
  }

  async recent(tunnelId: string): Promise<TrafficEntry[]> {
    return [...(this.#rings.get(tunnelId) ?? [])].reverse();
  }
}
