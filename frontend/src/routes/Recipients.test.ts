import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import en from '../lib/i18n/en.json';
import type { ConsentState, ImportPreview, ImportResult, ManualConsent, Recipient } from '../lib/api/types';
import { ada, detailOf, stubRecipients } from '../test/recipients';
import Recipients from './Recipients.svelte';

const user = () => userEvent.setup({ delay: null });

async function renderWithAda(total = 12345) {
  const stub = stubRecipients();
  stub.Find!.mockResolvedValue({ recipients: [ada], total });
  render(Recipients);
  await waitFor(() => expect(screen.getByTestId('recipients-total')).toHaveTextContent(`12,345 recipients`));
  return stub;
}

async function openAda() {
  const stub = await renderWithAda();
  await user().click(await screen.findByText(ada.email));
  await screen.findByTestId('recipient-detail');
  await waitFor(() => expect(screen.getByTestId('detail-email')).toHaveValue(ada.email));
  return stub;
}

describe('recipient table', () => {
  it('shows the locale-formatted total and the rows of the first page', async () => {
    const stub = await renderWithAda();
    expect(screen.getAllByTestId('recipient-row')).toHaveLength(1);
    expect(screen.getByTestId('recipients-table')).toHaveAttribute('aria-rowcount', '12346');
    expect(stub.Find!.mock.calls[0]?.[0]).toMatchObject({ offset: 0, limit: 100 });
  });

  it('searches as the user types, once the typing pauses', async () => {
    const stub = await renderWithAda();
    await user().type(screen.getByTestId('recipients-search'), 'Love');
    await waitFor(() => expect(stub.Find!.mock.lastCall?.[0]).toMatchObject({ search: 'Love', offset: 0 }));
    // One request for the whole word, not one per key.
    expect(stub.Find!.mock.calls.filter((c) => (c[0] as { search: string }).search !== '')).toHaveLength(1);
  });

  it('offers to add or import when there are no recipients at all', async () => {
    stubRecipients();
    render(Recipients);
    expect(await screen.findByTestId('recipients-empty')).toHaveTextContent(en['recipients.empty.title']);
    await user().click(screen.getByTestId('recipients-empty-import'));
    expect(await screen.findByTestId('import-wizard')).toBeInTheDocument();
  });
});

