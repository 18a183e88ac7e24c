import { vi, type Mock } from 'vitest';
import { PreloadElement } from '../lib/api/preload';
import type { AuditEntry, SenderIdentity, SystemInfo } from '../lib/api/types';

/** DesktopStub is a fake of the Wails bindings the tests drive. */
export interface DesktopStub {
  GetSender: Mock<() => Promise<SenderIdentity>>;
  SaveSender: Mock<(s: SenderIdentity) => Promise<SenderIdentity>>;
  Info: Mock<() => Promise<SystemInfo>>;
  AuditLog: Mock<(limit: number) => Promise<AuditEntry[]>>;
}

/** systemInfo is what the stubbed System.Info returns. */
export const systemInfo: SystemInfo = {
  version: '1.2.3',
  dataDir: '/home/ada/.local/share/resonanz',
  dbPath: '/home/ada/.local/share/resonanz/resonanz.db',
  mode: 'desktop',
  schemaVersion: 4,
};

/** stubDesktop installs window.go.desktop with Settings and System services backed by mocks. */
export function stubDesktop(sender: SenderIdentity = { fromName: '', fromAddress: '', replyTo: '' }): DesktopStub {
  const stub: DesktopStub = {
    GetSender: vi.fn(() => Promise.resolve({ ...sender })),
    SaveSender: vi.fn((s: SenderIdentity) => Promise.resolve({ ...s })),
    Info: vi.fn(() => Promise.resolve(systemInfo)),
    AuditLog: vi.fn((_limit: number) => Promise.resolve<AuditEntry[]>([])),
  };
  window.go = {
    desktop: {
      Settings: {
        GetSender: stub.GetSender,
        SaveSender: stub.SaveSender as (...args: unknown[]) => Promise<unknown>,
        // The mail server and listener cards load too; Settings tests about them replace these.
        GetSMTP: () =>
          Promise.resolve({ host: '', port: 587, security: 'starttls', username: '', maxConnections: 1, ratePerSecond: 0, ratePerMinute: 0, ratePerHour: 0, hasPassword: false }),
        GetListener: () => Promise.resolve({ publicUrl: '', addr: '127.0.0.1:8485', autoStart: false, trustedProxies: [] }),
        ListenerStatus: () =>
          Promise.resolve({ running: false, addr: '', publicUrl: '', startedAt: '', hits: 0, queued: 0, dropped: 0, notices: 0, noticeErrors: 0, error: '' }),
        SignupForms: () => Promise.resolve([]),
        GetBranding: () => Promise.resolve({ name: '', accent: '', background: '', logoHash: '', logoType: '' }),
        GetLogo: () => Promise.resolve(''),
      },
      System: { Info: stub.Info, AuditLog: stub.AuditLog as (...args: unknown[]) => Promise<unknown> },
      // The listener card asks for the relays; tests about them replace this.
      Relays: {
        Overview: () =>
          Promise.resolve({ mode: 'local', linksUrl: '', localPublicUrl: '', relays: [], autoPublish: { pending: false, running: false, count: 0 } }),
      },
    },
  };
  return stub;
}

/** carryPreloads puts a preload element with text into the page, as Go's asset handler does for the desktop window. */
export function carryPreloads(text: string): void {
  const element = document.createElement('script');
  element.id = PreloadElement;
  element.type = 'application/json';
  element.textContent = text;
  document.head.append(element);
}
