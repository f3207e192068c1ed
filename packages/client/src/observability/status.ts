/** What the control plane last told us about the key and the tunnel. */
export type ControlPlaneState =
  'starting' | 'connected' | 'unauthorized' | 'forbidden' | 'unreachable' | 'rejected';

/** One channel's MCP server as its binding reports it. */
export interface ChannelStatus {
  name: string;
  /** The binding's kind (stdio, http, memory), shown as it is. */
  kind: string;
  initialized: boolean;
  detail: string;
  /** The stdio child's process id while it runs. */
  pid?: number | undefined;
  /** How often the stdio child was restarted. */
  restarts?: number;
}

/** Live state shared by the poller, the bindings and the ops server. */
export class ClientStatus {
  readonly startedAt = new Date();
  tunnelName: string | undefined;
  controlPlane: { state: ControlPlaneState; detail: string; lastPollAt: Date | undefined } = {
    state: 'starting',
    detail: 'no poll has completed yet',
    lastPollAt: undefined,
  };
  readonly tunnelId: string;
  readonly instanceId: string;
  readonly channels: () => ChannelStatus[];

  constructor(tunnelId: string, instanceId: string, channels: () => ChannelStatus[]) {
    this.tunnelId = tunnelId;
    this.instanceId = instanceId;
    this.channels = channels;
  }

  setControlPlane(state: ControlPlaneState, detail: string): void {
    this.controlPlane = { ...this.controlPlane, state, detail };
    if (state === 'connected') this.controlPlane.lastPollAt = new Date();
  }

  /** Ready when the service accepted the key and the main binding answered initialize. */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (this.controlPlane.state !== 'connected')
      reasons.push(`control plane ${this.controlPlane.state}: ${this.controlPlane.detail}`);
    const channels = this.channels();
    const main = channels.find((c) => c.name === 'main') ?? channels[0];
    if (!main) reasons.push('no MCP server is configured');
    else if (!main.initialized) reasons.push(`channel ${main.name} (${main.kind}): ${main.detail}`);
    return { ready: reasons.length === 0, reasons };
  }
}
