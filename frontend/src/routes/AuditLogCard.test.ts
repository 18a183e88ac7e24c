import { render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import { stubDesktop } from '../test/desktop';
import AuditLogCard from './AuditLogCard.svelte';

afterEach(() => {
  delete window.go;
});

describe('AuditLogCard', () => {
  it('shows the newest actions as sentences with field labels, in the UI language', async () => {
    setLocale('de');
    const stub = stubDesktop();
    stub.AuditLog.mockResolvedValue([
      { id: 3, at: '2026-11-28T10:00:00Z', actor: 'desk', action: 'recipient.update', subject: '7', detail: '{"changed":["firstName","title"]}' },
      { id: 2, at: '2026-11-28T09:00:00Z', actor: 'desk', action: 'import.recipients', subject: '1', detail: '{"status":"done","read":3,"created":2}' },
      { id: 1, at: '2026-11-28T08:00:00Z', actor: 'desk', action: 'future.thing', subject: '', detail: '{}' },
    ]);
    render(AuditLogCard);
    const rows = await screen.findAllByTestId('audit-entry');
    expect(stub.AuditLog).toHaveBeenCalledWith(200);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('Empfänger geändert');
    expect(rows[0]).toHaveTextContent('Geändert: Vorname, Titel');
    expect(rows[1]).toHaveTextContent('Empfänger importiert');
    expect(rows[1]).toHaveTextContent('Status: fertig · gelesen: 3 · neu: 2');
    expect(rows[2]).toHaveTextContent('future.thing'); // unknown actions show as they are
  });

  it('says so when nothing was changed yet', async () => {
    setLocale('en');
    stubDesktop();
    render(AuditLogCard);
    expect(await screen.findByTestId('audit-empty')).toHaveTextContent('Nothing has been changed yet.');
  });
});