describe('recipient detail', () => {
  it("saves the edited data and shows Go's field error under the field", async () => {
    const stub = await openAda();
    stub.Update!.mockRejectedValueOnce({
      code: 'conflict',
      field: 'email',
      key: 'error.recipient.email.taken',
      message: 'Another recipient has this address.',
    });
    const email = screen.getByTestId('detail-email');
    await user().clear(email);
    await user().type(email, 'grace@example.org');
    await user().click(screen.getByTestId('detail-save'));

    expect(await screen.findByTestId('error-email')).toHaveTextContent(en['error.recipient.email.taken']);
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveFocus();

    await user().clear(screen.getByTestId('detail-lastName'));
    await user().type(screen.getByTestId('detail-lastName'), 'Hopper');
    await user().selectOptions(screen.getByTestId('detail-gender'), 'd');
    await user().type(email, ' ');
    expect(screen.queryByTestId('error-email')).not.toBeInTheDocument();
    await user().click(screen.getByTestId('detail-save'));

    expect(await screen.findByTestId('detail-saved')).toHaveTextContent(en['recipient.saved']);
    const saved = stub.Update!.mock.lastCall?.[0] as Recipient;
    expect(saved).toMatchObject({ id: 7, email: 'grace@example.org', lastName: 'Hopper', gender: 'd' });
    expect(saved.attributes).toEqual({ customer_since: '2021-03-01' });
  });

  it('renders custom attributes with typed inputs', async () => {
    await openAda();
    const input = screen.getByTestId('detail-attr-customer_since');
    expect(input).toHaveAttribute('type', 'date');
    expect(input).toHaveValue('2021-03-01');
  });

  it('grants consent only with wording and evidence', async () => {
    const stub = await openAda();
    const u = user();
    await u.click(screen.getByTestId('consent-grant-tracking-opens'));
    const form = screen.getByTestId('consent-grant-form');
    expect(within(form).getByTestId('consent-wording')).toHaveValue('');

    await u.click(within(form).getByTestId('consent-grant-submit'));
    expect(await screen.findByTestId('error-wording')).toHaveTextContent(en['error.consent.wording.required']);
    await u.type(within(form).getByTestId('consent-wording'), 'Ja, Öffnungen dürfen gezählt werden.');
    await u.click(within(form).getByTestId('consent-grant-submit'));
    expect(await screen.findByTestId('error-evidence')).toHaveTextContent(en['error.consent.evidence.required']);
    expect(stub.SetConsent).not.toHaveBeenCalled();

    const granted: ConsentState = {
      purpose: 'tracking:opens',
      listId: 0,
      listName: '',
      granted: true,
      since: '2025-02-01T09:00:00Z',
      recordId: 1,
    };
    stub.Detail!.mockResolvedValue(detailOf(ada, [granted]));
    await u.type(within(form).getByTestId('consent-evidence'), 'Formular Messe, Ordner 3');
    await u.click(within(form).getByTestId('consent-grant-submit'));

    await waitFor(() => expect(stub.SetConsent).toHaveBeenCalledTimes(1));
    expect(stub.SetConsent!.mock.calls[0]?.[0]).toEqual({
      recipientId: 7,
      purpose: 'tracking:opens',
      listId: 0,
      granted: true,
      wording: 'Ja, Öffnungen dürfen gezählt werden.',
      evidence: 'Formular Messe, Ordner 3',
    } satisfies ManualConsent);
    await waitFor(() => expect(screen.queryByTestId('consent-grant-form')).not.toBeInTheDocument());
    expect(screen.getByTestId('consent-state-tracking-opens')).toHaveTextContent('Granted since');
  });

  it('withdraws consent with one click and a confirmation, asking for nothing else', async () => {
    const stub = stubRecipients();
    stub.Find!.mockResolvedValue({ recipients: [ada], total: 1 });
    const state: ConsentState = {
      purpose: 'newsletter',
      listId: 1,
      listName: 'Kunden',
      granted: true,
      since: '2025-02-01T09:00:00Z',
      recordId: 3,
    };
    stub.Detail!.mockResolvedValue(detailOf(ada, [state]));
    render(Recipients);
    const u = user();
    await u.click(await screen.findByText(ada.email));
    await u.click(await screen.findByTestId('consent-withdraw-newsletter-1'));
    const dialog = screen.getByTestId('withdraw-dialog');
    expect(dialog).toHaveTextContent('Newsletter: Kunden');
    expect(dialog).toHaveTextContent(ada.email);
    await u.click(within(dialog).getByTestId('withdraw-dialog-confirm'));

    await waitFor(() => expect(stub.SetConsent).toHaveBeenCalledTimes(1));
    expect(stub.SetConsent!.mock.calls[0]?.[0]).toEqual({
      recipientId: 7,
      purpose: 'newsletter',
      listId: 1,
      granted: false,
      wording: '',
      evidence: '',
    });
    expect(screen.queryByTestId('consent-grant-form')).not.toBeInTheDocument();
  });

  it('erases only after a confirmation that names the address', async () => {
    const stub = await openAda();
    const u = user();
    await u.click(screen.getByTestId('detail-erase'));
    expect(screen.getByTestId('erase-dialog')).toHaveTextContent(ada.email);
    await u.click(screen.getByTestId('erase-dialog-cancel'));
    expect(stub.Erase).not.toHaveBeenCalled();

    await u.click(screen.getByTestId('detail-erase'));
    await u.click(screen.getByTestId('erase-dialog-confirm'));
    await waitFor(() => expect(stub.Erase).toHaveBeenCalledWith(7));
    expect(await screen.findByTestId('recipients-notice')).toHaveTextContent(`${ada.email} was erased.`);
  });
});

