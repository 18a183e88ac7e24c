import { ApiError } from '../api/error';
import { ready, subscribe } from '../api/events';
import {
  pairRelay,
  relayOverview,
  RelayProgressEvent,
  setListenerMode,
  syncRelays,
  unpairRelay,
  type ListenerMode,
  type RelayOverview,
  type RelaySyncProgress,
  type RelaySyncResult,
} from '../api/relays';

/**
 * RelaySettings is the state of Settings → Listener's choice between the
 * local listener and relays: the overview from Go, pairing, sync with its
 * progress, unpairing. linksChanged runs after the links in new mails were
 * pointed elsewhere (the listener form shows the new public URL).
 */
export class RelaySettings {
  overview = $state<RelayOverview | null>(null);
  /** mode is the choice shown: the stored one, or "relay" while a first relay is being paired. */
  mode = $state<ListenerMode>('local');
  loading = $state(false);
  error = $state<ApiError | null>(null);

  code = $state('');
  pairing = $state(false);
  pairError = $state<ApiError | null>(null);
  /** pairedId is the relay paired last (for the confirmation). */
  pairedId = $state('');

  switching = $state(false);
  modeError = $state<ApiError | null>(null);

  syncing = $state(false);
  progress = $state<RelaySyncProgress | null>(null);
  result = $state<RelaySyncResult[] | null>(null);
  syncError = $state<ApiError | null>(null);

  constructor(private readonly linksChanged: () => Promise<void> | void = () => {}) {}

  /** relays are the paired relays (none before the overview arrives). */
  get relays(): RelayOverview['relays'] {
    return this.overview?.relays ?? [];
  }

  /** load reads the mode and the paired relays (each relay is asked whether it is reachable). */
  async load(): Promise<void> {
    this.loading = true;
    try {
      const o = await relayOverview();
      this.overview = o;
      this.error = null;
      // Choosing "relay" before the first pairing keeps the pairing form open.
      if (!(this.mode === 'relay' && o.mode === 'local' && o.relays.length === 0)) this.mode = o.mode;
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.loading = false;
    }
  }

  /** choose points new links at the local listener or a paired relay; without a relay it opens the pairing form. */
  async choose(mode: ListenerMode): Promise<void> {
    this.modeError = null;
    if (this.overview === null || this.switching) return;
    if (mode === 'relay' && this.relays.length === 0) {
      this.mode = 'relay';
      return;
    }
    if (mode === this.overview.mode) {
      this.mode = mode;
      return;
    }
    this.switching = true;
    try {
      const o = await setListenerMode(mode);
      this.overview = o;
      this.mode = o.mode;
      await this.linksChanged();
    } catch (reason) {
      this.modeError = ApiError.from(reason);
      this.mode = this.overview.mode;
    } finally {
      this.switching = false;
    }
  }

  /** pair pairs with the relay the pasted code names. */
  async pair(): Promise<boolean> {
    if (this.pairing) return false;
    this.pairing = true;
    this.pairError = null;
    this.pairedId = '';
    try {
      const p = await pairRelay(this.code.trim());
      this.pairedId = p.relayId;
      this.code = '';
      this.mode = 'relay';
      await this.load();
      await this.linksChanged();
      return true;
    } catch (reason) {
      this.pairError = ApiError.from(reason);
      return false;
    } finally {
      this.pairing = false;
    }
  }

  /** sync collects every relay's events and publishes now, showing the progress. */
  async sync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    this.syncError = null;
    this.result = null;
    this.progress = null;
    const off = subscribe(RelayProgressEvent, (data) => {
      this.progress = data as RelaySyncProgress;
    });
    try {
      await ready();
      this.result = await syncRelays();
    } catch (reason) {
      this.syncError = ApiError.from(reason);
    } finally {
      off();
      this.syncing = false;
      this.progress = null;
    }
    await this.load();
  }

  /** unpair forgets the relay. */
  async unpair(id: string): Promise<void> {
    this.error = null;
    try {
      await unpairRelay(id);
      if (this.pairedId === id) this.pairedId = '';
      // Without relays the links point at the local listener again.
      this.mode = 'local';
      await this.load();
      await this.linksChanged();
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** applied counts the events the last sync applied, over all relays. */
  get applied(): number {
    return (this.result ?? []).reduce((n, r) => n + Object.values(r.collected.applied ?? {}).reduce((a, b) => a + b, 0), 0);
  }

  /** profiles counts the profiles the last sync published (per relay the most). */
  get profiles(): number {
    return (this.result ?? []).reduce((n, r) => Math.max(n, r.published?.profiles ?? 0), 0);
  }
}
