import { Settings } from './facades';
import type { Branding, ListenerSettings, ListenerStatus, SMTPSettings, SenderIdentity, SignupForm } from './types';

/** getSender returns the stored sender identity (empty fields if none was saved). */
export function getSender(): Promise<SenderIdentity> {
  return Settings.GetSender();
}

/** saveSender validates and stores s on the Go side and returns what was stored. */
export function saveSender(s: SenderIdentity): Promise<SenderIdentity> {
  return Settings.SaveSender(s);
}

/** getLanguage returns the UI language chosen in the window or a browser ('' if none yet). */
export function getLanguage(): Promise<string> {
  return Settings.GetLanguage();
}

/** saveLanguage stores the chosen UI language, so the window and browser mode start in it. */
export function saveLanguage(language: string): Promise<string> {
  return Settings.SaveLanguage(language);
}

/** getSMTP returns the mail server settings (never the password). */
export function getSMTP(): Promise<SMTPSettings> {
  return Settings.GetSMTP();
}

/**
 * saveSMTP validates and stores the mail server settings; password replaces
 * the stored one when not empty, clearPassword removes it.
 */
export function saveSMTP(settings: SMTPSettings, password: string, clearPassword: boolean): Promise<SMTPSettings> {
  return Settings.SaveSMTP({ settings, password, clearPassword });
}

/** testSMTP connects to the stored mail server and logs in; it rejects with Go's explanation. */
export function testSMTP(): Promise<boolean> {
  return Settings.TestSMTP();
}

/** getListener returns where recipients reach the listener. */
export function getListener(): Promise<ListenerSettings> {
  return Settings.GetListener();
}

/** saveListener stores the listener's public URL and returns what was stored. */
export function saveListener(s: ListenerSettings): Promise<ListenerSettings> {
  return Settings.SaveListener(s);
}

/** listenerStatus says whether the desk's listener runs and what it recorded. */
export function listenerStatus(): Promise<ListenerStatus> {
  return Settings.ListenerStatus();
}

/** startListener starts the listener with the saved settings. */
export function startListener(): Promise<ListenerStatus> {
  return Settings.StartListener();
}

/** stopListener stops the listener; queued hits are written first. */
export function stopListener(): Promise<ListenerStatus> {
  return Settings.StopListener();
}

/** signupForms returns every list's public signup form URL and HTML snippet. */
export function signupForms(): Promise<SignupForm[]> {
  return Settings.SignupForms();
}

/** getBranding returns the business's name, colours and logo hash for the recipient pages. */
export function getBranding(): Promise<Branding> {
  return Settings.GetBranding();
}

/** saveBranding validates (readable contrast) and stores name and colours; the logo is kept. */
export function saveBranding(b: Branding): Promise<Branding> {
  return Settings.SaveBranding(b);
}

/** saveLogo uploads a PNG or JPEG (base64, as Go decodes []byte); Go checks and re-encodes it. */
export function saveLogo(base64: string): Promise<Branding> {
  return Settings.SaveLogo(base64);
}

/** removeLogo removes the logo. */
export function removeLogo(): Promise<Branding> {
  return Settings.RemoveLogo();
}

/** getLogo returns the stored logo as a data URL ('' without one), for the preview. */
export function getLogo(): Promise<string> {
  return Settings.GetLogo();
}
