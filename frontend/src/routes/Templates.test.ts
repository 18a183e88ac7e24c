import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Layout, MailingTemplate } from '../lib/api/types';
import { mailingHandoff } from '../lib/stores/mailingHandoff.svelte';
import { addServices, resolved, spring } from '../test/services';
import Templates from './Templates.svelte';

const defaultHTML = '<!DOCTYPE html>\n<html>\n<body>\n{{ content }}{{ footer }}\n</body>\n</html>\n';

const house: Layout = {
  id: 5,
  name: 'Hausstil',
  html: '<html><body><img src="https://example.org/logo.png">{{ content }}</body></html>',
  createdAt: '2026-11-01T10:00:00Z',
  updatedAt: '2026-11-02T10:00:00Z',
};

const monthly: MailingTemplate = {
  id: 8,
  name: 'Monatsbrief',
  subject: 'Neues aus dem {{ month }}',
  preheader: '',
  body: 'Hallo',
  language: 'de',
  layoutId: 5,
  createdAt: '2026-11-01T10:00:00Z',
  updatedAt: '2026-11-02T10:00:00Z',
};

function stub(layouts: Layout[] = [house], templates: MailingTemplate[] = [monthly]) {
  const api = {
    Layouts: resolved(layouts),
    MailingTemplates: resolved(templates),
    DefaultLayout: resolved(defaultHTML),
    PreviewLayout: vi.fn((html: string, lang: string) =>
      html.includes('{{ content }}')
        ? Promise.resolve({ subject: 'Neuigkeiten', html: `<html><body>${lang}:${html}</body></html>`, text: 'Beispiel' })
        : Promise.reject({ code: 'invalid', field: 'html', key: 'error.template.layout.content', message: 'The layout must contain {{ content }} exactly once, outside of conditions.' }),
    ),
    SaveLayout: vi.fn((l: Layout) => Promise.resolve({ ...l, id: l.id || 6, createdAt: '2026-11-28T10:00:00Z', updatedAt: '2026-11-28T10:00:00Z' })),
    DeleteLayout: resolved(null),
    SaveMailingTemplate: vi.fn((m: MailingTemplate) => Promise.resolve({ ...m })),
    DeleteMailingTemplate: resolved(null),
    CreateMailingFromTemplate: resolved({ mailing: { ...spring, id: 21, name: 'Monatsbrief 2026-11-28' }, links: [], groups: [], fields: [] }),
  };
  addServices({ Templates: api });
  return api;
}

describe('Templates', () => {
  it('creates a layout from the default one with a live sandboxed preview', async () => {
    const user = userEvent.setup({ delay: null });
    const api = stub([], []);
    render(Templates);
    expect(await screen.findByTestId('layouts-empty')).toBeInTheDocument();
    expect(screen.getByTestId('mailing-templates-empty')).toBeInTheDocument();

    await user.click(screen.getByTestId('layout-new-default'));
    const html = await screen.findByTestId('layout-html');
    expect(html).toHaveValue(defaultHTML);
    const frame = await screen.findByTestId('layout-preview-frame');
    expect(frame).toHaveAttribute('sandbox', '');
    expect(frame.getAttribute('srcdoc')).toContain('de:');

    await user.click(screen.getByTestId('layout-preview-en'));
    await waitFor(() => expect(api.PreviewLayout).toHaveBeenLastCalledWith(defaultHTML, 'en'));

    await user.type(screen.getByTestId('layout-name'), 'Sommer');
    await user.click(screen.getByTestId('layout-save'));
    expect(await screen.findByTestId('layout-saved')).toBeInTheDocument();
    expect(api.SaveLayout).toHaveBeenCalledWith({ id: 0, name: 'Sommer', html: defaultHTML });
  });

  it('shows a layout error at line and column and puts the cursor there', async () => {
    const user = userEvent.setup({ delay: null });
    const api = stub();
    api.SaveLayout.mockImplementationOnce(() =>
      Promise.reject({ code: 'invalid', field: 'html', key: 'error.template.invalid', message: 'line 2, column 4: unknown placeholder "frist_name"' }),
    );
    render(Templates);
    await user.click(await screen.findByTestId('layout-open-5'));
    const html = screen.getByTestId('layout-html') as HTMLTextAreaElement;
    await user.clear(html);
    await user.type(html, '<p>{{{{ content }}\n<p>{{{{ frist_name }}');
    await user.click(screen.getByTestId('layout-save'));
    expect(await screen.findByTestId('error-html')).toHaveTextContent('Line 2, column 4: unknown placeholder "frist_name"');
    expect(html).toHaveFocus();
    expect(html.selectionStart).toBe('<p>{{ content }}\n'.length + 3);
  });

  it('says when the layout has no {{ content }}', async () => {
    const user = userEvent.setup({ delay: null });
    stub();
    render(Templates);
    await user.click(await screen.findByTestId('layout-new'));
    await user.type(screen.getByTestId('layout-html'), '<html>leer</html>');
    expect(await screen.findByTestId('error-html', {}, { timeout: 2000 })).toHaveTextContent('exactly once');
  });

  it('refuses to delete a layout a mailing uses and names the mailing', async () => {
    const user = userEvent.setup({ delay: null });
    const api = stub();
    api.DeleteLayout.mockImplementationOnce(() =>
      Promise.reject({ code: 'conflict', message: 'The layout "Hausstil" is used by the mailing(s) "Herbst". Pick another layout there first.' }),
    );
    render(Templates);
    await user.click(await screen.findByTestId('layout-delete-5'));
    await user.click(screen.getByTestId('template-delete-dialog-confirm'));
    expect(await screen.findByTestId('templates-error')).toHaveTextContent('"Herbst"');
    expect(api.DeleteLayout).toHaveBeenCalledWith(5);
  });

  it('renames and deletes mailing templates and starts a mailing from one', async () => {
    const user = userEvent.setup({ delay: null });
    const api = stub();
    render(Templates);
    const row = await screen.findByTestId('mailing-template-8');
    expect(within(row).getByText('Hausstil')).toBeInTheDocument();

    await user.click(within(row).getByTestId('template-rename-8'));
    const input = screen.getByTestId('template-rename-input');
    await user.clear(input);
    await user.type(input, 'Monatsbrief neu');
    await user.click(screen.getByTestId('template-rename-save'));
    await waitFor(() => expect(api.SaveMailingTemplate).toHaveBeenCalledWith(expect.objectContaining({ id: 8, name: 'Monatsbrief neu', layoutId: 5 })));

    await user.click(screen.getByTestId('template-use-8'));
    await waitFor(() => expect(window.location.hash).toBe('#/mailings'));
    expect(api.CreateMailingFromTemplate).toHaveBeenCalledWith(8, '');
    expect(mailingHandoff.take()).toBe(21);

    await user.click(screen.getByTestId('template-delete-8'));
    await user.click(screen.getByTestId('template-delete-dialog-confirm'));
    await waitFor(() => expect(api.DeleteMailingTemplate).toHaveBeenCalledWith(8));
  });
});
