import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MailPreview } from '../lib/api/types';
import { stubRecipients, ada, sampleAttributes } from '../test/recipients';
import { addServices, resolved, spring } from '../test/services';
import { setLocale } from '../lib/i18n/index.svelte';
import { mailingHandoff } from '../lib/stores/mailingHandoff.svelte';
import Mailings from './Mailings.svelte';

const preview: MailPreview = {
  recipient: ada,
  subject: 'Frühling in den Bergen',
  preheader: 'Neue Touren',
  html: '<p>Hallo Ada</p>',
  text: 'Hallo Ada',
  skipped: '',
};

function stub() {
  const recipients = stubRecipients();
  const mailings = {
    List: resolved([spring]),
    Get: resolved({
      mailing: spring,
      links: [{ id: 1, mailingId: 3, index: 0, url: 'https://example.org/atlas', name: 'Atlas', kind: 'text', tags: ['Wandern'] }],
      groups: [],
      fields: sampleAttributes,
    }),
    Save: vi.fn(() =>
      Promise.reject({ code: 'invalid', field: 'body', key: 'error.template.invalid', message: 'line 1, column 10: unknown placeholder "frist_name"' }),
    ),
    Preview: resolved(preview),
    Salutations: resolved([{ name: 'formal', language: 'de', rules: [{ genders: ['f'], requires: ['last_name'], text: 'Sehr geehrte Frau {{ last_name }}' }] }]),
    SaveSalutation: resolved([]),
    SalutationSamples: resolved([{ recipient: ada, text: 'Sehr geehrte Frau Lovelace', rule: 0 }]),
    Audience: resolved({ members: 0, eligible: 0, withoutConsent: 0, suppressed: 0, alreadySent: 0 }),
    Duplicate: vi.fn((req: { id: number; name: string }) => Promise.resolve({ mailing: { ...spring, id: 31, name: req.name }, links: [], groups: [], fields: [] })),
    SendStatus: resolved({ mailingId: 3, status: 'idle', total: 0, queued: 0, sent: 0, failed: 0, skipped: 0, pausedReason: '' }),
  };
  const templates = {
    Layouts: resolved([{ id: 5, name: 'Hausstil', html: '<html><body>{{ content }}</body></html>', createdAt: '', updatedAt: '' }]),
    SaveMailingTemplate: vi.fn((m: { name: string }) => Promise.resolve({ ...m, id: 8, createdAt: '', updatedAt: '' })),
    MailingTemplates: resolved([{ id: 8, name: 'Monatsbrief', subject: 'Neu', preheader: '', body: 'Hallo', language: 'de', layoutId: 5, createdAt: '', updatedAt: '' }]),
    CreateMailingFromTemplate: resolved({ mailing: { ...spring, id: 21, name: 'Monatsbrief 2026-11-28', layoutId: 5 }, links: [], groups: [], fields: [] }),
  };
  const analysis = {
    TargetGroups: resolved([]),
    MailingFigures: resolved([{ mailingId: 3, sent: 1234, base: 1200, openers: 547, clickers: 60, openRate: 0.4558, clickRate: 0.05 }]),
  };
  addServices({ Mailings: mailings, Templates: templates, Analysis: analysis, Settings: { GetSMTP: resolved({ ratePerSecond: 0 }) } });
  // The send panel listens to progress events.
  window.runtime = { EventsOn: vi.fn(() => () => {}) };
  return { recipients, mailings, templates, analysis };
}

