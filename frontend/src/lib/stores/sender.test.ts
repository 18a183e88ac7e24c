import { describe, expect, it } from 'vitest';
import { stubDesktop } from '../../test/desktop';
import { SenderSettings } from './sender.svelte';

describe('SenderSettings', () => {
  it('sends one save at a time', async () => {
    const stub = stubDesktop();
    const sender = new SenderSettings();
    sender.draft.fromAddress = 'news@example.org';
    await Promise.all([sender.save(), sender.save()]);
    expect(stub.SaveSender).toHaveBeenCalledTimes(1);
    expect(sender.saved).toBe(true);
  });

  it('clears an error only when its own field is edited', async () => {
    stubDesktop().SaveSender.mockRejectedValue({ code: 'invalid', field: 'replyTo', message: 'Bad reply-to.' });
    const sender = new SenderSettings();
    await sender.save();
    expect(sender.fieldError('replyTo')?.message).toBe('Bad reply-to.');
    expect(sender.formError).toBeNull();
    sender.edited('fromName');
    expect(sender.fieldError('replyTo')).not.toBeNull();
    sender.edited('replyTo');
    expect(sender.error).toBeNull();
  });

  it('keeps a load failure as a form error', async () => {
    stubDesktop().GetSender.mockRejectedValue('disk I/O error');
    const sender = new SenderSettings();
    await sender.load();
    expect(sender.formError).toMatchObject({ code: 'internal', message: 'disk I/O error' });
    expect(sender.loading).toBe(false);
  });
});
