import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import de from './lib/i18n/de.json';
import en from './lib/i18n/en.json';
import { router, screens } from './lib/stores/router.svelte';
import { stubDesktop, systemInfo } from './test/desktop';

const heading = () => screen.getByTestId('screen-title');

describe('App shell', () => {
  beforeEach(() => {
    history.replaceState(null, '', '/');
    router.current = 'recipients';
    stubDesktop();
  });

  // Every screen's chunk is loaded (and in the test transformed) on first use.
  it('navigates to every screen from the left navigation', async () => {
    const user = userEvent.setup({ delay: null });
    render(App);
    expect(heading()).toHaveTextContent(en['screen.recipients.title']);

    for (const id of [...screens].reverse()) {
      const link = screen.getByTestId(`nav-${id}`);
      await user.click(link);
      // Screens other than the first load on first use (a separate chunk).
      await waitFor(() => expect(heading()).toHaveTextContent(en[`screen.${id}.title`]), { timeout: 10_000 });
      expect(link).toHaveAttribute('aria-current', 'page');
      expect(window.location.hash).toBe(`#/${id}`);
      if (id === 'templates') {
        expect(screen.getByText(en[`screen.${id}.summary`])).toBeInTheDocument();
      }
    }
    expect(screen.getAllByRole('link').filter((a) => a.getAttribute('aria-current') === 'page')).toHaveLength(1);
  }, 60_000);

  it('switches the language of every visible text and remembers it', async () => {
    const user = userEvent.setup({ delay: null });
    render(App);
    const nav = screen.getByRole('navigation');
    expect(within(nav).getByTestId('nav-settings')).toHaveTextContent('Settings');
    expect(screen.getByTestId('lang-en')).toHaveAttribute('aria-pressed', 'true');

    await user.click(screen.getByTestId('lang-de'));

    expect(within(nav).getByTestId('nav-settings')).toHaveTextContent(de['screen.settings.title']);
    expect(heading()).toHaveTextContent(de['screen.recipients.title']);
    expect(screen.getByTestId('tab-import')).toHaveTextContent(de['recipients.tab.import']);
    expect(screen.getByTestId('tab-table')).toHaveTextContent(de['recipients.tab.table']);
    expect(screen.getByTestId('lang-de')).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByTestId('lang-en')).toHaveAttribute('aria-pressed', 'false');
    expect(document.documentElement.lang).toBe('de');
    expect(localStorage.getItem('resonanz.lang')).toBe('de');
    expect(await screen.findByTestId('status-mode')).toHaveTextContent(de['status.mode.desktop']);

    await user.click(screen.getByTestId('lang-en'));
    expect(within(nav).getByTestId('nav-settings')).toHaveTextContent('Settings');
    expect(document.documentElement.lang).toBe('en');
  });

  it('shows version and mode in the status bar', async () => {
    render(App);
    expect(await screen.findByTestId('status-version')).toHaveTextContent(`Version ${systemInfo.version}`);
    expect(screen.getByTestId('status-mode')).toHaveTextContent(en['status.mode.desktop']);
  });
});
