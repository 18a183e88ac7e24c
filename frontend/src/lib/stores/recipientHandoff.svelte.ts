import { href } from './router.svelte';

/**
 * RecipientHandoff carries a recipient to open from another screen (a
 * reply in the mailbox links to its sender) to the Recipients screen, which
 * takes it when it mounts.
 */
class RecipientHandoff {
  /** openId is the recipient the Recipients screen opens next; 0: none. */
  openId = $state(0);

  /** take returns the recipient to open and forgets it. */
  take(): number {
    const id = this.openId;
    this.openId = 0;
    return id;
  }
}

/** recipientHandoff is the one handoff to the Recipients screen. */
export const recipientHandoff = new RecipientHandoff();

/** openRecipient switches to the Recipients screen with recipient id open. */
export function openRecipient(id: number): void {
  recipientHandoff.openId = id;
  window.location.hash = href('recipients');
}
