import { href } from './router.svelte';

/**
 * MailingHandoff carries a mailing to open from another screen (the
 * Templates screen starts a mailing from a template) to the Mailings
 * screen, which takes it when it mounts.
 */
class MailingHandoff {
  /** openId is the mailing the Mailings screen opens next; 0: none. */
  openId = $state(0);

  /** take returns the mailing to open and forgets it. */
  take(): number {
    const id = this.openId;
    this.openId = 0;
    return id;
  }
}

/** mailingHandoff is the one handoff of the desk. */
export const mailingHandoff = new MailingHandoff();

/** openMailing switches to the Mailings screen with mailing id open in the editor. */
export function openMailing(id: number): void {
  mailingHandoff.openId = id;
  window.location.hash = href('mailings');
}