describe('Mailings', () => {
  afterEach(() => {
    delete window.runtime;
  });

  it('shows sent, open and click figures per mailing in German number formats, from one call', async () => {
    const { analysis } = stub();
    setLocale('de');
    render(Mailings);
    expect(await screen.findByTestId('mailing-sent-3')).toHaveTextContent('1.234');
    expect(screen.getByTestId('mailing-opened-3')).toHaveTextContent(/45,6\s?%\s*\(547\)/);
    expect(screen.getByTestId('mailing-clicked-3')).toHaveTextContent(/5,0\s?%\s*\(60\)/);
    expect(screen.getByTestId('mailing-opened-3')).toHaveAttribute('title', '547 Personen');
    expect(analysis.MailingFigures).toHaveBeenCalledTimes(1);
  });

  it('lists mailings and opens one with its links and a sandboxed preview', async () => {
    const user = userEvent.setup({ delay: null });
    const { mailings } = stub();
    render(Mailings);
    await user.click(await screen.findByTestId('mailing-open-3'));
    expect(await screen.findByTestId('mailing-subject')).toHaveValue('Frühling in den Bergen');
    expect(mailings.Preview).toHaveBeenCalled();
    const frame = await screen.findByTestId('preview-frame');
    expect(frame).toHaveAttribute('sandbox', '');
    expect(frame).toHaveAttribute('srcdoc', '<p>Hallo Ada</p>');
    expect(screen.getAllByTestId('link-row')).toHaveLength(1);
    expect(screen.getByText('Wandern')).toBeInTheDocument();
    await user.click(screen.getByTestId('preview-text'));
    expect(screen.getByTestId('preview-textpart')).toHaveTextContent('Hallo Ada');
  });

  it('keeps a sent mailing\'s content read-only and says why; the name stays editable', async () => {
    const user = userEvent.setup({ delay: null });
    stub();
    addServices({ Mailings: { Get: resolved({ mailing: { ...spring, status: 'sent' }, links: [], groups: [], fields: sampleAttributes }) } });
    render(Mailings);
    await user.click(await screen.findByTestId('mailing-open-3'));
    expect(await screen.findByTestId('mailing-locked')).toHaveTextContent('gone out');
    expect(screen.getByTestId('mailing-subject')).toHaveAttribute('readonly');
    expect(screen.getByTestId('mailing-body')).toHaveAttribute('readonly');
    expect(screen.getByTestId('mailing-layout')).toBeDisabled();
    expect(screen.getByTestId('mailing-list')).toBeDisabled();
    expect(screen.getByTestId('mailing-name')).not.toHaveAttribute('readonly');
  });

  it('shows no lock on a draft', async () => {
    const user = userEvent.setup({ delay: null });
    stub();
    render(Mailings);
    await user.click(await screen.findByTestId('mailing-open-3'));
    await screen.findByTestId('mailing-subject');
    expect(screen.queryByTestId('mailing-locked')).toBeNull();
    expect(screen.getByTestId('mailing-body')).not.toHaveAttribute('readonly');
  });

  it('picks a layout, previews with it and saves the mailing as a template', async () => {
    const user = userEvent.setup({ delay: null });
    const { mailings, templates } = stub();
    render(Mailings);
    await user.click(await screen.findByTestId('mailing-open-3'));
    const select = await screen.findByTestId('mailing-layout');
    expect(within(select).getByRole('option', { name: 'Hausstil' })).toBeInTheDocument();
    mailings.Preview.mockClear();
    await user.selectOptions(select, '5');
    await waitFor(() => expect(mailings.Preview).toHaveBeenCalled(), { timeout: 2000 });
    expect(mailings.Preview.mock.calls.at(-1)?.[0]).toMatchObject({ mailing: { id: 3, layoutId: 5 } });

    await user.click(screen.getByTestId('mailing-save-template'));
    const name = screen.getByTestId('mailing-template-name');
    expect(name).toHaveValue('Frühling');
    await user.clear(name);
    await user.type(name, 'Monatsbrief');
    await user.click(screen.getByTestId('mailing-template-save'));
    expect(await screen.findByTestId('mailing-template-saved')).toHaveTextContent('Monatsbrief');
    expect(templates.SaveMailingTemplate).toHaveBeenCalledWith(
      expect.objectContaining({ id: 0, name: 'Monatsbrief', subject: 'Frühling in den Bergen', body: spring.body, language: 'de', layoutId: 5 }),
    );
  });

  it('starts a new mailing from a template', async () => {
    const user = userEvent.setup({ delay: null });
    const { templates } = stub();
    render(Mailings);
    await user.selectOptions(await screen.findByTestId('mailing-from-template'), '8');
    expect(await screen.findByTestId('mailing-name')).toHaveValue('Monatsbrief 2026-11-28');
    expect(screen.getByTestId('mailing-layout')).toHaveValue('5');
    expect(templates.CreateMailingFromTemplate).toHaveBeenCalledWith(8, '');
  });

  it('opens the mailing another screen handed over', async () => {
    const { mailings } = stub();
    mailingHandoff.openId = 3;
    render(Mailings);
    expect(await screen.findByTestId('mailing-subject')).toHaveValue('Frühling in den Bergen');
    expect(mailings.Get).toHaveBeenCalledWith(3);
    expect(mailingHandoff.openId).toBe(0);
  });

  it('shows a template error at its field with line and column', async () => {
    const user = userEvent.setup({ delay: null });
    stub();
    render(Mailings);
    await user.click(await screen.findByTestId('mailing-new'));
    await user.type(screen.getByTestId('mailing-name'), 'Sommer');
    await user.click(screen.getByTestId('mailing-save'));
    expect(await screen.findByTestId('error-body')).toHaveTextContent('Line 1, column 10: unknown placeholder "frist_name"');
    expect(screen.getByTestId('mailing-body')).toHaveAttribute('aria-invalid', 'true');
  });

  it('saves a draft with a template problem, marks it and blocks sending until it is fixed', async () => {
    const user = userEvent.setup({ delay: null });
    const { mailings } = stub();
    const problem = { code: 'invalid', field: 'body', key: 'error.template.survey', message: 'There is no survey with the short name "leser".' };
    mailings.Save.mockImplementation(((m: typeof spring) => Promise.resolve({ mailing: { ...m, id: 30 }, links: [], groups: [], fields: [], problem })) as never);
    render(Mailings);
    await user.click(await screen.findByTestId('mailing-new'));
    await user.type(screen.getByTestId('mailing-name'), 'Sommer');
    await user.click(screen.getByTestId('mailing-save'));
    expect(await screen.findByTestId('mailing-saved-problem')).toBeInTheDocument();
    expect(screen.getByTestId('error-body')).toBeInTheDocument();
    expect(screen.getByTestId('send-blocked')).toBeInTheDocument();
  });

  it('duplicates a mailing and asks before unsaved changes are dropped', async () => {
    const user = userEvent.setup({ delay: null });
    const { mailings } = stub();
    render(Mailings);
    await user.click(await screen.findByTestId('mailing-duplicate-3'));
    await waitFor(() => expect(mailings.Duplicate).toHaveBeenCalledWith({ id: 3, name: 'Copy of ' + spring.name }));
    expect(await screen.findByTestId('mailing-name')).toHaveValue('Copy of ' + spring.name);

    await user.type(screen.getByTestId('mailing-name'), ' neu');
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(false);
    await user.click(screen.getByTestId('mailing-back'));
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId('mailing-name')).toBeInTheDocument(); // stayed
    confirm.mockReturnValue(true);
    await user.click(screen.getByTestId('mailing-back'));
    expect(await screen.findByTestId('mailings-table')).toBeInTheDocument();
    confirm.mockRestore();
  });

  it('says when the preview recipient would be skipped', async () => {
    const user = userEvent.setup({ delay: null });
    const { mailings } = stub();
    mailings.Preview.mockImplementation(() => Promise.resolve({ ...preview, skipped: 'last_name is empty' }));
    render(Mailings);
    await user.click(await screen.findByTestId('mailing-new'));
    expect(await screen.findByTestId('preview-skipped')).toHaveTextContent('Would be skipped: last_name is empty');
  });

  it('edits a salutation block with live samples', async () => {
    const user = userEvent.setup({ delay: null });
    const { mailings } = stub();
    render(Mailings);
    await user.click(screen.getByTestId('tab-salutations'));
    await waitFor(() => expect(screen.getByTestId('sample-text')).toHaveTextContent('Sehr geehrte Frau Lovelace'));
    // The sample table's columns are headed in words, no two alike; required fields are named, not keyed.
    const heads = [...screen.getByTestId('salutation-samples').querySelectorAll('th')].map((th) => th.textContent ?? '');
    expect(new Set(heads).size).toBe(heads.length);
    expect(screen.getByTestId('salutation-form')).not.toHaveTextContent('last_name');
    await user.click(screen.getByTestId('rule-requires-0-first_name'));
    await user.click(screen.getByTestId('salutation-save'));
    await waitFor(() => expect(mailings.SaveSalutation).toHaveBeenCalled());
    expect(mailings.SaveSalutation.mock.calls[0]![0]).toMatchObject({ rules: [{ requires: ['first_name', 'last_name'] }] });
  });
});
