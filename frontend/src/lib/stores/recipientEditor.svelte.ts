import { ApiError } from '../api/error';
import {
  consentProofHTML,
  createRecipient,
  eraseRecipient,
  exportRecipient,
  recipientDetail,
  setConsent,
  updateRecipient,
} from '../api/recipients';
import type { ConsentState, Purpose, Recipient, RecipientDetail } from '../api/types';

/** newRecipient returns an empty recipient for the create form. */
export function newRecipient(): Recipient {
  return {
    id: 0,
    email: '',
    firstName: '',
    lastName: '',
    gender: '',
    title: '',
    language: '',
    attributes: {},
    createdAt: '',
    updatedAt: '',
  };
}

/** GrantDraft is the small form a manual consent grant needs. */
export interface GrantDraft {
  purpose: Purpose;
  listId: number;
  wording: string;
  evidence: string;
}

/** trackingPurposes are the purposes with one consent each (newsletter consent is per list). */
export const singlePurposes: readonly Purpose[] = ['tracking:opens', 'tracking:clicks', 'profiling'];

/**
 * RecipientEditor is the state of the detail panel or the create form: the
 * stored detail, the draft being edited, the consent actions and the last error.
 */
export class RecipientEditor {
  detail = $state<RecipientDetail | null>(null);
  draft = $state<Recipient>(newRecipient());
  loading = $state(false);
  saving = $state(false);
  saved = $state(false);
  error = $state<ApiError | null>(null);

  grant = $state<GrantDraft | null>(null);
  consentBusy = $state(false);
  consentError = $state<ApiError | null>(null);
  actionError = $state<ApiError | null>(null);

  /** busy is true while loading or saving; the form does not submit then. */
  get busy(): boolean {
    return this.loading || this.saving;
  }

  /** fieldError returns the save error about field, if there is one. */
  fieldError(field: string): ApiError | null {
    return this.error?.field === field ? this.error : null;
  }

  /** formError returns the save error if it is about no particular field. */
  get formError(): ApiError | null {
    return this.error !== null && this.error.field === undefined ? this.error : null;
  }

  /** consentFieldError returns the consent error about field (wording, evidence, listId…). */
  consentFieldError(field: string): ApiError | null {
    return this.consentError?.field === field ? this.consentError : null;
  }

  /** consentFormError returns the consent error about no field of the grant form. */
  get consentFormError(): ApiError | null {
    const field = this.consentError?.field;
    return this.consentError !== null && !['wording', 'evidence', 'listId'].includes(field ?? '')
      ? this.consentError
      : null;
  }

  /** state returns the current consent for purpose (and list), if the ledger has any. */
  state(purpose: Purpose, listId = 0): ConsentState | undefined {
    return this.detail?.consentState.find((s) => s.purpose === purpose && (purpose !== 'newsletter' || s.listId === listId));
  }

  /** newsletterStates returns the newsletter consent per list, for the lists the person is on or has a record for. */
  get newsletterStates(): { listId: number; listName: string; state: ConsentState | undefined }[] {
    const rows = new Map<number, string>();
    for (const m of this.detail?.lists ?? []) rows.set(m.listId, m.listName);
    for (const s of this.detail?.consentState ?? []) if (s.purpose === 'newsletter') rows.set(s.listId, s.listName);
    return [...rows].map(([listId, listName]) => ({ listId, listName, state: this.state('newsletter', listId) }));
  }

  /** startCreate resets the editor to an empty recipient. */
  startCreate(): void {
    this.detail = null;
    this.draft = newRecipient();
    this.reset();
  }

  private reset(): void {
    this.error = null;
    this.saved = false;
    this.grant = null;
    this.consentError = null;
    this.actionError = null;
  }

  /** load fetches the detail of recipient id and makes it the draft. */
  async load(id: number): Promise<void> {
    this.loading = true;
    this.reset();
    try {
      await this.refresh(id);
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.loading = false;
    }
  }

  private async refresh(id: number): Promise<void> {
    const detail = await recipientDetail(id);
    this.detail = detail;
    this.draft = { ...detail.recipient, attributes: { ...detail.recipient.attributes } };
  }

  /** save creates or updates the draft; Go validates it. It returns the stored recipient, or null on error. */
  async save(): Promise<Recipient | null> {
    if (this.busy) return null;
    this.saving = true;
    this.saved = false;
    this.error = null;
    try {
      const draft = $state.snapshot(this.draft);
      const stored = draft.id === 0 ? await createRecipient(draft) : await updateRecipient(draft);
      if (this.detail !== null) {
        this.detail = { ...this.detail, recipient: stored };
      }
      this.draft = { ...stored, attributes: { ...stored.attributes } };
      this.saved = true;
      return stored;
    } catch (reason) {
      this.error = ApiError.from(reason);
      return null;
    } finally {
      this.saving = false;
    }
  }