describe('add, lists and attributes', () => {
  it('adds a recipient without sending the times Go sets, then opens it', async () => {
    const stub = stubRecipients();
    stub.Create!.mockResolvedValue({ ...ada, id: 99, email: 'neu@example.org' });
    stub.Detail!.mockResolvedValue(detailOf({ ...ada, id: 99, email: 'neu@example.org' }));
    render(Recipients);
    const u = user();
    await u.click(screen.getByTestId('tab-add'));
    await u.type(await screen.findByTestId('add-email'), 'neu@example.org');
    await u.selectOptions(screen.getByTestId('add-gender'), 'f');
    await u.click(screen.getByTestId('add-save'));
    await waitFor(() => expect(stub.Create).toHaveBeenCalledTimes(1));
    const sent = stub.Create!.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(sent).toMatchObject({ id: 0, email: 'neu@example.org', gender: 'f', attributes: {} });
    expect(sent).not.toHaveProperty('createdAt');
    expect(sent).not.toHaveProperty('updatedAt');
    await waitFor(() => expect(screen.getByTestId('detail-heading')).toHaveTextContent('neu@example.org'));
  });

  it('lists attribute definitions, builtins marked', async () => {
    const stub = stubRecipients();
    stub.Attributes!.mockResolvedValue([
      { id: 1, key: 'email', label: 'E-mail', type: 'text', choices: [], builtin: true },
      { id: 9, key: 'branche', label: 'Branche', type: 'choice', choices: ['Handel', 'Handwerk'], builtin: false },
    ]);
    render(Recipients);
    await user().click(screen.getByTestId('tab-attributes'));
    const rows = await screen.findAllByTestId('attribute-row');
    expect(rows[0]).toHaveTextContent(en['recipient.email']);
    expect(rows[0]).toHaveTextContent(en['attributes.builtin']);
    expect(rows[1]).toHaveTextContent('Handel, Handwerk');
    expect(rows[1]).not.toHaveTextContent(en['attributes.builtin']);
  });

  it('creates a list and shows Go\'s error under the name', async () => {
    const stub = stubRecipients();
    stub.CreateList!.mockRejectedValueOnce({
      code: 'conflict',
      field: 'name',
      key: 'error.list.name.taken',
      message: 'taken',
    });
    render(Recipients);
    const u = user();
    await u.click(screen.getByTestId('tab-lists'));
    expect(await screen.findByTestId('list-row')).toHaveTextContent('Kunden');
    await u.type(screen.getByTestId('list-name'), 'Kunden');
    await u.click(screen.getByTestId('list-doubleOptIn'));
    await u.click(screen.getByTestId('list-create'));
    expect(await screen.findByTestId('error-name')).toHaveTextContent(en['error.list.name.taken']);
    await u.click(screen.getByTestId('list-create'));
    await waitFor(() => expect(stub.CreateList).toHaveBeenCalledTimes(2));
    expect(stub.CreateList!.mock.calls[1]?.[0]).toEqual({ name: 'Kunden', description: '', doubleOptIn: true });
  });
});

