import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { stubDesktop } from '../test/desktop';
import de from '../lib/i18n/de.json';
import en from '../lib/i18n/en.json';
import { setLocale } from '../lib/i18n/index.svelte';
import type { SenderIdentity } from '../lib/api/types';
import Settings from './Settings.svelte';

const stored: SenderIdentity = { fromName: 'Verein Lindenhof', fromAddress: 'news@lindenhof.example', replyTo: '' };

const input = (field: keyof SenderIdentity): HTMLInputElement => screen.getByTestId(`sender-${field}`);

async function renderLoaded(sender: SenderIdentity = stored) {
  const stub = stubDesktop(sender);
  render(Settings);
  await waitFor(() => expect(input('fromAddress')).toHaveValue(sender.fromAddress));
  return stub;
}

describe('Settings: sender identity', () => {
  it('loads the stored sender identity', async () => {
    const stub = await renderLoaded();
    expect(stub.GetSender).toHaveBeenCalledTimes(1);
    expect(input('fromName')).toHaveValue('Verein Lindenhof');
    expect(input('replyTo')).toHaveValue('');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Settings');
  });

  it('saves the edited values and says so', async () => {
    const user = userEvent.setup({ delay: null });
    const stub = await renderLoaded();
    expect(screen.queryByTestId('sender-saved')).not.toBeInTheDocument();

    await user.clear(input('fromName'));
    await user.type(input('fromName'), 'Lindenhof e.V.');
    await user.type(input('replyTo'), 'post@lindenhof.example');
    await user.click(screen.getByTestId('sender-save'));

    expect(stub.SaveSender).toHaveBeenCalledWith({
      fromName: 'Lindenhof e.V.',
      fromAddress: 'news@lindenhof.example',
      replyTo: 'post@lindenhof.example',
    });
    expect(await screen.findByTestId('sender-saved')).toHaveTextContent('Saved');

    // Editing again withdraws the note: it is about what was saved.
    await user.type(input('fromName'), '!');
    expect(screen.queryByTestId('sender-saved')).not.toBeInTheDocument();
  });

  it('shows what Go stored, not what was typed', async () => {
    const user = userEvent.setup({ delay: null });
    const stub = await renderLoaded();
    stub.SaveSender.mockImplementation((s) => Promise.resolve({ ...s, fromName: s.fromName.trim() }));
    await user.type(input('fromName'), '   ');
    await user.click(screen.getByTestId('sender-save'));
    await screen.findByTestId('sender-saved');
    expect(input('fromName')).toHaveValue('Verein Lindenhof');
  });

  it('disables Save while saving', async () => {
    const user = userEvent.setup({ delay: null });
    const stub = await renderLoaded();
    let finish: (s: SenderIdentity) => void = () => {};
    stub.SaveSender.mockImplementation(() => new Promise((resolve) => (finish = resolve)));
    const save = screen.getByTestId('sender-save');

    await user.click(save);
    expect(save).toBeDisabled();
    expect(save).toHaveTextContent('Saving…');
    await user.click(save);
    expect(stub.SaveSender).toHaveBeenCalledTimes(1);

    finish(stored);
    await waitFor(() => expect(save).toBeEnabled());
    expect(save).toHaveTextContent('Save');
  });

  it("shows Go's field error under the field, translated by its key", async () => {
    const user = userEvent.setup({ delay: null });
    const stub = await renderLoaded();
    stub.SaveSender.mockRejectedValue({
      code: 'invalid',
      field: 'fromAddress',
      key: 'error.sender.fromAddress.invalid',
      message: 'The sender address is not a valid e-mail address.',
    });

    await user.clear(input('fromAddress'));
    await user.type(input('fromAddress'), 'not-an-address');
    await user.click(screen.getByTestId('sender-save'));

    const error = await screen.findByTestId('error-fromAddress');
    expect(error).toHaveTextContent(en['error.sender.fromAddress.invalid']);
    expect(input('fromAddress')).toHaveAttribute('aria-invalid', 'true');
    expect(input('fromAddress').getAttribute('aria-describedby')?.split(' ')).toContain(error.id);
    expect(input('fromAddress')).toHaveFocus();
    expect(input('fromName')).not.toHaveAttribute('aria-invalid');
    expect(screen.queryByTestId('sender-saved')).not.toBeInTheDocument();

    setLocale('de');
    await waitFor(() => expect(error).toHaveTextContent(de['error.sender.fromAddress.invalid']));

    // Fixing the field clears its error.
    await user.type(input('fromAddress'), '@example.org');
    expect(screen.queryByTestId('error-fromAddress')).not.toBeInTheDocument();
    expect(input('fromAddress')).not.toHaveAttribute('aria-invalid');
  });

  it("falls back to Go's message when the key is not in the dictionary", async () => {
    const user = userEvent.setup({ delay: null });
    const stub = await renderLoaded();
    stub.SaveSender.mockRejectedValue({
      code: 'invalid',
      field: 'replyTo',
      key: 'error.sender.replyTo.unheardOf',
      message: 'Reply-to is odd.',
    });
    await user.click(screen.getByTestId('sender-save'));
    expect(await screen.findByTestId('error-replyTo')).toHaveTextContent('Reply-to is odd.');
  });

  it('shows an error about no field above the Save button', async () => {
    const user = userEvent.setup({ delay: null });
    const stub = await renderLoaded();
    stub.SaveSender.mockRejectedValue({ code: 'internal', message: 'Something broke.', key: 'error.internal' });
    await user.click(screen.getByTestId('sender-save'));
    expect(await screen.findByTestId('sender-error')).toHaveTextContent(en['error.internal']);
    expect(screen.queryByTestId('error-fromAddress')).not.toBeInTheDocument();
  });
});
