import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import de from '../lib/i18n/de.json';
import { setLocale } from '../lib/i18n/index.svelte';
import type { SMTPSettings } from '../lib/api/types';
import { stubDesktop } from '../test/desktop';
import { addServices, resolved } from '../test/services';
import Settings from './Settings.svelte';

const stored: SMTPSettings = {
  host: 'mail.example.org',
  port: 587,
  security: 'starttls',
  username: 'news',
  maxConnections: 2,
  ratePerSecond: 5,
  ratePerMinute: 300,
  ratePerHour: 0,
  hasPassword: true,
};

function stub(smtp: SMTPSettings = stored) {
  stubDesktop();
  const settings = {
    GetSMTP: resolved(smtp),
    SaveSMTP: vi.fn((req: { settings: SMTPSettings; password: string; clearPassword: boolean }) =>
      Promise.resolve({ ...req.settings, hasPassword: req.clearPassword ? false : req.password !== '' || smtp.hasPassword }),
    ),
    TestSMTP: resolved(true),
    GetListener: resolved({ publicUrl: 'https://news.example.org/r' }),
    SaveListener: vi.fn((s: { publicUrl: string }) => Promise.resolve(s)),
  };
  addServices({ Settings: settings });
  return settings;
}

describe('Settings: mail server', () => {
  it('loads the settings without the password and says one is stored', async () => {
    stub();
    render(Settings);
    await waitFor(() => expect(screen.getByTestId('smtp-host')).toHaveValue('mail.example.org'));
    expect(screen.getByTestId('smtp-port')).toHaveValue(587);
    expect(screen.getByTestId('smtp-security')).toHaveValue('starttls');
    expect(screen.getByTestId('smtp-username')).toHaveValue('news');
    expect(screen.getByTestId('smtp-password')).toHaveValue('');
    expect(screen.getByTestId('smtp-password-state')).toHaveTextContent('A password is stored');
    expect(screen.getByTestId('smtp-ratePerSecond')).toHaveValue(5);
    expect(screen.getByTestId('smtp-ratePerMinute')).toHaveValue(300);
  });

  it('saves a new password once and can clear the stored one', async () => {
    const user = userEvent.setup({ delay: null });
    const settings = stub();
    render(Settings);
    await waitFor(() => expect(screen.getByTestId('smtp-host')).toHaveValue('mail.example.org'));

    await user.selectOptions(screen.getByTestId('smtp-security'), 'tls');
    await user.type(screen.getByTestId('smtp-password'), 'geheim');
    await user.click(screen.getByTestId('smtp-save'));
    expect(await screen.findByTestId('smtp-saved')).toHaveTextContent('Saved');
    expect(settings.SaveSMTP).toHaveBeenCalledWith({
      settings: { ...stored, security: 'tls' },
      password: 'geheim',
      clearPassword: false,
    });
    // The password is not kept in the form after saving.
    expect(screen.getByTestId('smtp-password')).toHaveValue('');

    await user.click(screen.getByTestId('smtp-clear-password'));
    await user.click(screen.getByTestId('smtp-save'));
    await waitFor(() => expect(settings.SaveSMTP).toHaveBeenCalledTimes(2));
    expect(settings.SaveSMTP.mock.calls[1]?.[0]).toMatchObject({ password: '', clearPassword: true });
    expect(await screen.findByTestId('smtp-password-state')).toHaveTextContent('No password is stored');
  });

  it("tests the connection and shows Go's error message", async () => {
    const user = userEvent.setup({ delay: null });
    const settings = stub();
    render(Settings);
    await user.click(screen.getByTestId('smtp-test'));
    expect(await screen.findByTestId('smtp-test-ok')).toHaveTextContent('Connected');

    settings.TestSMTP.mockImplementation(() =>
      Promise.reject({ code: 'invalid', key: 'error.internal', message: '535 authentication failed' }),
    );
    await user.click(screen.getByTestId('smtp-test'));
    expect(await screen.findByTestId('smtp-test-error')).toHaveTextContent('535 authentication failed');
    expect(screen.queryByTestId('smtp-test-ok')).not.toBeInTheDocument();
  });

  it('saves the listener URL and explains it in German too', async () => {
    const user = userEvent.setup({ delay: null });
    const settings = stub();
    render(Settings);
    const url = screen.getByTestId('listener-publicUrl');
    await waitFor(() => expect(url).toHaveValue('https://news.example.org/r'));
    await user.clear(url);
    await user.click(screen.getByTestId('listener-save'));
    expect(settings.SaveListener).toHaveBeenCalledWith({ publicUrl: '' });
    expect(await screen.findByTestId('listener-saved')).toBeInTheDocument();

    setLocale('de');
    await waitFor(() => expect(screen.getByTestId('listener-card')).toHaveTextContent(de['settings.listener.intro']));
    expect(screen.getByTestId('smtp-card')).toHaveTextContent(de['settings.smtp.title']);
  });
});