  /** edited clears the success note and an error about field once the user changes it. */
  edited(field: string): void {
    this.saved = false;
    if (this.error?.field === field) this.error = null;
  }

  /** openGrant opens the grant form for purpose (and list); nothing is pre-filled. */
  openGrant(purpose: Purpose, listId = 0): void {
    this.grant = { purpose, listId, wording: '', evidence: '' };
    this.consentError = null;
  }

  /** closeGrant discards the grant form. */
  closeGrant(): void {
    this.grant = null;
    this.consentError = null;
  }

  /** grantEdited clears the error about field of the grant form. */
  grantEdited(field: 'wording' | 'evidence' | 'listId'): void {
    if (this.consentError?.field === field) this.consentError = null;
  }

  /**
   * submitGrant records the manual grant in the form. A grant needs the exact
   * wording the person agreed to and evidence of how; both are checked here
   * before Go checks them again.
   */
  async submitGrant(): Promise<boolean> {
    const g = this.grant;
    const id = this.detail?.recipient.id;
    if (g === null || id === undefined || this.consentBusy) return false;
    if (g.purpose === 'newsletter' && g.listId === 0) {
      this.consentError = required('listId', 'error.consent.list.required', 'Choose the list the consent is for.');
      return false;
    }
    if (g.wording.trim() === '') {
      this.consentError = required('wording', 'error.consent.wording.required', 'Enter the exact wording the person agreed to.');
      return false;
    }
    if (g.evidence.trim() === '') {
      this.consentError = required('evidence', 'error.consent.evidence.required', 'Say where and how the consent was given.');
      return false;
    }
    const ok = await this.changeConsent({
      recipientId: id,
      purpose: g.purpose,
      listId: g.purpose === 'newsletter' ? g.listId : 0,
      granted: true,
      wording: g.wording.trim(),
      evidence: g.evidence.trim(),
    });
    if (ok) this.grant = null;
    return ok;
  }

  /** withdraw records a withdrawal: nothing else is needed, withdrawing is as easy as granting. */
  withdraw(purpose: Purpose, listId = 0): Promise<boolean> {
    const id = this.detail?.recipient.id;
    if (id === undefined) return Promise.resolve(false);
    return this.changeConsent({ recipientId: id, purpose, listId, granted: false, wording: '', evidence: '' });
  }

  private async changeConsent(c: Parameters<typeof setConsent>[0]): Promise<boolean> {
    if (this.consentBusy) return false;
    this.consentBusy = true;
    this.consentError = null;
    try {
      await setConsent(c);
      await this.refreshConsent(c.recipientId);
      return true;
    } catch (reason) {
      this.consentError = ApiError.from(reason);
      return false;
    } finally {
      this.consentBusy = false;
    }
  }

  /** refreshConsent reloads the ledger without touching an unsaved draft. */
  private async refreshConsent(id: number): Promise<void> {
    const detail = await recipientDetail(id);
    this.detail = { ...detail, recipient: this.detail?.recipient ?? detail.recipient };
  }

  /** erase deletes the person and everything stored about them. */
  async erase(): Promise<boolean> {
    const id = this.detail?.recipient.id;
    if (id === undefined) return false;
    this.actionError = null;
    try {
      await eraseRecipient(id);
      this.detail = null;
      this.draft = newRecipient();
      return true;
    } catch (reason) {
      this.actionError = ApiError.from(reason);
      return false;
    }
  }

  /** exportData returns the GDPR export document as pretty JSON, or null on error. */
  async exportData(): Promise<string | null> {
    const id = this.detail?.recipient.id;
    if (id === undefined) return null;
    this.actionError = null;
    try {
      return JSON.stringify(await exportRecipient(id), null, 2);
    } catch (reason) {
      this.actionError = ApiError.from(reason);
      return null;
    }
  }

  /** proof returns the consent proof page, or null on error. */
  async proof(): Promise<string | null> {
    const id = this.detail?.recipient.id;
    if (id === undefined) return null;
    this.actionError = null;
    try {
      return await consentProofHTML(id);
    } catch (reason) {
      this.actionError = ApiError.from(reason);
      return null;
    }
  }
}

function required(field: string, key: string, message: string): ApiError {
  return new ApiError({ code: 'invalid', field, key, message });
}
