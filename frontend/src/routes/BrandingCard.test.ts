import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import type { Branding } from '../lib/api/types';
import BrandingCard from './BrandingCard.svelte';

const stored: Branding = { name: 'Reisebüro Sonnenschein', accent: '#b34700', background: '', logoHash: '', logoType: '' };

function stub(b: Branding = stored) {
  const s = {
    GetBranding: vi.fn(() => Promise.resolve({ ...b })),
    GetLogo: vi.fn(() => Promise.resolve('')),
    SaveBranding: vi.fn((x: Branding) => Promise.resolve({ ...x })),
    SaveLogo: vi.fn((_data: string) => Promise.resolve({ ...b, logoHash: 'ab'.repeat(32), logoType: 'image/png' })),
    RemoveLogo: vi.fn(() => Promise.resolve({ ...b, logoHash: '', logoType: '' })),
  };
  window.go = { desktop: { Settings: s as unknown as Record<string, (...args: unknown[]) => Promise<unknown>> } };
  return s;
}

describe('BrandingCard', () => {
  beforeEach(() => setLocale('de'));

  it('loads, edits and saves name and colours, in German', async () => {
    const user = userEvent.setup({ delay: null });
    const s = stub();
    render(BrandingCard);
    await waitFor(() => expect(screen.getByTestId('branding-name')).toHaveValue('Reisebüro Sonnenschein'));
    expect(screen.getByRole('heading', { level: 2 })).toHaveTextContent('Ihr Unternehmen auf den Empfängerseiten');
    expect(screen.getByTestId('branding-no-logo')).toHaveTextContent('Noch kein Logo.');
    await user.type(screen.getByTestId('branding-background'), '#fffaf0');
    await user.click(screen.getByTestId('branding-save'));
    expect(s.SaveBranding).toHaveBeenCalledWith({ ...stored, background: '#fffaf0' });
    expect(await screen.findByTestId('branding-saved')).toBeInTheDocument();
  });

  it('shows Go’s contrast error at the field', async () => {
    const user = userEvent.setup({ delay: null });
    const s = stub();
    s.SaveBranding.mockRejectedValue({
      code: 'invalid',
      message: 'The accent colour is too close to the background.',
      field: 'accent',
      key: 'error.branding.accent.contrast',
    });
    render(BrandingCard);
    await waitFor(() => expect(screen.getByTestId('branding-name')).toHaveValue('Reisebüro Sonnenschein'));
    await user.click(screen.getByTestId('branding-save'));
    expect(await screen.findByTestId('error-accent')).toHaveTextContent('Die Akzentfarbe hebt sich zu wenig vom Hintergrund ab');
  });

  it('uploads a logo as base64 and refuses a file over 1 MB before sending it', async () => {
    const user = userEvent.setup({ delay: null, applyAccept: false });
    const s = stub();
    render(BrandingCard);
    await waitFor(() => expect(s.GetBranding).toHaveBeenCalled());
    const png = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'logo.png', { type: 'image/png' });
    s.GetLogo.mockResolvedValue('data:image/png;base64,iVBORw==');
    await user.upload(screen.getByTestId('branding-logo-file'), png);
    await waitFor(() => expect(s.SaveLogo).toHaveBeenCalledWith('iVBORw=='));
    expect(await screen.findByTestId('branding-logo')).toHaveAttribute('src', 'data:image/png;base64,iVBORw==');

    const big = new File([new Uint8Array((1 << 20) + 1)], 'big.png', { type: 'image/png' });
    await user.upload(screen.getByTestId('branding-logo-file'), big);
    expect(await screen.findByTestId('branding-logo-error')).toHaveTextContent('Die Logo-Datei ist zu groß');
    expect(s.SaveLogo).toHaveBeenCalledTimes(1);

    await user.click(screen.getByTestId('branding-logo-remove'));
    expect(await screen.findByTestId('branding-no-logo')).toBeInTheDocument();
  });
});