describe('import wizard', () => {
  const preview = (tracking = ''): ImportPreview => ({
    source: '/home/ada/kunden.csv',
    fileName: 'kunden.csv',
    encoding: 'windows-1252',
    delimiter: ';',
    columns: [
      { index: 0, header: 'E-Mail', field: 'email', auto: true },
      { index: 1, header: 'Nachname', field: 'last_name', auto: true },
      { index: 2, header: 'Tracking', field: tracking, auto: false },
    ],
    sample: [['ada@example.org', 'Lovelace', 'ja']],
    fields: [
      { id: 1, key: 'email', label: 'E-mail', type: 'text', choices: [], builtin: true },
      { id: 3, key: 'last_name', label: 'Last name', type: 'text', choices: [], builtin: true },
    ],
  });

  afterEach(() => {
    delete window.runtime;
  });

  it('maps, requires consent evidence, shows progress, the result and undoes it', async () => {
    const stub = stubRecipients();
    const progress: ((data: unknown) => void)[] = [];
    const off = { calls: 0 };
    window.runtime = {
      EventsOn: (_name, cb) => {
        progress.push(cb);
        return () => off.calls++;
      },
    };
    stub.PreviewImport!.mockImplementation((_source: string, mapping: Record<string, string> | null) =>
      Promise.resolve(preview(mapping?.['Tracking'] ?? '')),
    );
    let finish: (r: ImportResult) => void = () => {};
    stub.ImportFile!.mockImplementation(() => new Promise((resolve) => (finish = resolve)));
    render(Recipients);
    const u = user();

    await u.click(screen.getByTestId('tab-import'));
    await u.click(await screen.findByTestId('import-pick'));
    expect(stub.PickCSVFile).toHaveBeenCalledWith(en['import.file.dialogTitle']);
    expect(await screen.findByTestId('import-format')).toHaveTextContent('kunden.csv · Windows-1252 · separated by semicolon');
    expect(stub.PreviewImport).toHaveBeenLastCalledWith('/home/ada/kunden.csv', null);
    expect(screen.getByTestId('map-Tracking')).toHaveValue('-');

    // The list is named before the mapping: its newsletter consent is offered though the list is new.
    await u.type(screen.getByTestId('import-listName'), 'Messe');
    expect(screen.getByTestId('import-no-newsletter')).toHaveTextContent('“Messe”');
    await u.selectOptions(screen.getByTestId('map-Tracking'), 'consent:newsletter:Messe');
    await waitFor(() =>
      expect(stub.PreviewImport).toHaveBeenLastCalledWith('/home/ada/kunden.csv', { Tracking: 'consent:newsletter:Messe' }),
    );
    expect(screen.queryByTestId('import-no-newsletter')).not.toBeInTheDocument();
    // One column may grant several purposes.
    await u.click(screen.getByTestId('also-Tracking-consent:tracking:opens'));
    await waitFor(() =>
      expect(stub.PreviewImport).toHaveBeenLastCalledWith('/home/ada/kunden.csv', {
        Tracking: 'consent:newsletter:Messe\nconsent:tracking:opens',
      }),
    );
    await u.click(screen.getByTestId('import-next'));

    // Consent in the file needs a source and evidence before anything is imported.
    expect(screen.getByTestId('import-consent')).toBeInTheDocument();
    await u.click(screen.getByTestId('import-run'));
    expect(await screen.findByTestId('error-consentSource')).toHaveTextContent(en['error.import.consent.evidence']);
    expect(stub.ImportFile).not.toHaveBeenCalled();
    await u.type(screen.getByTestId('import-consentSource'), 'Messe 2025');
    await u.type(screen.getByTestId('import-consentEvidence'), 'Ja, ich möchte …');
    expect(screen.getByTestId('import-options-list')).toHaveTextContent('“Messe”');
    await u.click(screen.getByTestId('import-mode-skip'));
    await u.click(screen.getByTestId('import-run'));

    await waitFor(() => expect(stub.ImportFile).toHaveBeenCalledTimes(1));
    const req = stub.ImportFile!.mock.calls[0]?.[0] as { opId: string; mapping: unknown; options: unknown };
    expect(req).toMatchObject({
      source: '/home/ada/kunden.csv',
      mapping: { Tracking: 'consent:newsletter:Messe\nconsent:tracking:opens' },
      options: { listName: 'Messe', status: 'confirmed', mode: 'skip', consentSource: 'Messe 2025', consentEvidence: 'Ja, ich möchte …' },
    });
    expect(req.opId).toMatch(/^[0-9a-f-]{36}$/);

    // Progress events move the bar.
    const bar = await screen.findByTestId('import-progress');
    progress[0]?.({ rows: 1500, bytes: 250, totalBytes: 1000 });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '25'));
    expect(screen.getByTestId('import-progress-rows')).toHaveTextContent('1,500 rows read · 25 %');
    progress[0]?.({ rows: 3000, bytes: 1000, totalBytes: 1000 });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '100'));
    // A large import then builds its search index; the text says so.
    progress[0]?.({ rows: 3000, bytes: 1000, totalBytes: 1000, phase: 'indexing' });
    await waitFor(() => expect(screen.getByTestId('import-progress-rows')).toHaveTextContent('3,000 rows stored · building the search index'));

    stub.Imports!.mockResolvedValue([
      {
        id: 42,
        kind: 'recipients',
        fileName: 'kunden.csv',
        startedAt: '2025-03-01T10:00:00Z',
        finishedAt: '2025-03-01T10:00:02Z',
        status: 'done',
        result: { importId: 42, read: 3000, created: 2990, updated: 0, skipped: 9, rejected: [{ line: 17, reason: 'bad' }] },
      },
    ]);
    finish({
      importId: 42, read: 3000, created: 2990, updated: 0, skipped: 9,
      rejected: [{ line: 17, reason: 'The e-mail address is not valid.', key: 'error.recipient.email.domain', params: { address: 'uwe.lang@gmx..de', domain: 'gmx..de' } }],
      warnings: [{ line: 3, reason: 'x', key: 'import.warning.salutation', params: { value: 'Familie' } }],
      notMailable: 12, noConsent: 12, unconfirmed: 0, listId: 7,
    });

    expect(await screen.findByTestId('result-created')).toHaveTextContent('2,990');
    expect(screen.getByTestId('result-skipped')).toHaveTextContent('9');
    expect(screen.getByTestId('result-rejected')).toHaveTextContent('1');
    // Reasons come from the catalogue and name the wrong part.
    expect(screen.getByTestId('rejected-row')).toHaveTextContent('17The e-mail address “uwe.lang@gmx..de” is not valid: the domain “gmx..de” (the part after the @)');
    expect(screen.getByTestId('warning-row')).toHaveTextContent('3The salutation “Familie” is not known');
    expect(screen.getByTestId('import-not-mailable')).toHaveTextContent('12 people on the list “Messe” will not receive newsletters yet');
    expect(screen.getByTestId('import-no-consent')).toHaveTextContent('12 people without newsletter consent');
    // The rejected rows download in the file's layout.
    stub.RejectedCSV!.mockResolvedValue('E-Mail;Reason\r\nuwe.lang@gmx..de;Line 17: …\r\n');
    await u.click(screen.getByTestId('import-download-rejected'));
    await waitFor(() => expect(stub.RejectedCSV).toHaveBeenCalledTimes(1));
    expect(stub.RejectedCSV!.mock.calls[0]?.[0]).toMatchObject({
      source: '/home/ada/kunden.csv',
      reasonHeader: 'Reason',
      rows: [{ line: 17, reason: expect.stringMatching(/^Line 17: The e-mail address “uwe.lang@gmx..de”/) as unknown }],
    });
    expect(off.calls).toBe(1);
    expect(await screen.findByTestId('history-undo-42')).toBeInTheDocument();

    await u.click(screen.getByTestId('import-undo'));
    expect(screen.getByTestId('undo-dialog')).toHaveTextContent('kunden.csv');
    await u.click(screen.getByTestId('undo-dialog-confirm'));
    await waitFor(() => expect(stub.UndoImport).toHaveBeenCalledWith(42));
    expect(await screen.findByTestId('import-undone')).toHaveTextContent(en['import.result.undone']);
  });

  it('shows why a mapping cannot be read and does not go on', async () => {
    const stub = stubRecipients();
    stub.PreviewImport!.mockResolvedValueOnce(preview());
    stub.PreviewImport!.mockRejectedValueOnce({
      code: 'invalid',
      key: 'error.import.csv.no_email',
      message: "No column holds the e-mail address; map one with --map 'Header=email'.",
    });
    render(Recipients);
    const u = user();
    await u.click(screen.getByTestId('tab-import'));
    await u.click(await screen.findByTestId('import-pick'));
    await u.selectOptions(await screen.findByTestId('map-E-Mail'), '-');
    expect(await screen.findByTestId('import-error')).toHaveTextContent(en['error.import.csv.no_email']);
    expect(screen.getByTestId('import-next')).toBeDisabled();
    expect(screen.getByTestId('map-E-Mail')).toHaveValue('-');
  });
});
