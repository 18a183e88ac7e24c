import { getBranding, getLogo, removeLogo, saveBranding, saveLogo } from '../api/settings';
import { ApiError } from '../api/error';
import type { Branding } from '../api/types';
import { SettingsForm } from './settingsForm.svelte';

/** BrandingField is one input of the branding form. */
export type BrandingField = 'name' | 'accent' | 'background' | 'logo';

/** maxLogoBytes mirrors Go's resonanz.MaxLogoUpload (the upload is refused before it is sent). */
export const maxLogoBytes = 1 << 20;

/** BrandingSettings is the state of the branding card: name and colours, and the logo with its preview. */
export class BrandingSettings extends SettingsForm<Branding> {
  logo = $state('');
  logoBusy = $state(false);
  logoError = $state<ApiError | null>(null);

  constructor() {
    super({ name: '', accent: '', background: '', logoHash: '', logoType: '' });
  }

  protected async fetch(): Promise<Branding> {
    const [b, logo] = await Promise.all([getBranding(), getLogo()]);
    this.logo = logo;
    return b;
  }

  protected store(draft: Branding): Promise<Branding> {
    return saveBranding(draft);
  }

  /** upload sends a chosen file; Go accepts PNG and JPEG only and re-encodes it. */
  async upload(file: File): Promise<void> {
    this.logoError = null;
    if (file.size > maxLogoBytes) {
      this.logoError = new ApiError({ code: 'invalid', message: 'The logo file is too large (at most 1 MB).', field: 'logo', key: 'error.branding.logo.tooLarge' });
      return;
    }
    this.logoBusy = true;
    try {
      const data = await fileBase64(file);
      const b = await saveLogo(data);
      this.draft.logoHash = b.logoHash;
      this.draft.logoType = b.logoType;
      this.logo = await getLogo();
    } catch (reason) {
      this.logoError = ApiError.from(reason);
    } finally {
      this.logoBusy = false;
    }
  }

  /** remove deletes the logo. */
  async remove(): Promise<void> {
    this.logoError = null;
    this.logoBusy = true;
    try {
      const b = await removeLogo();
      this.draft.logoHash = b.logoHash;
      this.draft.logoType = b.logoType;
      this.logo = '';
    } catch (reason) {
      this.logoError = ApiError.from(reason);
    } finally {
      this.logoBusy = false;
    }
  }
}

/** fileBase64 reads a file as base64 (without the data: prefix). */
async function fileBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}
