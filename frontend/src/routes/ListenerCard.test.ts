import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RelayInfo, RelayOverview, RelaySyncProgress } from '../lib/api/relays';
import { setLocale } from '../lib/i18n/index.svelte';
import { stubDesktop } from '../test/desktop';
import { addServices, resolved } from '../test/services';
import ListenerCard from './ListenerCard.svelte';

const relayURL = 'https://relay.verein.example';

function overview(relays: RelayInfo[], mode: 'local' | 'relay' = relays.length > 0 ? 'relay' : 'local'): RelayOverview {
  return {
    mode,
    linksUrl: mode === 'relay' ? relayURL : 'https://news.verein.example/r',
    localPublicUrl: 'https://news.verein.example/r',
    relays,
    autoPublish: { pending: false, running: false, count: 1, lastAt: '2026-12-07T09:30:00Z' },
  };
}

const up: RelayInfo = { id: 'r1a2b3', url: relayURL, links: true, reachable: true, pending: 2, lastSync: '2026-12-07T09:00:00Z' };

afterEach(() => {
  delete window.runtime;
});

describe('Settings: listener, local or relay', () => {
  it('pairs a first relay from its code in German, explaining a wrong code, and then shows it', async () => {
    setLocale('de');
    stubDesktop();
    const listener = vi.fn(() => Promise.resolve({ publicUrl: 'https://news.verein.example/r', addr: '127.0.0.1:8485', autoStart: false, trustedProxies: [] }));
    addServices({ Settings: { GetListener: listener } });
    let current = overview([]);
    const relays = {
      Overview: vi.fn(() => Promise.resolve(current)),
      Pair: vi.fn((code: string) =>
        code === 'kaputt'
          ? Promise.reject({ code: 'invalid', field: 'code', key: 'error.relay.code', message: 'not a code' })
          : Promise.resolve({ url: relayURL, relayId: 'r1a2b3' }),
      ),
    };
    addServices({ Relays: relays });
    render(ListenerCard);
    await waitFor(() => expect(screen.getByTestId('listener-mode-local')).toBeChecked());
    expect(screen.queryByTestId('relay-panel')).toBeNull();
    expect(screen.getByTestId('listener-save')).toBeInTheDocument();

    // Choosing the relay without one opens the pairing form (nothing stored yet).
    await userEvent.click(screen.getByTestId('listener-mode-relay'));
    expect(await screen.findByTestId('relay-none')).toHaveTextContent('Noch kein Relay gekoppelt.');
    expect(screen.queryByTestId('listener-save')).toBeNull();

    await userEvent.type(screen.getByTestId('relay-code'), 'kaputt');
    await userEvent.click(screen.getByTestId('relay-pair'));
    expect(await screen.findByTestId('error-code')).toHaveTextContent('Das ist kein Kopplungscode eines Relays.');

    current = overview([up]);
    await userEvent.clear(screen.getByTestId('relay-code'));
    await userEvent.type(screen.getByTestId('relay-code'), 'resonanz-relay:1:abc');
    await userEvent.click(screen.getByTestId('relay-pair'));
    expect(await screen.findByTestId('relay-paired')).toHaveTextContent('Gekoppelt mit Relay r1a2b3.');
    expect(relays.Pair).toHaveBeenLastCalledWith('resonanz-relay:1:abc');
    expect(screen.getByTestId('relay-links-url')).toHaveTextContent(`Links in neuen Mails zeigen auf ${relayURL}`);
    const item = screen.getByTestId('relay-item');
    expect(within(item).getByTestId('relay-reachable')).toHaveTextContent('Erreichbar');
    expect(within(item).getByTestId('relay-pending')).toHaveTextContent('2 Ereignisse warten auf den Abgleich');
    expect(within(item).getByTestId('relay-last-sync')).toHaveTextContent('Letzter Abgleich: 07.12.2026');
    // The listener form is read again: the links point elsewhere now.
    expect(listener.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('says clearly why a relay cannot be reached and why publishing on change failed', async () => {
    stubDesktop();
    const down: RelayInfo = {
      ...up,
      reachable: false,
      pending: 0,
      problem: { key: 'error.relay.unreachable', message: 'x', params: { url: relayURL, reason: 'connect: connection refused' } },
    };
    const o = overview([down]);
    o.autoPublish = { pending: true, running: false, count: 2, problem: { key: 'error.relay.unreachable', message: 'x', params: { url: relayURL, reason: 'timeout' } } };
    addServices({ Relays: { Overview: resolved(o) } });
    render(ListenerCard);
    expect(await screen.findByTestId('relay-unreachable')).toHaveTextContent('Not reachable');
    expect(screen.getByTestId('relay-problem')).toHaveTextContent(
      `The relay at ${relayURL} cannot be reached (connect: connection refused). Is it running, and is the address right?`,
    );
    expect(screen.queryByTestId('relay-pending')).toBeNull();
    expect(screen.getByTestId('relay-auto-problem')).toHaveTextContent('Publishing automatically failed (next try in a minute): The relay at');
  });

  it('syncs with a progress bar, then says what the sync did', async () => {
    stubDesktop();
    let emit: ((data: unknown) => void) | undefined;
    window.runtime = {
      EventsOn: vi.fn((name: string, cb: (...data: unknown[]) => void) => {
        if (name === 'relay:progress') emit = cb;
        return () => (emit = undefined);
      }),
    };
    let finish: (v: unknown) => void = () => {};
    const relays = {
      Overview: resolved(overview([up])),
      Sync: vi.fn(() => new Promise((resolve) => (finish = resolve))),
    };
    addServices({ Relays: relays });
    render(ListenerCard);
    await userEvent.click(await screen.findByTestId('relay-sync'));
    expect(screen.getByTestId('relay-sync')).toBeDisabled();
    emit?.({ relayId: 'r1a2b3', phase: 'publish', done: 1200, total: 4800 } satisfies RelaySyncProgress);
    await waitFor(() => expect(screen.getByTestId('relay-progress')).toHaveAttribute('aria-valuenow', '25'));
    expect(screen.getByTestId('relay-progress-text')).toHaveTextContent('Publishing to relay r1a2b3: 1,200 of 4,800 profiles');
    finish([
      {
        relayId: 'r1a2b3',
        url: relayURL,
        collected: { relayId: 'r1a2b3', applied: { hits: 2, unsubscribe: 1 }, skipped: 0, failed: 0, quarantined: 0, through: 9 },
        published: { generation: 1, profiles: 4800, lists: 2, links: 5, surveys: 1 },
      },
    ]);
    expect(await screen.findByTestId('relay-synced')).toHaveTextContent('Synced. 3 events applied · 4,800 profiles published');
    expect(emit).toBeUndefined(); // unsubscribed
  });

  it('unpairs after asking, and goes back to the local listener', async () => {
    stubDesktop();
    let current = overview([up]);
    const relays = {
      Overview: vi.fn(() => Promise.resolve(current)),
      Unpair: vi.fn(() => {
        current = overview([]);
        return Promise.resolve(true);
      }),
      SetMode: vi.fn((mode: string) => Promise.resolve(overview([up], mode as 'local'))),
    };
    addServices({ Relays: relays });
    render(ListenerCard);
    await waitFor(() => expect(screen.getByTestId('listener-mode-relay')).toBeChecked());

    await userEvent.click(screen.getByTestId('listener-mode-local'));
    await waitFor(() => expect(relays.SetMode).toHaveBeenCalledWith('local'));
    expect(await screen.findByTestId('relay-local-kept')).toBeInTheDocument();
    expect(screen.getByTestId('listener-save')).toBeInTheDocument();

    await userEvent.click(screen.getByTestId('relay-unpair'));
    await userEvent.click(await screen.findByTestId('relay-unpair-confirm'));
    await waitFor(() => expect(relays.Unpair).toHaveBeenCalledWith('r1a2b3'));
    await waitFor(() => expect(screen.queryByTestId('relay-panel')).toBeNull());
  });
});
