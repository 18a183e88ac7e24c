import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import de from '../lib/i18n/de.json';
import { setLocale } from '../lib/i18n/index.svelte';
import type { ListenerStatus, SMTPSettings } from '../lib/api/types';
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

const stopped: ListenerStatus = {
  running: false,
  addr: '',
  publicUrl: '',
  startedAt: '',
  hits: 0,
  queued: 0,
  dropped: 0,
  notices: 0,
  noticeErrors: 0,
  error: '',
};
const running: ListenerStatus = { ...stopped, running: true, addr: '127.0.0.1:8485', publicUrl: 'https://news.example.org/r', hits: 1234, notices: 2 };

function stub(smtp: SMTPSettings = stored) {
  stubDesktop();
  const settings = {
    GetSMTP: resolved(smtp),
    SaveSMTP: vi.fn((req: { settings: SMTPSettings; password: string; clearPassword: boolean }) =>
      Promise.resolve({ ...req.settings, hasPassword: req.clearPassword ? false : req.password !== '' || smtp.hasPassword }),
    ),
    TestSMTP: resolved(true),
    GetListener: resolved({ publicUrl: 'https://news.example.org/r', addr: '127.0.0.1:8485', autoStart: false, trustedProxies: [] }),
    SaveListener: vi.fn((s: { publicUrl: string }) => Promise.resolve(s)),
    ListenerStatus: resolved(stopped),
    StartListener: vi.fn(() => Promise.resolve(running)),
    StopListener: vi.fn(() => Promise.resolve({ ...stopped, hits: 0 })),
    SignupForms: resolved([{ listId: 1, listName: 'Reisen', url: 'https://news.example.org/r/f/abc', snippet: '<form action="https://news.example.org/r/f/abc">' }]),
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
    expect(settings.SaveListener).toHaveBeenCalledWith({ publicUrl: '', addr: '127.0.0.1:8485', autoStart: false, trustedProxies: [] });
    expect(await screen.findByTestId('listener-saved')).toBeInTheDocument();

    setLocale('de');
    await waitFor(() => expect(screen.getByTestId('listener-card')).toHaveTextContent(de['settings.listener.intro']));
    expect(screen.getByTestId('smtp-card')).toHaveTextContent(de['settings.smtp.title']);
  });

  it('saves the trusted reverse proxies and shows a wrong entry at the field, in German too', async () => {
    const user = userEvent.setup({ delay: null });
    const settings = stub();
    settings.GetListener.mockImplementation(() =>
      Promise.resolve({ publicUrl: 'https://news.example.org/r', addr: '127.0.0.1:8485', autoStart: false, trustedProxies: ['127.0.0.1'] }),
    );
    render(Settings);
    const field = screen.getByTestId('listener-trustedProxies');
    await waitFor(() => expect(field).toHaveValue('127.0.0.1'));
    await user.type(field, ', 10.0.0.0/8 ::1');
    await user.click(screen.getByTestId('listener-save'));
    expect(settings.SaveListener).toHaveBeenCalledWith({
      publicUrl: 'https://news.example.org/r',
      addr: '127.0.0.1:8485',
      autoStart: false,
      trustedProxies: ['127.0.0.1', '10.0.0.0/8', '::1'],
    });

    settings.SaveListener.mockImplementationOnce(() =>
      Promise.reject({ code: 'invalid', field: 'trustedProxies', key: 'error.listener.trustedProxies', message: 'proxy.example' }),
    );
    setLocale('de');
    await user.click(screen.getByTestId('listener-save'));
    expect(await screen.findByText(de['error.listener.trustedProxies'])).toBeInTheDocument();
    expect(screen.getByTestId('listener-card')).toHaveTextContent(de['settings.listener.trustedProxies']);
    setLocale('en');
  });

  it('starts and stops the listener and shows its status, the signup forms and a port conflict', async () => {
    const user = userEvent.setup({ delay: null });
    const settings = stub();
    render(Settings);
    expect(await screen.findByTestId('listener-stopped')).toHaveTextContent('Stopped');
    expect(await screen.findByTestId('signup-form-url')).toHaveTextContent('https://news.example.org/r/f/abc');
    expect(screen.getByTestId('signup-form-snippet')).toHaveValue('<form action="https://news.example.org/r/f/abc">');

    await user.click(screen.getByTestId('listener-autoStart'));
    await user.click(screen.getByTestId('listener-save'));
    expect(settings.SaveListener).toHaveBeenCalledWith({ publicUrl: 'https://news.example.org/r', addr: '127.0.0.1:8485', autoStart: true, trustedProxies: [] });

    await user.click(screen.getByTestId('listener-start'));
    expect(await screen.findByTestId('listener-running')).toHaveTextContent('Running');
    expect(screen.getByTestId('listener-bound-addr')).toHaveTextContent('127.0.0.1:8485');
    expect(screen.getByTestId('listener-counts')).toHaveTextContent('1,234 hits recorded');

    await user.click(screen.getByTestId('listener-stop'));
    expect(await screen.findByTestId('listener-stopped')).toBeInTheDocument();
    expect(settings.StopListener).toHaveBeenCalledOnce();

    settings.StartListener.mockImplementationOnce(() =>
      Promise.reject({ code: 'conflict', message: 'Cannot listen on 127.0.0.1:8485: address already in use.' }),
    );
    await user.click(screen.getByTestId('listener-start'));
    expect(await screen.findByTestId('listener-switch-error')).toHaveTextContent('address already in use');
  });
});
